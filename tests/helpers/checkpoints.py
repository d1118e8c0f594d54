"""Real checkpoints for the tests that need a trained model: a few training steps of the embedded MiniLM on
the project's demo pairs, through the same worker `rmstudio train` uses. Trained once per test process
and shared by every module that needs one (a pytest fixture would train once per module)."""

from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import tempfile
from pathlib import Path

DEMO_PAIRS = 160


def trained_run(seed: int = 42, max_steps: int = 6) -> dict:
    """The summary of a finished tiny training run (keys: checkpoint, run_id, home, run_dir, ...).
    `trained_run()` and `trained_run(42)` are the same run: the cache key is normalised here, because
    two runs with one seed need not be bit-identical (thread count, bf16 reductions)."""
    return _trained_run(seed, max_steps)


@functools.cache
def _trained_run(seed: int, max_steps: int) -> dict:
    from rmstudio.data import demo
    from rmstudio.jobs.follow import run_foreground

    keep = os.environ.get("RMSTUDIO_TEST_KEEP_RUNS")  # developer speed-up: reuse runs kept in this folder
    if keep and (Path(keep) / f"seed{seed}-steps{max_steps}.json").is_file():
        return json.loads((Path(keep) / f"seed{seed}-steps{max_steps}.json").read_text())
    home = Path(tempfile.mkdtemp(prefix=f"rmstudio-scoring-{seed}-", dir=keep))
    if not keep:
        atexit.register(shutil.rmtree, home, ignore_errors=True)
    data = demo.write_labeled_demo(home / "pairs.jsonl", n=DEMO_PAIRS)
    summary = run_foreground(
        home, {"data": str(data), "max_steps": max_steps, "seed": seed}, progress=False
    )
    run_dir = Path(summary["checkpoint"]).parent
    run = {**summary, "home": str(home), "run_dir": str(run_dir), "data": str(data)}
    if keep:
        (Path(keep) / f"seed{seed}-steps{max_steps}.json").write_text(json.dumps(run))
    return run


def checkpoint(seed: int = 42) -> str:
    return trained_run(seed)["checkpoint"]


def copy_checkpoint(source: str, dest: Path) -> Path:
    """A private copy a test may damage."""
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("evals"))
    return dest
