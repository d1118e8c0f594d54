"""CLI `train`: queue a run like the app does and follow it to its end, with a progress bar on stderr.

The run goes through the same queue and worker as a run started in the app, so a job already training
on the device goes first, and `jobs list` shows this run like any other.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import time

from rmstudio.errors import BadInput
from rmstudio.jobs.queue import ACTIVE, cancel, log_tail, read_metrics, status, submit


def run_foreground(home, spec, progress: bool = True) -> dict:
    """Train with the same queue and worker as the app and wait for the end (CLI `train`), showing a
    progress bar on stderr. A run already training on the device goes first: this one waits its turn.

    Returns the run's summary; raises BadInput for bad input (also when the worker finds it) and
    RuntimeError with the log tail when the run fails. Ctrl-C cancels the run (it still saves).
    """
    run_id = submit(home, spec)
    try:
        with _sigterm_as_interrupt():
            st = _follow(home, run_id, progress)
    except KeyboardInterrupt:
        cancel(home, run_id, wait=True)
        raise
    if st.get("state") == "succeeded":
        return {"run_id": run_id, **(st.get("summary") or {})}
    message = st.get("error") or f"the run ended {st.get('state')}"
    if st.get("error_type") == "BadInput":
        raise BadInput(message)
    tail = st.get("log_tail") or (log_tail(st["run_dir"]) if st.get("state") != "gone" else "")
    raise RuntimeError(f"run {run_id} {st.get('state')}: {message}\n--- log tail ---\n{tail}")


@contextlib.contextmanager
def _sigterm_as_interrupt():
    """While following a foreground run, SIGTERM (e.g. `timeout`, a closed terminal) acts like Ctrl-C."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _follow(home, run_id: str, progress: bool) -> dict:
    """Wait until the run ends, drawing its progress and latest loss/accuracy on stderr; its final status."""
    from tqdm import tqdm

    bar = tqdm(total=None, unit="step", file=sys.stderr, disable=not progress, dynamic_ncols=True,
               desc=f"train {run_id}")
    held = 0
    try:
        while (st := status(home, run_id))["state"] in ACTIVE:
            if st["state"] == "queued":
                bar.set_description_str(f"train {run_id} (waiting for the running job)")
            else:
                new = read_metrics(home, run_id, since=held)
                held += len(new)
                bar.set_description_str(f"train {run_id}")
                _draw_progress(bar, st.get("progress") or {}, new)
            time.sleep(0.5)
        return st
    finally:
        bar.close()


def _draw_progress(bar, progress: dict, new_metrics: list[dict]) -> None:
    """Move the bar to the worker's step (status.json) and show the latest loss and train accuracy."""
    if progress.get("total_steps") and bar.total != progress["total_steps"]:
        bar.total = progress["total_steps"]
        bar.refresh()
    if progress.get("step") is not None and progress["step"] > bar.n:
        bar.update(progress["step"] - bar.n)
    last = next((m for m in reversed(new_metrics) if m.get("loss") is not None), None)
    if last:
        bar.set_postfix({k: round(last[k], 3) for k in ("loss", "accuracy") if isinstance(last.get(k), float)})
