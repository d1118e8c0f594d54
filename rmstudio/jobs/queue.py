"""Background training runs: submit, queue, status, cancel, recover and resume — all through files.

A run is a directory `<home>/runs/<run_id>/` (see DESIGN.md). The web process never trains: `dispatch`
starts `python -m rmstudio.jobs.worker RUN_DIR` as a detached subprocess (its own session, output to log.txt),
so killing the worker cannot hurt the app, and a restarted app finds every run again from disk.

status.json has two kinds of writers: the worker while it runs, and this module around the worker's life
(queued, launched, cancelled while queued, found dead); both use `rundir.update_status` (locked merge).
The dispatch decision takes a lock on the runs directory, so two app processes cannot start two jobs on
one device. Nobody needs to poll for the queue to advance: the worker dispatches the next run as it exits.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from rmstudio.errors import BadInput
from rmstudio.jobs.rundir import (  # noqa: F401 - status/log helpers are part of the jobs API too
    RUN_ID,
    drop_metrics_after,
    last_trainer_checkpoint,
    locked,
    log_tail,
    new_run_id,
    pid_alive,
    read_spec,
    read_status,
    run_dirs,
    update_status,
    write_json_atomic,
)
from rmstudio.jobs.rundir import read_metrics as read_run_metrics
from rmstudio.settings import resolve_home, runs_dir

ACTIVE = ("queued", "running")
TERMINAL = ("succeeded", "failed", "cancelled", "interrupted")
RESUMABLE = ("interrupted", "failed", "cancelled")
STAGING = ".new-"  # prefix of a run directory being prepared (invisible to the queue and lists)
CANCEL_GRACE_SECONDS = 120.0  # after SIGTERM the worker finishes its step and saves; then it is killed


def run_path(home, run_id: str) -> Path:
    """The directory of `run_id` (which must look like a run id: no path tricks)."""
    if not isinstance(run_id, str) or not RUN_ID.match(run_id):
        raise BadInput(f"not a run id: {run_id!r} (expected e.g. 20261125-081530-ab12)", field="run_id")
    return runs_dir(resolve_home(home)) / run_id


# --- worker processes -----------------------------------------------------------------------------
def _worker_env() -> dict:
    """The environment for a worker: the same as ours, with this rmstudio importable and unbuffered logs."""
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH", "")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _start_worker(run_dir: Path) -> subprocess.Popen:
    """Start the worker for `run_dir` in its own session (so signals to the app never reach it)."""
    with open(run_dir / "log.txt", "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "rmstudio.jobs.worker", str(run_dir)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            cwd=str(run_dir), env=_worker_env(), start_new_session=True,
        )


def _launch(run_dir: Path) -> subprocess.Popen | None:
    """Start the worker and record it as running; a launch failure marks the run failed."""
    try:
        proc = _start_worker(run_dir)
    except OSError as exc:
        update_status(run_dir, state="failed", error=f"could not start the worker: {exc}", finished_at=time.time())
        return None
    with locked(run_dir / ".status.lock"):  # unless a quick worker already wrote its own (final) state
        st = read_status(run_dir)
        if st.get("state") == "queued":
            st.update(state="running", pid=proc.pid, started_at=time.time(), finished_at=None, error=None)
            write_json_atomic(run_dir / "status.json", st)
    return proc


def _signal_group(pid: int, sig: int) -> None:
    """Send `sig` to the worker's process group (the worker and anything it started, e.g. accelerate)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


def _device_of(spec: dict) -> str:
    """The device a run occupies: its spec's `device` ("cuda" = "cuda:0"), or "auto" when unnamed."""
    device = str(spec.get("device") or "auto")
    return "cuda:0" if device == "cuda" else device


def _shares_device(a: str, b: str) -> bool:
    """Whether runs on devices a and b would compete ("auto" may be any device: it competes with all)."""
    return a == b or "auto" in (a, b)


