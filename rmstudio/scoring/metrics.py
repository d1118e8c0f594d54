"""Pure math of reward-model evaluation: every function takes margins (r_chosen - r_rejected), no model.

Conventions shared by every function here:
- a pair is decided correctly when its margin is > 0; a tie (margin == 0) counts as wrong (RewardBench).
- sigmoid(margin) is read as the model's P(chosen preferred). Calibration is measured the standard
  top-label way: the model's confidence in its own decision is max(p, 1 - p) (in [0.5, 1]), and a
  reliability table compares it with how often that decision is right.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

RELIABILITY_BINS = 10
HISTOGRAM_BINS = 20


def sigmoid(margins) -> np.ndarray:
    """P(chosen preferred) for each margin, without overflow for large |margin|."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(margins, dtype=np.float64)))


def decisions(margins) -> np.ndarray:
    """+1 when chosen scored higher, -1 when rejected did, 0 for a tie."""
    return np.sign(np.asarray(margins, dtype=np.float64)).astype(np.int8)


def correct(margins) -> np.ndarray:
    """Boolean per pair: chosen strictly above rejected (ties are wrong)."""
    return np.asarray(margins, dtype=np.float64) > 0


def pairwise_accuracy(margins) -> float:
    """Share of pairs where chosen scored strictly higher than rejected."""
    hits = correct(margins)
    return float(hits.mean()) if hits.size else float("nan")


def bradley_terry_loss(margins) -> float:
    """Mean of -log sigmoid(margin): the loss a reward trainer minimises (nan for no pairs)."""
    margins = np.asarray(margins, dtype=np.float64)
    return float(np.logaddexp(0.0, -margins).mean()) if margins.size else float("nan")


def bootstrap_ci(hits, *, n_boot: int = 2000, level: float = 0.95, seed: int = 0) -> list[float]:
    """Percentile bootstrap interval of the accuracy of 0/1 outcomes `hits`.

    Resampling n Bernoulli outcomes with replacement gives Binomial(n, accuracy) successes, so the
    bootstrap distribution is drawn exactly from that binomial (O(n_boot), whatever n is).
    """
    hits = np.asarray(hits, dtype=bool)
    n = hits.size
    if n == 0:
        return [float("nan"), float("nan")]
    rng = np.random.default_rng(seed)
    resampled = rng.binomial(n, hits.mean(), size=n_boot) / n
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(resampled, [tail, 1.0 - tail])
    return [float(low), float(high)]


def mcnemar_exact(hits_a, hits_b) -> float:
    """Two-sided exact McNemar p-value of two checkpoints' 0/1 outcomes on the same pairs.

    Only the discordant pairs (one right, the other wrong) tell the two apart; under "equally accurate"
    each of them goes either way with probability 1/2, so the test is a binomial test on them (scipy).
    1.0 when no pair is discordant.
    """
    from scipy.stats import binomtest

    only_a, only_b = _discordant(hits_a, hits_b)
    if only_a + only_b == 0:
        return 1.0
    return float(binomtest(only_a, only_a + only_b, 0.5, alternative="two-sided").pvalue)


def paired_difference_ci(hits_a, hits_b, *, n_boot: int = 2000, level: float = 0.95, seed: int = 0) -> list[float]:
    """Percentile bootstrap interval of accuracy(a) - accuracy(b), resampling the pairs (paired: both
    checkpoints keep their outcomes on a resampled pair).

    A pair's difference is +1 (only a right), -1 (only b right) or 0, so resampling n pairs draws the
    counts of the three kinds from a multinomial: exact, O(n_boot) whatever n is (like `bootstrap_ci`).
    """
    only_a, only_b = _discordant(hits_a, hits_b)
    n = np.asarray(hits_a).size
    if n == 0:
        return [float("nan"), float("nan")]
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(n, [only_a / n, only_b / n, (n - only_a - only_b) / n], size=n_boot)
    resampled = (counts[:, 0] - counts[:, 1]) / n
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(resampled, [tail, 1.0 - tail])
    return [float(low), float(high)]


