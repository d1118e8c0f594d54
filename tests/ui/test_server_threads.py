"""The real server answering its first requests from several handler threads at once.

Gradio runs handlers in a thread pool, so the first requests after start may import heavy libraries from
two threads at the same moment. transformers' lazy top-level module fails that way ("cannot import name
'AutoConfig' from 'transformers'"): a CI run's Compare click failed with it. This drives the served app
through its public API, not the browser, so the two first scoring requests really run concurrently.
"""

from __future__ import annotations

import pytest

from tests.helpers.app_server import start_server
from tests.helpers.checkpoints import checkpoint

pytestmark = pytest.mark.slow


def test_first_scoring_requests_in_parallel_threads_all_succeed(tmp_path):
    from gradio_client import Client

    ckpt = checkpoint()
    server = start_server(tmp_path)
    try:
        client = Client(server.url, verbose=False)
        jobs = [client.submit([], ckpt, f"Question {i}: how do I boil an egg?",
                              "Boil it for eight minutes, then cool it in cold water.\n---\nNo.",
                              api_name="/playground") for i in range(4)]
        results = [job.result(timeout=300) for job in jobs]  # raises with the server's message on an error
    finally:
        server.stop()
    log = server.log.read_text(errors="replace")
    assert "cannot import name" not in log, log[-3000:]
    for result in results:
        ranked = result["value"]
        assert len(ranked["data"]) == 2, ranked