# --- public API ---------------------------------------------------------------------------------
def _to_spec(spec):
    from rmstudio.training.spec import TrainSpec

    if isinstance(spec, TrainSpec):
        return spec
    if isinstance(spec, dict):
        return TrainSpec.from_dict(spec)
    raise BadInput(f"a training spec must be a TrainSpec or a dict, not {type(spec).__name__}", field="spec")


def prepare(home, spec) -> Path:
    """Create a run directory with spec.json, the frozen data snapshot and status `queued`.

    Bad input (no labeled pairs, bad hyperparameters, ...) raises BadInput and leaves no run behind.
    """
    from rmstudio.training import trainer as training

    home = resolve_home(home)
    spec = _to_spec(spec)
    spec.home = str(home)
    spec.validate()
    _check_model(spec.model)
    with _new_run_dir(home) as run_dir:
        spec.data_hash = training.freeze_data(spec, run_dir)
        spec.to_json(run_dir / "spec.json")
        update_status(run_dir, run_id=run_dir.name[len(STAGING):], state="queued", pid=None,
                      created_at=time.time(), started_at=None, finished_at=None, error=None,
                      data_pairs=_count_rows(run_dir))
    return run_dir.with_name(run_dir.name[len(STAGING):])


@contextlib.contextmanager
def _new_run_dir(home: Path):
    """A hidden staging directory for a new run, moved into place (queued, complete) when the block ends.

    Readers never see a half-made run; on an exception it is removed and nothing is left behind.
    """
    root = runs_dir(home)
    while True:
        staging = root / f"{STAGING}{new_run_id()}"
        with contextlib.suppress(FileExistsError):
            staging.mkdir()
            break
    try:
        yield staging
        os.rename(staging, root / staging.name[len(STAGING):])
    except BaseException:
        import shutil

        shutil.rmtree(staging, ignore_errors=True)
        raise


def submit_generation(home, spec) -> str:
    """Queue a candidate-generation job (generation.GenerateSpec or dict); returns its run id at once.

    It shares the queue with training (one job per device) and the run files (status, log, cancel).
    """
    from rmstudio.labeling.generation import GenerateSpec

    home = resolve_home(home)
    spec = spec if isinstance(spec, GenerateSpec) else GenerateSpec.from_dict(dict(spec))
    spec.home = str(home)
    spec.validate()
    with _new_run_dir(home) as run_dir:
        run_id = run_dir.name[len(STAGING):]
        spec.to_json(run_dir / "spec.json")
        update_status(run_dir, run_id=run_id, state="queued", pid=None, created_at=time.time(), started_at=None,
                      finished_at=None, error=None, kind="generate", data_pairs=len(spec.prompts))
    dispatch(home)
    return run_id


def _check_model(model: str) -> None:
    """BadInput now, before a run exists, for a local model that cannot become a reward model.
    (Hub ids are checked by the worker: reaching the Hub is not the web process's job.)"""
    from rmstudio.model import backbones as models

    models.resolve_model_path(model)
    if model != "default" and models.is_local_model(model):
        models.load_config(model)


def _count_rows(run_dir: Path) -> int | None:
    try:
        import pyarrow.parquet as pq

        return pq.read_metadata(run_dir / "data.parquet").num_rows
    except Exception:  # noqa: BLE001 - the count is informative only
        return None


def submit(home, spec) -> str:
    """Queue a training run and return its id at once; it starts when its device is free."""
    run_dir = prepare(home, spec)
    dispatch(home)
    return run_dir.name


