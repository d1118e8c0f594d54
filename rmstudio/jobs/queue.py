"""The queue of runs: submit, dispatch, status, list, cancel, recover and resume — all through files.

A run is a directory `<home>/runs/<run_id>/` (see docs/architecture.md) of any registered job kind
(`kinds`); the queue itself knows none. The web process never runs jobs: `dispatch` starts a worker
subprocess (`processes`), so a restarted app finds every run again from disk.

status.json has two kinds of writers: the worker while it runs, and this module around the worker's life
(queued, launched, cancelled while queued, found dead); both use `rundir.update_status` (locked merge).
The dispatch decision takes a lock on the runs directory, so two app processes cannot start two jobs on
one device. Nobody needs to poll for the queue to advance: the worker dispatches the next run as it exits.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import time
from pathlib import Path

from rmstudio.errors import BadInput
from rmstudio.jobs import kinds
from rmstudio.jobs.processes import launch, refresh, signal_run_worker
from rmstudio.jobs.rundir import (  # noqa: F401 - status/log helpers are part of the jobs API too
    DISPATCH_LOCK,
    RUN_ID,
    SPEC_FILE,
    in_state,
    is_unreadable,
    locked,
    log_tail,
    new_run_id,
    read_spec,
    read_status,
    run_dirs,
    update_status,
)
from rmstudio.jobs.rundir import read_metrics as read_run_metrics
from rmstudio.jobs.runfiles import UNREADABLE, unreadable
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


# --- submission ---------------------------------------------------------------------------------
def submit(home, spec, kind: str | None = None) -> str:
    """Queue a job and return its run id at once; it starts when its device is free.

    `spec` is a registered kind's spec object, or a dict of its fields for the kind named by `kind`
    (default: the dict's "kind" key, else training). Bad input raises BadInput and leaves no run behind.
    """
    run_dir = prepare(home, spec, kind)
    dispatch(home)
    return run_dir.name


def prepare(home, spec, kind: str | None = None) -> Path:
    """Create a run directory with spec.json, what the kind prepares (a data snapshot) and status `queued`."""
    home = resolve_home(home)
    job = kinds.kind_for(spec, kind)
    spec = job.read_spec(spec)
    with _new_run_dir(home) as run_dir:
        recorded = job.prepare(spec, home, run_dir)
        spec.to_json(run_dir / SPEC_FILE)
        update_status(run_dir, run_id=run_dir.name[len(STAGING):], state="queued", pid=None,
                      created_at=time.time(), started_at=None, finished_at=None, error=None,
                      kind=job.name, kind_module=job.module, device=_device_queue(job.device(spec)), **recorded)
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
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _device_queue(device: str | None) -> str:
    """The queue of a device: "cuda" is "cuda:0"; none named is "auto"."""
    device = str(device or "auto")
    return "cuda:0" if device == "cuda" else device


def _shares_device(a: str, b: str) -> bool:
    """Whether runs on devices a and b would compete ("auto" may be any device: it competes with all)."""
    return a == b or "auto" in (a, b)


# --- dispatch -----------------------------------------------------------------------------------
def dispatch(home) -> list[str]:
    """Start the oldest queued run of every device that has no running run; returns the started ids.

    A run without a device ("auto": CUDA when available, else CPU) waits for every other run, and
    every other run waits for it, so the machine never runs two jobs on one device by default.

    Called after submit, by the worker when it exits (so the queue advances with nobody polling), and
    by `recover`. Safe to call from several processes at once.
    """
    root = runs_dir(resolve_home(home))
    started = []
    with locked(root / DISPATCH_LOCK):
        busy, waiting = [], []
        for run_dir in run_dirs(root):  # oldest first
            st = refresh(run_dir)
            if st.get("state") == "running":
                busy.append(st.get("device") or "auto")
            elif st.get("state") == "queued":
                waiting.append((run_dir, st.get("device") or "auto"))
        for run_dir, device in waiting:
            if any(_shares_device(device, other) for other in busy):
                continue
            busy.append(device)  # also keeps younger runs for this device waiting behind this one
            if launch(run_dir) is not None:
                started.append(run_dir.name)
    return started


# --- reading runs -------------------------------------------------------------------------------
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
    """`refresh`, then dispatch when that found the run's worker gone (outside dispatch only)."""
    was_running = read_status(run_dir).get("state") == "running"
    st = refresh(run_dir)
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
            if not run_dir.is_dir():
                continue  # deleted while listed
            if spec.get(UNREADABLE) and not is_unreadable(st):
                st = unreadable(spec[UNREADABLE])
            summary = st.get("summary") or {}
            start, end = st.get("started_at"), st.get("finished_at")  # time.time() floats
            if start and not end and st.get("state") == "running":
                end = time.time()
            rows.append({
                "run_id": run_dir.name, "kind": kinds.kind_name_of(st, spec), "state": st.get("state", "unknown"),
                "model": spec.get("model"),
                "preset": spec.get("preset"), "data_pairs": st.get("data_pairs"),
                "eval_accuracy": summary.get("eval_accuracy"), "checkpoint": summary.get("checkpoint"),
                "created_at": st.get("created_at"), "started_at": st.get("started_at"),
                "finished_at": st.get("finished_at"),
                "duration_seconds": round(end - start, 1) if start and end else None,
                "progress": st.get("progress"), "error": st.get("error"), "run_dir": str(run_dir),
            })
    return rows


def read_metrics(home, run_id: str, since: int = 0) -> list[dict]:
    """The run's metrics.jsonl records from index `since` on (for live plots; cheap when polled)."""
    return read_run_metrics(run_path(home, run_id), since)


# --- control ------------------------------------------------------------------------------------
def cancel(home, run_id: str, *, wait: bool = False, grace: float = CANCEL_GRACE_SECONDS) -> dict:
    """Cancel a run: a queued run becomes `cancelled` at once; a running worker gets SIGTERM, finishes
    its step, saves and reports `cancelled`. If it has not stopped `grace` seconds later it is killed
    and marked `failed` (enforced by `wait=True` or by any later status read)."""
    run_dir = run_path(home, run_id)
    if not run_dir.is_dir():
        raise BadInput(f"no run {run_id} in {run_dir.parent}", field="run_id")
    now = time.time()
    st = update_status(run_dir, when=in_state("queued"), state="cancelled", finished_at=now,
                       error="cancelled before it started")
    if st.get("state") == "running":
        st = update_status(run_dir, when=_running_without_cancel, cancel_requested_at=now, cancel_deadline=now + grace)
        if st.get("cancel_requested_at") == now:  # this call asked: tell the worker once (if it is ours)
            signal_run_worker(st, run_dir, signal.SIGTERM)
    while wait and status(home, run_id).get("state") == "running":
        time.sleep(0.2)
    return status(home, run_id)


def _running_without_cancel(st: dict) -> bool:
    return st.get("state") == "running" and not st.get("cancel_requested_at")


# --- recovery -----------------------------------------------------------------------------------
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
                    refresh(run_dir, dead_state="interrupted").get("state") == "interrupted":
                interrupted.append(run_dir.name)
    dispatch(home)
    return interrupted


def _remove_stale_staging(root: Path, older_than: float = 3600.0) -> None:
    """Remove run directories whose preparation was cut short (the process died) over an hour ago."""
    for staging in root.glob(f"{STAGING}*"):
        with contextlib.suppress(OSError):
            if time.time() - staging.stat().st_mtime > older_than:
                shutil.rmtree(staging)


def resume(home, run_id: str) -> str:
    """Queue an interrupted, failed or cancelled run again; its kind prepares it to continue (a training
    run from its last intermediate checkpoint, or from the start on the same frozen data). Returns the run id."""
    run_dir = run_path(home, run_id)
    if not run_dir.is_dir():
        raise BadInput(f"no run {run_id} in {run_dir.parent}", field="run_id")
    st = status(home, run_id)
    if st.get("state") not in RESUMABLE:
        raise BadInput(f"run {run_id} is {st.get('state')}; only {', '.join(RESUMABLE)} runs can be resumed",
                       field="run_id")
    spec = read_spec(run_dir)
    if spec.get(UNREADABLE):
        raise BadInput(f"run {run_id} is unreadable: {spec[UNREADABLE]}", field="run_id")
    resumed_from = kinds.kind_of_run(st, spec).resume(run_dir)
    update_status(run_dir, state="queued", pid=None, started_at=None, finished_at=None, error=None,
                  log_tail=None, cancel_requested_at=None, cancel_deadline=None, summary=None,
                  resumed_from=resumed_from, resumes=int(st.get("resumes") or 0) + 1)
    dispatch(home)
    return run_id
