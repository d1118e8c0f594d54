"""The Train tab's timer follows the run the page was last told to show, not the (possibly older) run a tick
carries: a tick sent just before the page heard of a new run must not bring the old one back."""

from __future__ import annotations

from types import SimpleNamespace

from rmstudio.access import Access
from rmstudio.jobs import queue as jobs
from tests.jobs.test_kinds import EchoSpec, finished


def handler(blocks, name: str):
    return next(d.fn for d in blocks.fns.values() if d.fn and d.fn.__name__ == name)


def shown_run(out: dict) -> str:
    [pick] = [value for component, value in out.items() if getattr(component, "elem_id", None) == "train-run"]
    return pick["value"]


def test_a_stale_tick_draws_the_run_the_page_was_last_told_to_show(tmp_path):
    from rmstudio.ui.app import build_app

    old, new = (jobs.submit(tmp_path, EchoSpec(words=[word])) for word in ("old", "new"))
    for run_id in (old, new):
        finished(tmp_path, run_id)
    blocks = build_app(tmp_path, access=Access.from_settings(None, env={}))
    on_pick, on_tick = handler(blocks, "on_pick"), handler(blocks, "on_tick")
    page, other = SimpleNamespace(username=None, session_hash="page"), SimpleNamespace(username=None, session_hash="b")

    assert shown_run(on_pick(new, page)) == new  # the page is told to show the new run
    assert shown_run(on_tick(old, {}, page)) == new  # a tick still carrying the old run draws the new one
    assert shown_run(on_tick(old, {}, other)) == old  # another page's ticks follow their own record