def dispatch(home) -> list[str]:
    """Start the oldest queued run of every device that has no running run; returns the started ids.

    A run without a device ("auto": CUDA when available, else CPU) waits for every other run, and
    every other run waits for it, so the machine never trains two jobs on one device by default.

    Called after submit, by the worker when it exits (so the queue advances with nobody polling), and
    by `recover`. Safe to call from several processes at once.
    """
    root = runs_dir(resolve_home(home))
    started = []
    with locked(root / ".dispatch.lock"):
        busy, waiting = [], []
        for run_dir in run_dirs(root):  # oldest first
            state = _refresh(run_dir).get("state")
            if state == "running":
                busy.append(_device_of(read_spec(run_dir)))
            elif state == "queued":
                waiting.append((run_dir, _device_of(read_spec(run_dir))))
        for run_dir, device in waiting:
            if any(_shares_device(device, other) for other in busy):
                continue
            busy.append(device)  # also keeps younger runs for this device waiting behind this one
            if _launch(run_dir) is not None:
                started.append(run_dir.name)
    return started


def _refresh(run_dir: Path, *, dead_state: str = "failed") -> dict:
    """The run's status, after noticing a worker that died without saying so or ignores a cancel."""
    st = read_status(run_dir)
    if st.get("state") != "running":
        return st
    now = time.time()
    alive = pid_alive(st.get("pid"), run_dir.name)
    if alive and st.get("cancel_deadline") and now > st["cancel_deadline"]:
        _signal_group(st["pid"], signal.SIGKILL)
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
    with locked(run_dir / ".status.lock"):
        st = read_status(run_dir)
        if st.get("state") == "running":
            st.update(fields)
            write_json_atomic(run_dir / "status.json", st)
        return st


def status(home, run_id: str) -> dict:
    """The run's status.json (state, pid, times, error, log_tail, progress, summary) plus run_id/run_dir.

    A run directory that was deleted reports state `gone`; a worker that died reports `failed` (and
    the next queued run starts: a killed worker could not do that itself).
    """
    run_dir = run_path(home, run_id)
    if not run_dir.is_dir():
        return {"run_id": run_id, "state": "gone", "run_dir": str(run_dir),
                "error": f"run directory {run_dir} does not exist (deleted?)"}
    try:
        st = _refresh_and_advance(home, run_dir)
    except FileNotFoundError:  # deleted between the check and the read
        return {"run_id": run_id, "state": "gone", "run_dir": str(run_dir), "error": "run directory was deleted"}
    return {**st, "run_id": run_id, "run_dir": str(run_dir)}


def _refresh_and_advance(home, run_dir: Path) -> dict:
    """`_refresh`, then dispatch when that found the run's worker gone (outside dispatch only)."""
    was_running = read_status(run_dir).get("state") == "running"
    st = _refresh(run_dir)
    if was_running and st.get("state") != "running":
        dispatch(home)
    return st


def list_runs(home) -> list[dict]:
    """Every run, newest first: run_id, state, model, data_pairs, eval_accuracy, duration_seconds, ..."""
    root = runs_dir(resolve_home(home))
    rows = []
    for run_dir in run_dirs(root, newest_first=True):
        with contextlib.suppress(FileNotFoundError):
            st, spec = _refresh_and_advance(home, run_dir), read_spec(run_dir)
            summary = st.get("summary") or {}
            start, end = st.get("started_at"), st.get("finished_at")  # time.time() floats
            if start and not end and st.get("state") == "running":
                end = time.time()
            rows.append({
                "run_id": run_dir.name, "kind": spec.get("kind", "train"), "state": st.get("state", "unknown"),
                "model": spec.get("model"),
                "preset": spec.get("preset"), "data_pairs": st.get("data_pairs"),
                "eval_accuracy": summary.get("eval_accuracy"), "checkpoint": summary.get("checkpoint"),
                "created_at": st.get("created_at"), "started_at": st.get("started_at"),
                "finished_at": st.get("finished_at"),
                "duration_seconds": round(end - start, 1) if start and end else None,
                "progress": st.get("progress"), "error": st.get("error"), "run_dir": str(run_dir),
            })
    return rows


