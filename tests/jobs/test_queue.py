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

from rmstudio.errors import BadInput
from rmstudio.jobs import queue as jobs
from rmstudio.jobs import rundir
from rmstudio.jobs.processes import signal_group

REPO = Path(__file__).resolve().parents[2]


def wait_until(predicate, timeout: float = 180.0, every: float = 0.2, what: str = "condition"):
    """Poll `predicate` until it returns something truthy; fail the test after `timeout` seconds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def fake_run(home: Path, state: str = "queued", device: str | None = "own", **status) -> Path:
    """A run directory as `jobs.prepare` leaves it, without the data (for protocol-only tests).

    device "own": a device of its own (it never waits for another run); None: unnamed ("auto")."""
    run_id = jobs.new_run_id()
    while (home / "runs" / run_id).exists():
        run_id = jobs.new_run_id()
    run_dir = home / "runs" / run_id
    run_dir.mkdir(parents=True)
    (run_dir / "spec.json").write_text(json.dumps({"model": "default"}))
    if device:
        status["device"] = "test-" + run_id if device == "own" else device
    jobs.update_status(run_dir, run_id=run_id, state=state, created_at=time.time(), **status)
    return run_dir


def sleeper(run_dir: Path, ignore_term: bool = False) -> subprocess.Popen:
    """A live process standing in for run_dir's worker (its command line names the run), in its own
    session, recorded as the run's pid. With `ignore_term` it returns once SIGTERM is ignored."""
    ready = run_dir / ".sleeper-ready"
    code = "import pathlib, signal, sys, time\n"
    if ignore_term:
        code += "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    code += "pathlib.Path(sys.argv[1]).touch()\ntime.sleep(120)\n"
    proc = subprocess.Popen([sys.executable, "-c", code, str(ready), "-m", "rmstudio.jobs.worker", str(run_dir)],
                            start_new_session=True)
    jobs.update_status(run_dir, pid=proc.pid, worker_start_ticks=rundir.process_start_ticks(proc.pid))  # as launch
    if ignore_term:
        wait_until(ready.exists, timeout=60, every=0.05, what="the stand-in worker to ignore SIGTERM")
    return proc


# --- protocol, no model ----------------------------------------------------------------------------
def test_run_ids_sort_by_time_and_reject_paths(tmp_path):
    start = 1795594530.0  # 2026-11-25 08:15:30 UTC
    ids = [jobs.new_run_id(start + k * 0.01) for k in range(150)]  # 10 ms apart, across a second boundary
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert ids[0].startswith("20261125-081530-00") and ids[-1].startswith("20261125-081531-")
    assert len(jobs.new_run_id()) == len("20261125-081530-ab12")
    with pytest.raises(BadInput):
        jobs.run_path(tmp_path, "../../etc")


