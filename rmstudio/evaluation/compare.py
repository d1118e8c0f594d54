"""Compare reward checkpoints on the same preference pairs, and on completions a user types.

`evaluate` scores every checkpoint on the same labeled pairs (from `evaluation.pairs.load_pairs`), computes the
figures of `rmstudio.scoring.metrics` and saves the result as JSON in each checkpoint's ``evals/`` folder so
the UI can show the history (`eval_history`). With a data home, results are written only under it: a
checkpoint outside the home gets its ``evals/`` at ``<home>/evals/<hash of its resolved path>/`` (the
studio never writes into a directory a user merely named). `playground` ranks K completions of one prompt under N
checkpoints.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rmstudio.errors import BadInput
from rmstudio.evaluation.pairs import load_pairs
from rmstudio.jobs.rundir import CHECKPOINT_DIR, EVALS_DIR
from rmstudio.scoring import metrics

PREVIEW_CHARS = 300  # text kept per side in the saved disagreement list


def evaluate(
    checkpoints: list[str],
    pairs: Any,
    *,
    home=None,
    batch_size: int | None = None,
    progress: bool = False,
    save: bool = True,
    n_boot: int = 2000,
    seed: int = 0,
) -> dict:
    """Score every checkpoint on the same labeled pairs; return (and save) the comparison.

    Returns {"pairs", "data", "created_at", "results": [one per checkpoint: checkpoint, accuracy,
    accuracy_ci, mean_margin, ece, pairs_per_second, per_category, reliability, margin_hist, margins
    (r_chosen - r_rejected per pair, in input order)],
    "agreement": [{a, b, agreement}], "comparisons": [{a, b, difference (accuracy a - b), ci (95%, paired
    bootstrap), p_value (exact McNemar)}] for every two checkpoints, "disagreements": [largest first],
    "saved": [json paths]}.
    """
    from rmstudio.scoring.scorer import DEFAULT_BATCH_SIZE, RewardScorer, check_checkpoint

    checkpoints = [str(c) for c in (checkpoints if isinstance(checkpoints, (list, tuple)) else [checkpoints])]
    if not checkpoints:
        raise BadInput("give at least one checkpoint to evaluate", field="checkpoint")
    if len(set(checkpoints)) != len(checkpoints):
        raise BadInput("a checkpoint is listed twice", field="checkpoint")
    for checkpoint in checkpoints:
        check_checkpoint(checkpoint)
    rows, source = load_pairs(pairs, home=home)
    prompts = [row["prompt"] for row in rows]
    chosen, rejected = [row["chosen"] for row in rows], [row["rejected"] for row in rows]
    categories = [row.get("category") for row in rows]
    results, margins_by = [], {}
    for checkpoint in checkpoints:
        scorer = RewardScorer.from_pretrained(checkpoint)
        started = time.perf_counter()
        margins = scorer.margins(
            prompts,
            chosen,
            rejected,
            batch_size=batch_size or DEFAULT_BATCH_SIZE,
            progress=progress,
            allow_empty=True,
        )
        seconds = time.perf_counter() - started
        margins_by[checkpoint] = margins
        summary = metrics.summarize(margins, categories, n_boot=n_boot, seed=seed)
        results.append(
            {
                "checkpoint": checkpoint,
                **summary,
                "pairs_per_second": len(rows) / max(seconds, 1e-9),
                "margins": margins,
            }
        )
    report = {
        "pairs": len(rows),
        "data": source,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "results": results,
        "agreement": metrics.pairwise_agreement(margins_by),
        "comparisons": metrics.paired_comparisons(margins_by, n_boot=n_boot, seed=seed),
        "disagreements": [_with_pair(item, rows) for item in metrics.disagreements(margins_by)],
    }
    report["saved"] = save_report(report, checkpoints, home=home) if save else []
    return report


def _with_pair(item: dict, rows: list[dict]) -> dict:
    row = rows[item["index"]]
    return {
        **item,
        "id": row.get("id"),
        "category": row.get("category"),
        **{side: preview(row[side]) for side in ("prompt", "chosen", "rejected")},
    }


def preview(value: Any, limit: int = PREVIEW_CHARS) -> str:
    """A short readable text of a string or a message list."""
    if isinstance(value, list):
        value = "\n".join(f"{m.get('role')}: {m.get('content')}" for m in value)
    value = str(value)
    return value if len(value) <= limit else value[: limit - 1] + "…"


def evals_folder(checkpoint: str | os.PathLike, home=None) -> Path | None:
    """Where a local checkpoint's evaluations live: <checkpoint>/evals/ inside the home (or with no home),
    <home>/evals/<sha256 of the resolved path, 16 hex>/ for one outside it; None for a Hub id."""
    folder = Path(checkpoint)
    if not folder.is_dir():
        return None  # a Hub id: nowhere of ours to write
    if home is None:
        return folder / EVALS_DIR
    resolved, home = folder.resolve(), Path(home).resolve()
    if resolved.is_relative_to(home):
        return resolved / EVALS_DIR
    return home / EVALS_DIR / hashlib.sha256(str(resolved).encode()).hexdigest()[:16]


def save_report(report: dict, checkpoints: list[str], *, home=None) -> list[str]:
    """Write the report to <evals folder>/<UTC time>.json for each local checkpoint (`evals_folder`); the paths."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    saved = []
    for checkpoint in checkpoints:
        folder = evals_folder(checkpoint, home)
        if folder is None:
            continue
        target = folder / f"{stamp}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        saved.append(str(target))
    body = json.dumps({**report, "saved": saved}, indent=1, allow_nan=True)
    for path in saved:
        tmp = Path(path).with_suffix(".tmp")
        tmp.write_text(body)
        tmp.replace(path)
    return saved


