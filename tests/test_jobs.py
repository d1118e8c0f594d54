"""Jobs: the queue, status, cancel, recovery and resume of training runs, and the CLI `train`/`jobs`.

The fast tests drive the run-directory protocol with real processes standing in for a worker (a sleeping
Python whose command line names rmstudio); the slow ones train the embedded MiniLM for a few steps in real
worker subprocesses.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rmstudio import jobs
from rmstudio.errors import BadInput

REPO = Path(__file__).resolve().parent.parent
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def wait_until(predicate, timeout: float = 180.0, every: float = 0.2, what: str = "condition"):
    """Poll `predicate` until it returns something truthy; fail the test after `timeout` seconds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def fake_run(home: Path, state: str = "queued", **status) -> Path:
    """A run directory as `jobs.prepare` leaves it, without the data (for protocol-only tests)."""
    run_id = jobs.new_run_id()
    while (home / "runs" / run_id).exists():
        run_id = jobs.new_run_id()
    run_dir = home / "runs" / run_id
    run_dir.mkdir(parents=True)
    (run_dir / "spec.json").write_text(json.dumps({"model": "default", "device": "test-" + run_id}))
    jobs.update_status(run_dir, run_id=run_id, state=state, created_at=time.time(), **status)
    return run_dir


def sleeper(ignore_term: bool = False) -> subprocess.Popen:
    """A live process that looks like a worker (its command line names rmstudio), in its own session."""
    code = "import signal, time\n"
    if ignore_term:
        code += "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    code += "time.sleep(120)\n"
    return subprocess.Popen([sys.executable, "-c", code, "rmstudio.worker"], start_new_session=True)


# --- protocol, no model ----------------------------------------------------------------------------
def test_run_ids_sort_by_time_and_reject_paths(tmp_path):
    first = jobs.new_run_id()
    time.sleep(1.01)
    second = jobs.new_run_id()
    assert first < second and len(first) == len("20261125-081530-ab12")
    with pytest.raises(BadInput):
        jobs.run_path(tmp_path, "../../etc")


def test_status_writes_from_two_processes_lose_nothing(tmp_path):
    run_dir = fake_run(tmp_path)
    code = ("import sys; from rmstudio import jobs\n"
            "for i in range(60): jobs.update_status(sys.argv[1], **{f'{sys.argv[2]}{i}': i})\n")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(run_dir), tag], cwd=REPO) for tag in "ab"]
    assert [p.wait(60) for p in procs] == [0, 0]
    st = jobs.read_status(run_dir)
    assert all(f"{tag}{i}" in st for tag in "ab" for i in range(60))
    assert st["state"] == "queued"


def test_read_metrics_continues_from_where_it_stopped(tmp_path):
    run_dir = fake_run(tmp_path, state="running")
    run_id = run_dir.name
    assert jobs.read_metrics(tmp_path, run_id) == []
    path = run_dir / "metrics.jsonl"
    path.write_text('{"step": 1, "loss": 0.7}\n{"step": 2, "loss": 0.6}\n{"step": 3')  # last line half-written
    assert [m["step"] for m in jobs.read_metrics(tmp_path, run_id)] == [1, 2]
    assert jobs.read_metrics(tmp_path, run_id, since=2) == []
    with path.open("a") as f:
        f.write(', "loss": 0.5}\n{"step": 4, "loss": 0.4}\n')
    assert [m["step"] for m in jobs.read_metrics(tmp_path, run_id, since=2)] == [3, 4]
    assert [m["step"] for m in jobs.read_metrics(tmp_path, run_id, since=1)] == [2, 3, 4]
    path.write_text('{"step": 1, "loss": 0.9}\n')  # rewritten (resume): read from the start again
    assert [m["loss"] for m in jobs.read_metrics(tmp_path, run_id)] == [0.9]


def test_deleted_run_reports_gone(tmp_path):
    run_dir = fake_run(tmp_path, state="running", pid=os.getpid())
    import shutil

    shutil.rmtree(run_dir)
    st = jobs.status(tmp_path, run_dir.name)
    assert st["state"] == "gone" and "does not exist" in st["error"]
    assert run_dir.name not in [r["run_id"] for r in jobs.list_runs(tmp_path)]
    with pytest.raises(FileNotFoundError):
        jobs.update_status(run_dir, state="running")  # a worker whose run vanished stops
    with pytest.raises(BadInput):
        jobs.cancel(tmp_path, run_dir.name)


def test_cancel_queued_run_never_starts(tmp_path):
    run_dir = fake_run(tmp_path)
    st = jobs.cancel(tmp_path, run_dir.name)
    assert st["state"] == "cancelled"
    assert jobs.dispatch(tmp_path) == []
    assert jobs.status(tmp_path, run_dir.name)["state"] == "cancelled"


def test_dead_worker_is_failed_with_log_tail_and_restart_marks_interrupted(tmp_path):
    proc = sleeper()
    crashed = fake_run(tmp_path, state="running", pid=proc.pid)
    (crashed / "log.txt").write_text("step 3\nKilled\n")
    assert jobs.status(tmp_path, crashed.name)["state"] == "running"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    st = jobs.status(tmp_path, crashed.name)
    assert st["state"] == "failed" and "Killed" in st["log_tail"]

    alive, dead = sleeper(), sleeper()
    survivor = fake_run(tmp_path, state="running", pid=alive.pid)
    orphan = fake_run(tmp_path, state="running", pid=dead.pid)
    os.killpg(dead.pid, signal.SIGKILL)
    dead.wait()
    try:
        interrupted = jobs.recover(tmp_path)
        assert interrupted == [orphan.name]
        assert jobs.status(tmp_path, orphan.name)["state"] == "interrupted"
        assert jobs.status(tmp_path, survivor.name)["state"] == "running"
    finally:
        os.killpg(alive.pid, signal.SIGKILL)
        alive.wait()


def test_worker_ignoring_cancel_is_killed_after_grace(tmp_path):
    proc = sleeper(ignore_term=True)
    run_dir = fake_run(tmp_path, state="running", pid=proc.pid)
    time.sleep(0.5)  # let it install the handler
    st = jobs.cancel(tmp_path, run_dir.name, wait=True, grace=1.0)
    assert st["state"] == "failed" and "did not stop" in st["error"]
    assert proc.wait(10) == -signal.SIGKILL


def test_dispatch_starts_a_run_once_and_waits_for_a_busy_device(tmp_path):
    """Two processes dispatching at once start a queued run once, and nothing on a busy device."""
    busy = sleeper()
    try:
        running = fake_run(tmp_path, state="running", pid=busy.pid)
        waiting = fake_run(tmp_path)
        free = fake_run(tmp_path)
        spec = json.loads((running / "spec.json").read_text())
        (waiting / "spec.json").write_text(json.dumps(spec))  # same device as the running run
        code = "import sys, json; from rmstudio import jobs; print(json.dumps(jobs.dispatch(sys.argv[1])))"
        procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], cwd=REPO, stdout=subprocess.PIPE)
                 for _ in range(3)]
        started = [run for p in procs for run in json.loads(p.communicate(timeout=60)[0])]
        assert started == [free.name]  # its worker fails at once here (no data): it must not start twice
        assert jobs.status(tmp_path, waiting.name)["state"] == "queued"
    finally:
        os.killpg(busy.pid, signal.SIGKILL)
        busy.wait()
