"""The files of one run directory: their names, status.json (locked merges), spec.json, metrics.jsonl, log.txt.

Shared by the app side (`queue`) and the run side (`worker`, and the job kinds writing their files): every
module names a run's files by the constants below, and writes status.json only through `update_status`, which
merges the given fields under an fcntl lock and replaces the file atomically, so readers never see half a
file and two writers never lose each other's fields.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import secrets
import time
from collections.abc import Callable
from pathlib import Path

from rmstudio.jobs.runfiles import (
    METRIC_FIELDS,
    SPEC_FIELDS,
    UNREADABLE,
    problem_with_object,
    problem_with_status,
    unreadable,
)

SPEC_FILE = "spec.json"  # what was asked (the job kind's spec)
STATUS_FILE = "status.json"  # queued | running | succeeded | failed | cancelled | interrupted, and progress
METRICS_FILE = "metrics.jsonl"  # one JSON line per log step
LOG_FILE = "log.txt"  # the worker's stdout and stderr
DATA_FILE = "data.parquet"  # the frozen data snapshot
CHECKPOINT_DIR = "checkpoint"  # the final model
CHECKPOINTS_DIR = "checkpoints"  # intermediate (resumable) trainer checkpoints: checkpoints/checkpoint-<step>
EVALS_DIR = "evals"  # inside a checkpoint: one JSON file per evaluation of it
STOP_FILE = "stop"  # its existence asks every process of the run to stop after the current step
RESULT_FILE = "result.json"  # a distributed run's outcome, from rank 0 to the supervising worker
STATUS_LOCK = ".status.lock"
DISPATCH_LOCK = ".dispatch.lock"  # in the runs directory: one dispatch decision at a time

LOG_TAIL_LINES = 40
RUN_ID = re.compile(r"^\d{8}-\d{6}-[0-9a-f]{4}$")
_METRICS_OFFSETS: dict[str, tuple[int, int, int]] = {}  # path -> (inode, records read, byte offset)


def new_run_id(now: float | None = None) -> str:
    """A run id that sorts by creation time (UTC) to ~4 ms and is unique: 20261125-081530-ab12.

    The first two hex digits are the fraction of the second, the last two are random.
    """
    now = time.time() if now is None else now
    fraction = min(255, int((now % 1) * 256))
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime(now)) + f"-{fraction:02x}{secrets.token_hex(1)}"


def run_dirs(root: Path, newest_first: bool = False) -> list[Path]:
    """The run directories under `root`, oldest first (by id, i.e. by creation time)."""
    return sorted((p for p in root.iterdir() if RUN_ID.match(p.name)), reverse=newest_first)


@contextlib.contextmanager
def locked(lock_path: Path):
    """Hold an exclusive fcntl lock on `lock_path` (created if needed) for the duration of the block."""
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def write_json_atomic(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str))
    os.replace(tmp, path)


def read_status(run_dir) -> dict:
    """status.json of a run directory, checked (`runfiles`): its fields, or a marked-unreadable status
    ({"state": "unreadable", "error": "unreadable: <reason>"}) when the file is missing, garbled or mistyped."""
    stored, problem = _stored_status(Path(run_dir))
    return unreadable(problem) if problem else stored


def _stored_status(run_dir: Path) -> tuple[dict, str | None]:
    """(the JSON object in status.json or {}, why it cannot be used or None)."""
    path = run_dir / STATUS_FILE
    for _ in range(3):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}, "status.json is missing"
        except (ValueError, UnicodeDecodeError):  # a writer that does not replace atomically; read again
            time.sleep(0.05)
            continue
        except OSError as exc:
            return {}, f"status.json cannot be read ({exc.strerror or exc})"
        return (data if isinstance(data, dict) else {}), problem_with_status(data)
    return {}, "status.json is not valid JSON"


def is_unreadable(status: dict) -> bool:
    return status.get("state") == UNREADABLE


def update_status(run_dir, *, when: Callable[[dict], bool] | None = None, **fields) -> dict:
    """Merge `fields` into run_dir/status.json under the run's lock; returns the status as it now is.

    The one way to write status.json (the queue and the worker alike). With `when`, the fields are
    merged only if `when(current status)` holds, checked under the lock (e.g. "still queued"), so a
    decision made on a status read cannot overwrite a state another process wrote meanwhile.
    Raises FileNotFoundError when the run directory was deleted, so a worker whose run vanished stops
    instead of recreating it.
    """
    run_dir = Path(run_dir)
    with locked(run_dir / STATUS_LOCK):
        stored, problem = _stored_status(run_dir)
        current = unreadable(problem) if problem and (run_dir / STATUS_FILE).exists() else stored  # missing: new
        if when is None or when(current):
            stored.update(fields)
            write_json_atomic(run_dir / STATUS_FILE, stored)
            problem = problem_with_status(stored)
            current = unreadable(problem) if problem else stored
        return current


def in_state(state: str) -> Callable[[dict], bool]:
    """A `when` condition for `update_status`: the run is (still) in `state`."""
    return lambda status: status.get("state") == state


def read_spec(run_dir) -> dict:
    """spec.json's fields, checked (`runfiles`); {"unreadable": reason} when missing, garbled or mistyped."""
    try:
        data = json.loads((Path(run_dir) / SPEC_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {UNREADABLE: "spec.json is missing"}
    except (ValueError, UnicodeDecodeError):
        return {UNREADABLE: "spec.json is not valid JSON"}
    except OSError as exc:
        return {UNREADABLE: f"spec.json cannot be read ({exc.strerror or exc})"}
    problem = problem_with_object(data, SPEC_FIELDS, "spec.json")
    return {UNREADABLE: problem} if problem else data


def log_tail(run_dir, lines: int = LOG_TAIL_LINES) -> str:
    """The last lines of the worker's log.txt (read from the end: logs can be large)."""
    path = Path(run_dir) / LOG_FILE
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 64 * 1024))
            data = f.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(data.splitlines()[-lines:])


