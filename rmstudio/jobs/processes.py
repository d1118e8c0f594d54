"""The worker processes of runs: start one, signal it, and notice one that died or ignores a cancel.

A worker is `python -m rmstudio.jobs.worker RUN_DIR`, detached (its own session, output to log.txt), so
signals to the app never reach it and killing it cannot hurt the app. A worker that dies without a final
status (killed, out of memory) is noticed here, on the next read of its run's status.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from rmstudio.jobs.rundir import (
    LOG_FILE,
    in_state,
    log_tail,
    pid_alive,
    process_start_ticks,
    read_status,
    reap_ended_worker,
    update_status,
)

WORKER_MODULE = "rmstudio.jobs.worker"
ENV_LAUNCHER = "RMSTUDIO_LAUNCHER_PID"


def _worker_env() -> dict:
    """The environment for a worker: the same as ours, with this rmstudio importable and unbuffered logs."""
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH", "")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    env[ENV_LAUNCHER] = str(os.getpid())  # who started it, even once it is re-parented (reap_ended_worker)
    return env


def _start_worker(run_dir: Path) -> subprocess.Popen:
    """Start the worker for `run_dir` in its own session (so signals to the app never reach it)."""
    with open(run_dir / LOG_FILE, "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", WORKER_MODULE, str(run_dir)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            cwd=str(run_dir), env=_worker_env(), start_new_session=True,
        )


def launch(run_dir: Path) -> subprocess.Popen | None:
    """Start the worker and record it as running; a launch failure marks the run failed."""
    try:
        proc = _start_worker(run_dir)
    except OSError as exc:
        update_status(run_dir, state="failed", error=f"could not start the worker: {exc}", finished_at=time.time())
        return None
    start_ticks = process_start_ticks(proc.pid)  # read before the reaper thread can collect a quick exit
    threading.Thread(target=proc.wait, name=f"rmstudio-reap-{proc.pid}", daemon=True).start()  # no zombie
    update_status(run_dir, when=in_state("queued"),  # unless a quick worker already wrote its own (final) state
                  state="running", pid=proc.pid, worker_start_ticks=start_ticks,
                  started_at=time.time(), finished_at=None, error=None)
    return proc


def signal_group(pid: int, sig: int) -> None:
    """Send `sig` to the worker's process group (the worker and anything it started, e.g. accelerate)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


def is_run_worker(status: dict, run_dir: Path) -> bool:
    """Whether status.json's pid is the live worker started for this run (command line and start time)."""
    return pid_alive(status.get("pid"), run_dir.name, status.get("worker_start_ticks"))


def signal_run_worker(status: dict, run_dir: Path, sig: int) -> bool:
    """Signal the run's worker group only when the recorded pid is still that worker; returns whether it was."""
    if not is_run_worker(status, run_dir):
        return False
    signal_group(status["pid"], sig)
    return True


def refresh(run_dir: Path, *, dead_state: str = "failed") -> dict:
    """The run's status, after noticing a worker that died without saying so or ignores a cancel."""
    st = read_status(run_dir)
    if st.get("state") != "running":
        reap_ended_worker(st.get("pid"), st.get("worker_start_ticks"), st.get("launcher_pid"))
        return st
    now = time.time()
    alive = is_run_worker(st, run_dir)
    if alive and st.get("cancel_deadline") and now > st["cancel_deadline"]:
        signal_run_worker(st, run_dir, signal.SIGKILL)
        return _mark_if_running(run_dir, state="failed", finished_at=now, log_tail=log_tail(run_dir),
                                error="the worker did not stop after cancel; it was killed (nothing saved)")
    if alive:
        return st
    if st.get("cancel_requested_at"):
        return _mark_if_running(run_dir, state="cancelled", finished_at=now, log_tail=log_tail(run_dir),
                                error="the worker stopped before it could save a checkpoint")
    reason = ("the app restarted while the worker was running" if dead_state == "interrupted"
              else "the worker process ended without a final status (killed, out of memory, or crashed)")
    return _mark_if_running(run_dir, state=dead_state, finished_at=now, error=reason, log_tail=log_tail(run_dir))


def _mark_if_running(run_dir: Path, **fields) -> dict:
    """Write `fields` unless the worker wrote a final state meanwhile (re-checked under the lock)."""
    return update_status(run_dir, when=in_state("running"), **fields)