def test_status_writes_from_two_processes_lose_nothing(tmp_path):
    run_dir = fake_run(tmp_path)
    code = ("import sys; from rmstudio.jobs import queue as jobs\n"
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


def test_a_worker_whose_command_line_is_not_readable_yet_is_not_declared_dead(tmp_path, monkeypatch):
    """Right after Popen returns, and while a process exits, /proc/<pid>/cmdline reads empty (seen under
    load: 7 of 300 fresh processes). A live run must not be marked failed for that (a CI run was)."""
    run_dir = fake_run(tmp_path, state="running")
    proc = sleeper(run_dir)
    try:
        assert jobs.status(tmp_path, run_dir.name)["state"] == "running"
        monkeypatch.setattr(rundir, "_proc_cmdline", lambda pid: b"")  # the kernel's window, held open
        assert jobs.status(tmp_path, run_dir.name)["state"] == "running"
        monkeypatch.setattr(rundir, "_proc_cmdline", lambda pid: b"python\0-m\0something-else\0")
        assert jobs.status(tmp_path, run_dir.name)["state"] == "failed"  # the pid now names another program
    finally:
        proc.kill()
        proc.wait()


def test_a_pid_reused_by_a_kernel_thread_is_not_the_worker(tmp_path):
    """A kernel thread's command line reads empty for good, like a fresh worker's for a moment: it must
    not pass for the run's worker."""
    kernel_thread = next((pid for pid in [2, *_proc_pids()] if _is_kernel_thread(pid)), None)  # 2: kthreadd
    if kernel_thread is None:
        pytest.skip("/proc shows no kernel thread here (a container with its own pid namespace)")
    assert rundir._proc_cmdline(kernel_thread) == b""
    assert not rundir.pid_alive(kernel_thread, fake_run(tmp_path, state="running").name)


def _proc_pids() -> list[int]:
    return sorted(int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit())


def _is_kernel_thread(pid: int) -> bool:
    try:
        return bool(int(rundir._proc_stat_fields(pid)[6]) & rundir.PF_KTHREAD)
    except (OSError, IndexError, ValueError):
        return False


@pytest.mark.parametrize("recorded", ["another process", -1, 0, "a string", "a stale start time"])
def test_jobs_cancel_never_signals_a_process_that_is_not_the_runs_worker(tmp_path, recorded):
    """status.json's pid is untrusted: a stale pid (now another program, or the worker's pid reused), -1
    (every process of the user) or a mistyped one is never signalled by the real `jobs cancel`."""
    other = subprocess.Popen(["sleep", "60"])
    try:
        run_dir = fake_run(tmp_path, state="running")
        pid = {"another process": other.pid, "a stale start time": other.pid}.get(recorded, recorded)
        jobs.update_status(run_dir, pid=pid)
        if recorded == "a stale start time":  # a worker's command line, but not the process started for the run
            other.kill()
            other.wait()
            other = sleeper(run_dir)
            jobs.update_status(run_dir, worker_start_ticks=rundir.process_start_ticks(other.pid) - 1)
        code, out, err = run_cli("jobs", "cancel", run_dir.name, "--home", str(tmp_path), "--no-wait")
        assert code == 0, err
        assert other.poll() is None  # left alone
    finally:
        other.kill()
        other.wait()


def test_cancel_queued_run_never_starts(tmp_path):
    run_dir = fake_run(tmp_path)
    st = jobs.cancel(tmp_path, run_dir.name)
    assert st["state"] == "cancelled"
    assert jobs.dispatch(tmp_path) == []
    assert jobs.status(tmp_path, run_dir.name)["state"] == "cancelled"


def test_dead_worker_is_failed_with_log_tail_and_restart_marks_interrupted(tmp_path):
    crashed = fake_run(tmp_path, state="running")
    proc = sleeper(crashed)
    (crashed / "log.txt").write_text("step 3\nKilled\n")
    assert jobs.status(tmp_path, crashed.name)["state"] == "running"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    st = jobs.status(tmp_path, crashed.name)
    assert st["state"] == "failed" and "Killed" in st["log_tail"]
    reused = fake_run(tmp_path, state="running", pid=os.getpid())  # a live pid, but not its worker's
    assert jobs.status(tmp_path, reused.name)["state"] == "failed"

    survivor, orphan = fake_run(tmp_path, state="running"), fake_run(tmp_path, state="running")
    alive, dead = sleeper(survivor), sleeper(orphan)
    os.killpg(dead.pid, signal.SIGKILL)
    dead.wait()
    stale, fresh = tmp_path / "runs" / ".new-20200101-000000-0000", tmp_path / "runs" / ".new-20991231-000000-0000"
    stale.mkdir(), fresh.mkdir()
    os.utime(stale, (0, 0))  # a preparation cut short long ago; `fresh` may still be in progress
    try:
        interrupted = jobs.recover(tmp_path)
        assert not stale.exists() and fresh.exists()
        assert interrupted == [orphan.name]
        assert jobs.status(tmp_path, orphan.name)["state"] == "interrupted"
        assert jobs.status(tmp_path, survivor.name)["state"] == "running"
    finally:
        os.killpg(alive.pid, signal.SIGKILL)
        alive.wait()


def test_worker_ignoring_cancel_is_killed_after_grace(tmp_path):
    run_dir = fake_run(tmp_path, state="running")
    proc = sleeper(run_dir, ignore_term=True)
    st = jobs.cancel(tmp_path, run_dir.name, wait=True, grace=1.0)
    assert st["state"] == "failed" and "did not stop" in st["error"]
    assert proc.wait(10) == -signal.SIGKILL


def test_dispatch_starts_a_run_once_and_waits_for_a_busy_device(tmp_path):
    """Two processes dispatching at once start a queued run once, and nothing on a busy device."""
    running = fake_run(tmp_path, state="running")
    busy = sleeper(running)
    try:
        waiting = fake_run(tmp_path)
        free = fake_run(tmp_path)
        jobs.update_status(waiting, device=jobs.read_status(running)["device"])  # the running run's device
        code = "import sys, json; from rmstudio.jobs import queue as jobs; print(json.dumps(jobs.dispatch(sys.argv[1])))"
        procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], cwd=REPO, stdout=subprocess.PIPE)
                 for _ in range(3)]
        started = [run for p in procs for run in json.loads(p.communicate(timeout=60)[0])]
        assert started == [free.name]  # its worker fails at once here (no data): it must not start twice
        assert jobs.status(tmp_path, waiting.name)["state"] == "queued"
        unnamed = fake_run(tmp_path, device=None)  # no device named: it may share any device, so it waits
        assert jobs.dispatch(tmp_path) == []
        assert jobs.status(tmp_path, unnamed.name)["state"] == "queued"
    finally:
        os.killpg(busy.pid, signal.SIGKILL)
        busy.wait()