def pid_alive(pid, run_id: str = "rmstudio", start_ticks=None) -> bool:
    """True while `pid` is a live (not zombie) process whose command line names `run_id` (its worker) and,
    when `start_ticks` was recorded, whose start time (/proc/<pid>/stat field 22) is that one.

    `pid` comes from a run file (untrusted): anything but a positive int (-1 would mean every process)
    is no worker. An empty command line is not proof of death: a process that has just been exec'd (the
    parent's Popen has returned, the kernel has not yet filled in the new arguments) and one that is
    exiting both read as empty; measured here, 7 of 300 reads right after Popen on a busy CPU. Only a
    kernel thread (which may reuse a pid) reads empty for good.
    """
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: /proc still tells whether it is this run's worker
    try:
        fields = _proc_stat_fields(pid)
        if start_ticks is not None and int(fields[19]) != start_ticks:
            return False  # the pid now belongs to another process
        if fields[0] in ("Z", "X"):
            _reap_if_our_child(pid, fields)
            return False
        cmdline = _proc_cmdline(pid)
    except (OSError, IndexError, ValueError):
        return True  # no /proc (macOS): trust kill(0)
    if not cmdline:
        return not int(fields[6]) & PF_KTHREAD
    return run_id.encode() in cmdline  # else: the pid was reused


def _reap_if_our_child(pid: int, fields: list[str]) -> None:
    """Collect the exit status of a zombie worker this process is the parent of (so none stays <defunct>)."""
    if int(fields[1]) == os.getpid():
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


def reap_ended_worker(pid, start_ticks, launcher_pid) -> None:
    """Collect a run's ended worker if it is a zombie child of this process, identified by pid and start time.

    A worker started by another worker (the next queued run) is re-parented when that worker exits, to
    init or to the nearest subreaper, which may be this app (the app as a container's pid 1): nobody
    else waits for it. The start time makes sure no other child's exit status is taken, and a worker this
    process started itself (`launcher_pid`) is left to the Popen that waits for it.
    """
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0 or not isinstance(start_ticks, int):
        return
    if not isinstance(launcher_pid, int) or launcher_pid == os.getpid():
        return  # not known to be adopted
    with contextlib.suppress(OSError, IndexError, ValueError):
        fields = _proc_stat_fields(pid)
        if int(fields[19]) == start_ticks and fields[0] in ("Z", "X"):
            _reap_if_our_child(pid, fields)


def process_start_ticks(pid: int) -> int | None:
    """When `pid` started, in clock ticks after boot (/proc/<pid>/stat field 22); None without /proc."""
    try:
        return int(_proc_stat_fields(pid)[19])
    except (OSError, IndexError, ValueError):
        return None


PF_KTHREAD = 0x00200000  # /proc/<pid>/stat "flags": a kernel thread


def _proc_stat_fields(pid: int) -> list[str]:
    """/proc/<pid>/stat after the command name: state, ppid, pgrp, session, tty, tpgid, flags, ..."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _proc_cmdline(pid: int) -> bytes:
    return Path(f"/proc/{pid}/cmdline").read_bytes()


def drop_metrics_after(run_dir: Path, step: int) -> None:
    """Forget metrics logged after `step` so a resumed run does not plot those steps twice."""
    path = Path(run_dir) / METRICS_FILE
    if not path.exists():
        return
    kept = [line for line in path.read_text().splitlines(keepends=True)
            if line.strip() and _step_of(line) <= step]
    tmp = path.with_name(f".{METRICS_FILE}.tmp")
    tmp.write_text("".join(kept))
    os.replace(tmp, path)


def _step_of(line: str) -> float:
    try:
        step = json.loads(line).get("step") or 0
        return float(step) if isinstance(step, (int, float)) else float("inf")
    except (ValueError, AttributeError):
        return float("inf")


def read_metrics(run_dir, since: int = 0) -> list[dict]:
    """The run's metrics.jsonl records from index `since` on (pass the number already held to get only
    new ones). Cheap when polled: continues from the byte offset where the previous read stopped."""
    path = Path(run_dir) / METRICS_FILE
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        return []
    with f:
        stat = os.fstat(f.fileno())
        inode, count, offset = _METRICS_OFFSETS.get(str(path), (stat.st_ino, 0, 0))
        if inode != stat.st_ino or count > since or offset > stat.st_size:
            count, offset = 0, 0
        f.seek(offset)
        data = f.read()
    records = []
    complete = data[: data.rfind(b"\n") + 1]  # a line still being written is read next time
    for line in complete.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue  # blank or garbled: not a record, not counted
        if problem_with_object(record, METRIC_FIELDS, "metrics line"):
            count += 1  # a line of the wrong shape: counted (it is a line), never handed to a reader
            continue
        if count >= since:
            records.append(record)
        count += 1
    _METRICS_OFFSETS[str(path)] = (stat.st_ino, count, offset + len(complete))
    return records
