"""`python -m rmstudio.jobs.worker RUN_DIR`: run one job and report through the run directory.

The worker loads the run's job kind (`kinds`: named in status.json) and runs it; it is the only writer
of a running run's files: status.json (state, progress, summary or error + log tail) and what the kind
writes (metrics.jsonl, checkpoints). It always ends with a final state: succeeded | cancelled (SIGTERM or
RUN_DIR/stop: stops after the current step and saves) | failed (bad input, an unknown kind, crash, disk
full; the message says which). A deleted run directory makes it exit at once.

When the kind asks for several processes (`JobKind.launch`), this process supervises
`accelerate launch ... -m rmstudio.jobs.worker --rank RUN_DIR` started in its own session: a SIGTERM here
becomes the RUN_DIR/stop file, which every rank checks after each step (and they agree on the step).
Rank 0 writes RUN_DIR/result.json, which this process turns into the final status.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import signal
import socket
import subprocess
import sys
import time
import traceback
from pathlib import Path

from rmstudio.errors import BadInput
from rmstudio.jobs import kinds
from rmstudio.jobs.processes import ENV_LAUNCHER
from rmstudio.jobs.queue import dispatch
from rmstudio.jobs.rundir import (
    RESULT_FILE,
    SPEC_FILE,
    STOP_FILE,
    log_tail,
    process_start_ticks,
    read_spec,
    read_status,
    update_status,
)
from rmstudio.jobs.runfiles import UNREADABLE

ENV_SUPERVISOR = "RMSTUDIO_SUPERVISOR_PID"
DISK_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
DISK_FULL_TEXT = (
    "No space left on device",
    "Disk quota exceeded",
    "File too large",
    "FileTooLarge",
    "StorageFull",
)


def describe_failure(exc: BaseException, run_dir: Path) -> tuple[str, str]:
    """(message, error_type) for the status: what went wrong in words a user can act on."""
    if isinstance(exc, BadInput):
        return str(exc), "BadInput"
    if (isinstance(exc, OSError) and exc.errno in DISK_FULL) or any(t in str(exc) for t in DISK_FULL_TEXT):
        detail = f"{exc.strerror}: {exc.filename or run_dir}" if isinstance(exc, OSError) else str(exc)[:300]
        return f"disk full while writing the run ({detail}); free some space, then resume the run", "DiskFull"
    if not run_dir.is_dir():
        return f"the run directory {run_dir} was deleted while the run was going on", "RunDirGone"
    return f"{type(exc).__name__}: {exc}", type(exc).__name__


def _finish(run_dir: Path, **fields) -> None:
    """Write the final status; if even that fails (run dir gone, disk full) say so on stderr and go on."""
    try:
        update_status(run_dir, finished_at=time.time(), **fields)
    except OSError as exc:
        print(
            f"rmstudio worker: could not write the final status ({exc}); final state was "
            f"{fields.get('state')}: {fields.get('error') or ''}",
            file=sys.stderr,
            flush=True,
        )


def _dispatch_next(spec_home: str | None) -> None:
    """Let the next queued run start now that this one is over (best effort)."""
    if not spec_home:
        return
    try:
        dispatch(spec_home)
    except Exception as exc:  # noqa: BLE001 - the queue is also advanced by the app
        print(f"rmstudio worker: could not start the next queued run: {exc}", file=sys.stderr, flush=True)


def read_spec_fields(run_dir: Path) -> dict:
    """spec.json's fields (checked by `rundir.read_spec`); BadInput naming the problem when it is unreadable."""
    raw = read_spec(run_dir)
    if raw.get(UNREADABLE):
        raise BadInput(f"cannot read the run's spec: {raw[UNREADABLE]}", source=str(run_dir / SPEC_FILE))
    return raw


def load_job(run_dir: Path, raw: dict) -> tuple[kinds.JobKind, object]:
    """The run's kind (named in status.json) and its spec, read by the kind; BadInput when either is unknown or bad."""
    kind = kinds.kind_of_run(read_status(run_dir), raw)
    return kind, kind.read_spec(raw)


def _launcher_pid() -> int:
    """The process that started this worker (named by `processes` in the environment, else the parent)."""
    text = os.environ.get(ENV_LAUNCHER, "")
    return int(text) if text.isdigit() else os.getppid()


