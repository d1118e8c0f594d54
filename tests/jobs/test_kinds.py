"""The job engine is kind-agnostic: a kind declared here (not in rmstudio) runs through the real queue and a
real worker subprocess, which loads it from the module status.json names; an unknown kind fails clearly."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pytest

from rmstudio.errors import BadInput
from rmstudio.jobs import kinds
from rmstudio.jobs import queue as jobs


@dataclass
class EchoSpec:
    """A job that writes its words back, one progress step each."""

    words: list = field(default_factory=list)
    home: str | None = None

    @classmethod
    def from_dict(cls, data: dict) -> EchoSpec:
        return cls(**data)

    def to_json(self, path: Path) -> None:
        Path(path).write_text(json.dumps(asdict(self)))


def prepare_echo(spec: EchoSpec, home: Path, run_dir: Path) -> dict:
    if not spec.words:
        raise BadInput("nothing to echo", field="words")
    spec.home = str(home)
    return {"data_pairs": len(spec.words)}


def run_echo(spec: EchoSpec, run_dir: Path, update_status) -> dict:
    for done in range(1, len(spec.words) + 1):
        update_status(run_dir, progress={"step": done, "total_steps": len(spec.words)})
    return {"echo": " ".join(spec.words)}


ECHO = kinds.register(kinds.JobKind(name="echo-test", spec_type=EchoSpec, prepare=prepare_echo, run=run_echo))


def finished(home: Path, run_id: str, timeout: float = 120.0) -> dict:
    """The run's status once it has ended (polled: the worker is a real subprocess)."""
    deadline = time.time() + timeout
    while (st := jobs.status(home, run_id))["state"] in jobs.ACTIVE:
        assert time.time() < deadline, f"run {run_id} still {st['state']} after {timeout}s: {st}"
        time.sleep(0.1)
    return st


def test_a_kind_registered_outside_rmstudio_runs_through_the_queue_and_a_worker(tmp_path):
    run_id = jobs.submit(tmp_path, EchoSpec(words=["reward", "models"]))
    st = finished(tmp_path, run_id)
    assert st["state"] == "succeeded", (st, (tmp_path / "runs" / run_id / "log.txt").read_text()[-2000:])
    assert st["summary"] == {"echo": "reward models"} and st["progress"]["step"] == 2
    assert (st["kind"], st["kind_module"], st["data_pairs"]) == ("echo-test", __name__, 2)
    assert [(r["run_id"], r["kind"]) for r in jobs.list_runs(tmp_path)] == [(run_id, "echo-test")]


def test_a_kind_is_submitted_by_name_from_a_dict_and_its_bad_input_leaves_no_run(tmp_path):
    with pytest.raises(BadInput, match="nothing to echo"):
        jobs.submit(tmp_path, {"words": []}, kind="echo-test")
    with pytest.raises(BadInput, match="unknown job kind 'no-such-kind'"):
        jobs.submit(tmp_path, {}, kind="no-such-kind")
    assert jobs.list_runs(tmp_path) == []


def test_an_unknown_kind_in_the_run_files_fails_the_run_with_a_clear_message(tmp_path):
    run_dir = jobs.prepare(tmp_path, EchoSpec(words=["hi"]))
    jobs.update_status(run_dir, kind="no-such-kind", kind_module=None)
    jobs.dispatch(tmp_path)
    st = finished(tmp_path, run_dir.name)
    assert st["state"] == "failed" and st["error_type"] == "BadInput"
    assert "unknown job kind 'no-such-kind'" in st["error"] and "train" in st["error"]


BROKEN_STATUSES = ["null", "[1, 2]", '{"state": 3}', '{"state": "running", "pid": "12"}',
                   '{"state": "succeeded", "summary": []}', '{"state": "done"}', "{not json"]


@pytest.mark.parametrize("broken", BROKEN_STATUSES)
def test_a_broken_run_is_listed_unreadable_and_the_queue_still_runs_new_jobs(tmp_path, broken):
    """Run files are untrusted input: a status.json of the wrong shape marks only its own run."""
    bad = tmp_path / "runs" / "20200101-000000-0000"
    bad.mkdir(parents=True)
    (bad / "status.json").write_text(broken)
    (bad / "spec.json").write_text('{"model": "default"}')
    code, listed = _cli_jobs_list(tmp_path)
    assert code == 0 and listed["runs"][0]["state"] == "unreadable"
    assert listed["runs"][0]["error"].startswith("unreadable: status.json")
    run_id = jobs.submit(tmp_path, EchoSpec(words=["still", "works"]))
    assert finished(tmp_path, run_id)["state"] == "succeeded"
    assert {r["run_id"]: r["state"] for r in jobs.list_runs(tmp_path)} == {
        run_id: "succeeded", bad.name: "unreadable"}
    assert (bad / "status.json").read_text() == broken  # left as it was
    assert jobs.status(tmp_path, bad.name)["state"] == "unreadable"
    assert jobs.cancel(tmp_path, bad.name)["state"] == "unreadable"
    with pytest.raises(BadInput):
        jobs.resume(tmp_path, bad.name)


def test_a_broken_spec_or_metrics_line_marks_only_what_it_breaks(tmp_path):
    run_id = jobs.submit(tmp_path, EchoSpec(words=["ok"]))
    finished(tmp_path, run_id)
    run_dir = tmp_path / "runs" / run_id
    (run_dir / "metrics.jsonl").write_text('[1]\n{"step": "x"}\n{"step": 1, "loss": {"a": 1}}\n{"step": 2, "loss": 0.5}\n')
    assert jobs.read_metrics(tmp_path, run_id) == [{"step": 2, "loss": 0.5}]
    (run_dir / "spec.json").write_text('{"model": ["a"]}')
    [row] = jobs.list_runs(tmp_path)
    assert row["state"] == "unreadable" and "spec.json field 'model'" in row["error"]


def _cli_jobs_list(home: Path) -> tuple[int, dict]:
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "rmstudio", "jobs", "list", "--home", str(home)],
                          cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, timeout=300)
    return proc.returncode, json.loads(proc.stdout.strip().splitlines()[-1])
