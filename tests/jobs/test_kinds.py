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