def test_queue_advances_when_a_killed_worker_is_noticed(tmp_path):
    """A SIGKILLed worker cannot start the next run; the status read that notices its death does."""
    busy = fake_run(tmp_path, state="running", device=None)
    proc = sleeper(busy)
    waiting = fake_run(tmp_path, device=None)
    assert jobs.dispatch(tmp_path) == [] and jobs.status(tmp_path, waiting.name)["state"] == "queued"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert jobs.status(tmp_path, busy.name)["state"] == "failed"
    assert jobs.read_status(waiting)["state"] != "queued"  # started (its worker then fails here: no data)


@pytest.mark.parametrize("stop", ["jobs cancel", "SIGINT", "SIGTERM"])
def test_cli_train_waits_for_the_running_job_and_stops_with_its_run(tmp_path, stop):
    home = tmp_path / "home"
    busy = fake_run(home, state="running", device=None)
    proc = sleeper(busy)
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text("".join(json.dumps({"prompt": f"p{i}", "chosen": "good", "rejected": "bad"}) + "\n"
                             for i in range(30)))
    # SIGINT as a terminal's Ctrl-C delivers it: a shell running the suite in the background (as CI may)
    # starts it with SIGINT ignored, and the CLI would inherit that
    cli = subprocess.Popen([sys.executable, "-m", "rmstudio", "train", "--home", str(home), "--data", str(pairs)],
                           cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        mine = wait_until(lambda: [r for r in jobs.list_runs(home) if r["run_id"] != busy.name], timeout=180,
                          what="the CLI's run")[0]["run_id"]
        time.sleep(1.0)
        assert jobs.status(home, mine)["state"] == "queued" and cli.poll() is None  # waits its turn
        if stop == "jobs cancel":
            jobs.cancel(home, mine)
        else:
            cli.send_signal(getattr(signal, stop))  # Ctrl-C, or `timeout`: the run stops with the command
        out, err = cli.communicate(timeout=180)
        error = json.loads(out.strip().splitlines()[-1])["error"]
        assert cli.returncode == 1 and (error == "interrupted" if stop != "jobs cancel" else "cancelled" in error)
        assert jobs.status(home, mine)["state"] == "cancelled"
        assert "waiting for the running job" in err
    finally:
        cli.kill()
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def run_cli(*args: str, timeout: float = 300) -> tuple[int, dict, str]:
    """Run `python -m rmstudio ARGS`; returns (exit code, the last stdout line as JSON, stderr)."""
    proc = subprocess.run([sys.executable, "-m", "rmstudio", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout)
    lines = proc.stdout.strip().splitlines()
    return proc.returncode, json.loads(lines[-1]) if lines else {}, proc.stderr


def test_cli_bad_input_exits_2_and_stores_nothing(tmp_path):
    home = str(tmp_path / "home")
    code, out, err = run_cli("train", "--home", home, "--data", str(tmp_path / "missing.jsonl"))
    assert code == 2 and "missing.jsonl" in out["error"]
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text("".join(json.dumps({"prompt": f"p{i}", "chosen": "good", "rejected": "bad"}) + "\n"
                             for i in range(30)))
    code, out, err = run_cli("train", "--home", home, "--data", str(pairs), "--learning-rate", "-1")
    assert code == 2 and "learning_rate" in out["error"]
    code, out, err = run_cli("train", "--home", home, "--data", str(pairs), "--model", str(tmp_path / "nope"))
    assert code == 2 and "model" in out["error"] and "does not exist" in out["error"]
    code, out, err = run_cli("train", "--home", home, "--data", str(pairs), "--model", str(tmp_path))
    assert code == 2 and "not a model directory" in out["error"]
    assert jobs.list_runs(home) == []
    code, out, err = run_cli("jobs", "cancel", "20991231-000000-0000", "--home", home)
    assert code == 2 and "no run" in out["error"]
    code, out, err = run_cli("jobs", "resume", "--home", home)
    assert code == 2
    code, out, err = run_cli("jobs", "--home", home)
    assert code == 0 and out == {"runs": []}


# --- real tiny runs on the embedded MiniLM -----------------------------------------------------------
@pytest.fixture(scope="module")
def pairs_file(tmp_path_factory) -> Path:
    from rmstudio.data.demo import write_labeled_demo

    return write_labeled_demo(tmp_path_factory.mktemp("data") / "pairs.jsonl", n=40)


@pytest.fixture
def home(tmp_path):
    """A fresh home; any worker still running when the test ends is killed (a failed test leaks nothing)."""
    path = tmp_path / "home"
    yield path
    for run in jobs.list_runs(path):
        pid = jobs.read_status(run["run_dir"]).get("pid")
        if run["state"] == "running" and pid:
            signal_group(pid, signal.SIGKILL)


def tiny(data: Path, **overrides) -> dict:
    """A spec that trains MiniLM for a handful of short steps."""
    return {"data": str(data), "model": "default", "batch_size": 2, "max_length": 32, "max_steps": 3,
            "eval_fraction": 0.1, "logging_steps": 1, "eval_steps": 1000, **overrides}


def finished(home: Path, run_id: str) -> dict | None:
    st = jobs.status(home, run_id)
    return st if st["state"] not in jobs.ACTIVE else None


@pytest.mark.slow
def test_queue_live_metrics_cancel_and_next_run_starts_by_itself(home, pairs_file):
    first = jobs.submit(home, tiny(pairs_file, max_steps=2000))
    second = jobs.submit(home, tiny(pairs_file, max_steps=2))
    assert jobs.status(home, first)["state"] == "running"
    assert jobs.status(home, second)["state"] == "queued"  # one job per device; it waits

    seen = wait_until(lambda: jobs.read_metrics(home, first), what="the first metrics line")
    grown = wait_until(lambda: jobs.read_metrics(home, first, since=len(seen)), what="metrics.jsonl to grow")
    assert grown[0]["step"] > seen[-1]["step"] and grown[0]["loss"] is not None
    assert jobs.status(home, second)["state"] == "queued"

    code, out, err = run_cli("jobs", "cancel", first, "--home", str(home))
    assert code == 0, err
    assert out["state"] == "cancelled", out
    assert out["summary"]["steps"] < 2000
    from transformers import AutoModelForSequenceClassification

    model = AutoModelForSequenceClassification.from_pretrained(out["summary"]["checkpoint"])
    assert model.config.num_labels == 1

    st = wait_until(lambda: finished(home, second), what="the queued run to start and end by itself")
    assert st["state"] == "succeeded", st
    assert st["started_at"] >= out["finished_at"]
    code, listed, err = run_cli("jobs", "list", "--home", str(home))
    assert code == 0 and [(r["run_id"], r["state"]) for r in listed["runs"]] == [
        (second, "succeeded"), (first, "cancelled")]
    assert listed["runs"][0]["data_pairs"] == 40 and listed["runs"][0]["duration_seconds"] > 0


@pytest.mark.slow
def test_killed_worker_is_interrupted_then_resumes_from_its_checkpoint(home, pairs_file):
    from rmstudio.training.job import last_trainer_checkpoint

    # a checkpoint after every step: on a fast machine a time-based save may never come before the end
    run = jobs.submit(home, tiny(pairs_file, max_steps=12, save_every_seconds=0))
    run_dir = Path(jobs.status(home, run)["run_dir"])
    saved = wait_until(lambda: last_trainer_checkpoint(run_dir), what="an intermediate checkpoint")
    pid = jobs.read_status(run_dir)["pid"]
    os.kill(pid, signal.SIGKILL)  # like the OOM killer, or a machine restart
    # the dispatcher's reaper thread collects it (no zombie): wait until the pid is gone
    wait_until(lambda: not Path(f"/proc/{pid}").exists(), what="the killed worker to be reaped")

    assert jobs.recover(home) == [run]  # what the app does when it starts again
    st = jobs.status(home, run)
    assert st["state"] == "interrupted" and "restarted" in st["error"] and st["log_tail"]

    assert jobs.resume(home, run) == run
    st = wait_until(lambda: finished(home, run), what="the resumed run to end")
    assert st["state"] == "succeeded", st
    assert Path(st["resumed_from"]).name.startswith("checkpoint-") and st["resumes"] == 1
    assert int(Path(st["resumed_from"]).name.split("-")[1]) >= int(saved.name.split("-")[1])
    assert st["summary"]["steps"] == 12
    steps = [m["step"] for m in jobs.read_metrics(home, run) if m.get("loss") is not None]
    assert steps == sorted(set(steps)) and steps[-1] == 12  # continued, no step logged twice


@pytest.mark.slow
def test_cli_train_prints_the_contract_json(home, pairs_file, tmp_path):
    out_dir = tmp_path / "rm"
    code, out, err = run_cli("train", "--home", str(home), "--data", str(pairs_file), "--max-steps", "3",
                             "--batch-size", "2", "--max-length", "32", "--output", str(out_dir))
    assert code == 0, err
    for key in ("run_id", "checkpoint", "train_pairs", "eval_pairs", "truncated_pairs", "dropped_pairs",
                "eval_accuracy", "train_seconds", "pairs_per_second"):
        assert key in out, key
    assert out["train_pairs"] + out["eval_pairs"] + out["dropped_pairs"] == 40  # each pair accounted for
    assert Path(out["checkpoint"]) == out_dir.resolve()
    assert "step" in err  # the progress bar went to stderr
    from transformers import pipeline

    scores = pipeline("text-classification", model=str(out_dir), function_to_apply="none")(["a", "b"])
    assert len(scores) == 2
    code, st, err = run_cli("jobs", "status", out["run_id"], "--home", str(home))
    assert code == 0 and st["state"] == "succeeded" and st["summary"]["checkpoint"] == out["checkpoint"]