def paired_comparisons(margins_by_checkpoint: dict[str, Sequence[float]], *, n_boot: int = 2000,
                       seed: int = 0) -> list[dict]:
    """For every two checkpoints scored on the same pairs: {a, b, difference (accuracy a - b), ci (95%
    paired bootstrap), p_value (exact McNemar)}. Whether a difference is real is read from these, not
    from two overlapping single-checkpoint intervals."""
    names = list(margins_by_checkpoint)
    hits = {name: correct(margins_by_checkpoint[name]) for name in names}
    rows = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            rows.append({
                "a": a, "b": b,
                "difference": pairwise_accuracy(margins_by_checkpoint[a]) - pairwise_accuracy(margins_by_checkpoint[b]),
                "ci": paired_difference_ci(hits[a], hits[b], n_boot=n_boot, seed=seed),
                "p_value": mcnemar_exact(hits[a], hits[b]),
            })
    return rows


def _discordant(hits_a, hits_b) -> tuple[int, int]:
    """(pairs only a got right, pairs only b got right)."""
    a, b = np.asarray(hits_a, dtype=bool), np.asarray(hits_b, dtype=bool)
    if a.shape != b.shape:
        raise ValueError("both checkpoints need an outcome for the same pairs")
    return int((a & ~b).sum()), int((~a & b).sum())


def accuracy_by_category(margins, categories: Sequence[str | None]) -> dict[str, dict]:
    """{category: {"accuracy", "pairs"}} over pairs that carry a category; {} when none does."""
    margins = np.asarray(margins, dtype=np.float64)
    if len(categories) != margins.size:
        raise ValueError("one category per margin is needed")
    labels = np.array([c if isinstance(c, str) and c else "" for c in categories], dtype=object)
    table = {}
    for name in sorted(set(labels) - {""}):
        mask = labels == name
        table[name] = {"accuracy": pairwise_accuracy(margins[mask]), "pairs": int(mask.sum())}
    return table


def margin_histogram(margins, bins: int = HISTOGRAM_BINS) -> dict:
    """Histogram data of margins: {"edges": bins+1 floats, "counts": bins ints}."""
    margins = np.asarray(margins, dtype=np.float64)
    if margins.size == 0:
        return {"edges": [], "counts": []}
    low, high = float(margins.min()), float(margins.max())
    if low == high:
        low, high = low - 0.5, high + 0.5
    counts, edges = np.histogram(margins, bins=bins, range=(low, high))
    return {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts]}


def reliability_table(margins, n_bins: int = RELIABILITY_BINS) -> list[dict]:
    """Confidence max(p, 1-p) binned into `n_bins` equal bins over [0.5, 1]; per bin: count, mean
    confidence and accuracy (None for empty bins). The last bin includes confidence 1.0."""
    margins = np.asarray(margins, dtype=np.float64)
    p = sigmoid(margins)
    confidence = np.maximum(p, 1.0 - p)
    hits = correct(margins)
    width = 0.5 / n_bins
    index = np.clip(np.floor((confidence - 0.5) / width).astype(int), 0, n_bins - 1)
    rows = []
    for b in range(n_bins):
        mask = index == b
        count = int(mask.sum())
        rows.append(
            {
                "lower": round(0.5 + b * width, 10),
                "upper": round(0.5 + (b + 1) * width, 10),
                "count": count,
                "confidence": float(confidence[mask].mean()) if count else None,
                "accuracy": float(hits[mask].mean()) if count else None,
            }
        )
    return rows


def expected_calibration_error(table: list[dict]) -> float:
    """ECE = sum over bins of (bin share) * |accuracy - confidence|, from a `reliability_table`."""
    total = sum(row["count"] for row in table)
    if not total:
        return float("nan")
    return float(
        sum(row["count"] / total * abs(row["accuracy"] - row["confidence"]) for row in table if row["count"])
    )