def eval_history(checkpoint: str | os.PathLike, home=None) -> list[dict]:
    """Every saved evaluation of a checkpoint, oldest first (each the dict `evaluate` returned); with `home`,
    where `evaluate(..., home=home)` saved them (see `evals_folder`)."""
    folder = evals_folder(checkpoint, home) or Path(checkpoint) / EVALS_DIR
    history = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            history.append({**json.loads(path.read_text()), "path": str(path)})
        except (OSError, ValueError):
            continue  # a half-written or foreign file is not history
    return history


def short_names(checkpoints: list[str]) -> list[str]:
    """Readable unique column names: the run id for <run>/checkpoint, else the folder name."""
    names = []
    for checkpoint in checkpoints:
        path = Path(str(checkpoint).rstrip("/"))
        names.append(path.parent.name if path.name == CHECKPOINT_DIR and path.parent.name else path.name)
    return names if len(set(names)) == len(names) and all(names) else [str(c) for c in checkpoints]


def playground(prompt: Any, completions: list, checkpoints: list[str], *, batch_size: int | None = None):
    """Score K completions of one prompt under N checkpoints: a pandas DataFrame with one row per
    completion and, per checkpoint, its score and its rank (1 = best; equal scores share a rank)."""
    import pandas as pd

    from rmstudio.scoring.scorer import DEFAULT_BATCH_SIZE, RewardScorer

    if isinstance(completions, str) or not completions:
        raise BadInput("give a list of one or more completions", field="completions")
    if isinstance(checkpoints, str):
        checkpoints = [checkpoints]
    if not checkpoints:
        raise BadInput("give at least one checkpoint", field="checkpoint")
    table = pd.DataFrame({"completion": [preview(c, 200) for c in completions]})
    for name, checkpoint in zip(short_names(list(checkpoints)), checkpoints, strict=True):
        scorer = RewardScorer.from_pretrained(checkpoint)
        scores = scorer.score(
            [prompt] * len(completions), list(completions), batch_size=batch_size or DEFAULT_BATCH_SIZE
        )
        table[f"{name} score"] = scores
        table[f"{name} rank"] = table[f"{name} score"].rank(ascending=False, method="min").astype(int)
    return table