def supervise(run_dir: Path) -> int:
    """Run the job (in this process or through accelerate) and write its final status; returns the exit code."""
    if not (run_dir / SPEC_FILE).is_file():
        print(f"rmstudio worker: {run_dir} is not a run directory (no {SPEC_FILE})", file=sys.stderr)
        return 2
    home = None
    try:
        update_status(run_dir, state="running", pid=os.getpid(), worker_start_ticks=process_start_ticks(os.getpid()),
                      launcher_pid=_launcher_pid(), started_at=time.time(), error=None)
        raw = read_spec_fields(run_dir)
        home = raw.get("home")  # the next queued run of this home starts when this one ends
        kind, spec = load_job(run_dir, raw)
        processes = kind.launch(spec)
        summary = (run_distributed(processes, run_dir) if processes
                   else kind.run(spec, run_dir, update_status))
        state = summary.pop("state", "succeeded")
        _finish(run_dir, state=state, summary=summary, error=None, log_tail=None)
        code = 0
    except BaseException as exc:  # noqa: BLE001 - every failure must end as a final state
        traceback.print_exc()
        sys.stderr.flush()
        message, error_type = describe_failure(exc, run_dir)
        print(f"rmstudio worker: run failed: {message}", file=sys.stderr, flush=True)
        if run_dir.is_dir():
            _finish(run_dir, state="failed", error=message, error_type=error_type, log_tail=log_tail(run_dir))
        code = 2 if error_type == "BadInput" else 1
    _dispatch_next(home)
    return code


# --- several processes through accelerate -----------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def accelerate_command(processes: kinds.AccelerateLaunch, run_dir: Path) -> list[str]:
    """`accelerate launch` for this run: its config file, or N local processes (GPUs, or CPU with gloo)."""
    cmd = [sys.executable, "-m", "accelerate.commands.launch"]
    if processes.config_file:
        cmd += ["--config_file", str(processes.config_file)]
        if processes.num_processes > 1:
            cmd += ["--num_processes", str(processes.num_processes)]
    else:
        # --multi_gpu starts torchrun; without CUDA the processes fall back to CPU + gloo.
        cmd += [
            "--multi_gpu",
            "--num_processes",
            str(processes.num_processes),
            "--num_machines",
            "1",
            "--mixed_precision",
            "no",
            "--dynamo_backend",
            "no",
            "--main_process_port",
            str(_free_port()),
        ]
    return [*cmd, "-m", "rmstudio.jobs.worker", "--rank", str(run_dir)]


def run_distributed(processes: kinds.AccelerateLaunch, run_dir: Path) -> dict:
    """Run the ranks under accelerate; SIGTERM here asks them (via the stop file) to stop and save."""
    result = run_dir / RESULT_FILE
    result.unlink(missing_ok=True)
    env = dict(os.environ, **{ENV_SUPERVISOR: str(os.getpid()), "PYTHONUNBUFFERED": "1"})
    if not processes.config_file:
        env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // processes.num_processes)))
    proc = subprocess.Popen(accelerate_command(processes, run_dir), env=env, start_new_session=True)

    def ask_ranks_to_stop(signum, frame):
        with contextlib.suppress(OSError):
            (run_dir / STOP_FILE).touch()

    signal.signal(signal.SIGTERM, ask_ranks_to_stop)
    code = proc.wait()
    outcome = json.loads(result.read_text()) if result.exists() else {}
    if "summary" in outcome:
        return outcome["summary"]
    if outcome.get("error_type") == "BadInput":
        raise BadInput(outcome["error"])
    raise RuntimeError(outcome.get("error") or f"accelerate launch exited with code {code}")


def run_rank(run_dir: Path) -> int:
    """One process of a distributed run; rank 0 reports the outcome in RUN_DIR/result.json."""
    rank0 = int(os.environ.get("RANK", "0")) == 0
    try:
        kind, spec = load_job(run_dir, read_spec_fields(run_dir))
        summary = kind.run(spec, run_dir, update_status if rank0 else None)
        outcome, code = {"summary": summary}, 0
    except BaseException as exc:  # noqa: BLE001 - reported to the supervisor
        traceback.print_exc()
        message, error_type = describe_failure(exc, run_dir)
        outcome, code = {"error": message, "error_type": error_type}, 2 if error_type == "BadInput" else 1
    if rank0:
        with contextlib.suppress(OSError):
            tmp = run_dir / f".{RESULT_FILE}.tmp"
            tmp.write_text(json.dumps(outcome, default=str))
            os.replace(tmp, run_dir / RESULT_FILE)
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rmstudio.jobs.worker", description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", help="the run directory (holds spec.json)")
    parser.add_argument(
        "--rank", action="store_true", help=argparse.SUPPRESS
    )  # internal: one accelerate process
    args = parser.parse_args(argv)
    run_dir = Path(args.run_dir).resolve()
    return run_rank(run_dir) if args.rank else supervise(run_dir)


if __name__ == "__main__":
    sys.exit(main())