def pairwise_agreement(margins_by_checkpoint: dict[str, Sequence[float]]) -> list[dict]:
    """For every two checkpoints, the share of pairs where their decisions (chosen/rejected/tie) match."""
    names = list(margins_by_checkpoint)
    decided = {name: decisions(margins_by_checkpoint[name]) for name in names}
    rows = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            same = decided[a] == decided[b]
            rows.append({"a": a, "b": b, "agreement": float(same.mean()) if same.size else float("nan")})
    return rows


def disagreements(margins_by_checkpoint: dict[str, Sequence[float]]) -> list[dict]:
    """Pairs on which the checkpoints' decisions differ, largest disagreement first.

    The size of a disagreement is the spread of P(chosen preferred) = sigmoid(margin) across checkpoints
    (max - min, in [0, 1]), comparable between checkpoints whose margins have different scales.
    Each item: index (position in the evaluated pairs), size, margins and decisions per checkpoint.
    """
    names = list(margins_by_checkpoint)
    if len(names) < 2:
        return []
    matrix = np.vstack([np.asarray(margins_by_checkpoint[n], dtype=np.float64) for n in names])
    signs = np.sign(matrix)
    differ = (signs != signs[0]).any(axis=0)
    probs = sigmoid(matrix)
    spread = probs.max(axis=0) - probs.min(axis=0)
    items = [
        {
            "index": int(j),
            "size": float(spread[j]),
            "margins": {n: float(matrix[i, j]) for i, n in enumerate(names)},
            "decisions": {n: _decision_name(signs[i, j]) for i, n in enumerate(names)},
        }
        for j in np.flatnonzero(differ)
    ]
    return sort_disagreements(items)


def sort_disagreements(items: list[dict], by: str = "size", descending: bool = True) -> list[dict]:
    """Sort a disagreement list by "size" (default, largest first) or "index"."""
    if by not in {"size", "index"}:
        raise ValueError(f"cannot sort disagreements by {by!r}; use 'size' or 'index'")
    return sorted(
        items, key=lambda item: item[by], reverse=descending
    )  # stable: equal sizes keep index order


def _decision_name(sign: float) -> str:
    return "chosen" if sign > 0 else "rejected" if sign < 0 else "tie"


def held_out_figures(margins, categories: Sequence[str | None]) -> dict:
    """What a checkpoint's eval.json holds about its run's held-out pairs, from `summarize`'s figures:
    eval_pairs, eval_accuracy, eval_mean_margin, eval_loss (`bradley_terry_loss`) and per_category,
    where a pair without a category counts as "(none)". None figures and {} when no pair was held out."""
    if not len(margins):
        return {
            "eval_pairs": 0,
            "eval_accuracy": None,
            "eval_mean_margin": None,
            "eval_loss": None,
            "per_category": {},
        }
    figures = summarize(margins, [c if isinstance(c, str) and c else "(none)" for c in categories])
    return {
        "eval_pairs": len(margins),
        "eval_accuracy": figures["accuracy"],
        "eval_mean_margin": figures["mean_margin"],
        "eval_loss": bradley_terry_loss(margins),
        "per_category": figures["per_category"],
    }


def summarize(
    margins, categories: Sequence[str | None] | None = None, *, n_boot: int = 2000, seed: int = 0
) -> dict:
    """All single-checkpoint figures for one margin vector (the per-checkpoint part of an eval result)."""
    margins = np.asarray(margins, dtype=np.float64)
    table = reliability_table(margins)
    return {
        "accuracy": pairwise_accuracy(margins),
        "accuracy_ci": bootstrap_ci(correct(margins), n_boot=n_boot, seed=seed),
        "mean_margin": float(margins.mean()) if margins.size else float("nan"),
        "ece": expected_calibration_error(table),
        "per_category": accuracy_by_category(margins, categories) if categories is not None else {},
        "reliability": table,
        "margin_hist": margin_histogram(margins),
    }