def cancel(home, run_id: str, *, wait: bool = False, grace: float = CANCEL_GRACE_SECONDS) -> dict:
    """Cancel a run: a queued run becomes `cancelled` at once; a running worker gets SIGTERM, finishes
    its step, saves and reports `cancelled`. If it has not stopped `grace` seconds later it is killed
    and marked `failed` (enforced by `wait=True` or by any later status read)."""
    run_dir = run_path(home, run_id)
    if not run_dir.is_dir():
        raise BadInput(f"no run {run_id} in {run_dir.parent}", field="run_id")
    with locked(run_dir / ".status.lock"):
        st = read_status(run_dir)
        now = time.time()
        if st.get("state") == "queued":
            st.update(state="cancelled", finished_at=now, error="cancelled before it started")
            write_json_atomic(run_dir / "status.json", st)
        elif st.get("state") == "running" and not st.get("cancel_requested_at"):
            st.update(cancel_requested_at=now, cancel_deadline=now + grace)
            write_json_atomic(run_dir / "status.json", st)
            if st.get("pid"):
                _signal_group(st["pid"], signal.SIGTERM)
    while wait and status(home, run_id).get("state") == "running":
        time.sleep(0.2)
    return status(home, run_id)


def recover(home) -> list[str]:
    """At app start: mark running runs whose worker is gone as `interrupted`; start queued runs.

    Returns the ids marked interrupted (they can be resumed with `resume`).
    """
    root = runs_dir(resolve_home(home))
    _remove_stale_staging(root)
    interrupted = []
    for run_dir in run_dirs(root):
        with contextlib.suppress(FileNotFoundError):
            if read_status(run_dir).get("state") == "running" and \
                    _refresh(run_dir, dead_state="interrupted").get("state") == "interrupted":
                interrupted.append(run_dir.name)
    dispatch(home)
    return interrupted


def _remove_stale_staging(root: Path, older_than: float = 3600.0) -> None:
    """Remove run directories whose preparation was cut short (the process died) over an hour ago."""
    import shutil

    for staging in root.glob(f"{STAGING}*"):
        with contextlib.suppress(OSError):
            if time.time() - staging.stat().st_mtime > older_than:
                shutil.rmtree(staging)


def resume(home, run_id: str) -> str:
    """Queue an interrupted, failed or cancelled run again, continuing from its last intermediate
    checkpoint (from the start, on the same frozen data, when it has none). Returns the run id."""
    run_dir = run_path(home, run_id)
    if not run_dir.is_dir():
        raise BadInput(f"no run {run_id} in {run_dir.parent}", field="run_id")
    st = status(home, run_id)
    if st.get("state") not in RESUMABLE:
        raise BadInput(f"run {run_id} is {st.get('state')}; only {', '.join(RESUMABLE)} runs can be resumed",
                       field="run_id")
    checkpoint = last_trainer_checkpoint(run_dir)
    spec = read_spec(run_dir)
    spec["resume_from"] = str(checkpoint) if checkpoint else None
    write_json_atomic(run_dir / "spec.json", spec)
    drop_metrics_after(run_dir, int(checkpoint.name.split("-")[-1]) if checkpoint else 0)
    update_status(run_dir, state="queued", pid=None, started_at=None, finished_at=None, error=None,
                  log_tail=None, cancel_requested_at=None, cancel_deadline=None, summary=None,
                  resumed_from=spec["resume_from"], resumes=int(st.get("resumes") or 0) + 1)
    dispatch(home)
    return run_id


def read_metrics(home, run_id: str, since: int = 0) -> list[dict]:
    """The run's metrics.jsonl records from index `since` on (for live plots; cheap when polled)."""
    return read_run_metrics(run_path(home, run_id), since)


def run_foreground(home, spec, progress: bool = True) -> dict:
    """Queue a run and wait for its end with a progress bar on stderr (CLI `train`); its summary.

    See `rmstudio.jobs.follow.run_foreground`.
    """
    from rmstudio.jobs.follow import run_foreground as follow_to_the_end

    return follow_to_the_end(home, spec, progress=progress)
