"""How much annotators agree: Cohen's kappa per pair of annotators, Krippendorff's alpha overall, and
per-annotator statistics (volume, speed, agreement with the majority, position bias).

Judgements are nominal categories: "a", "b", "tie", "both_bad" (skips and imported labels are not
judgements by a person and are left out).
"""

from __future__ import annotations

import itertools
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable

CATEGORIES = ("a", "b", "tie", "both_bad")
_MAX_GAP_SECONDS = 600  # longer pauses between two labels are breaks, not labeling time


def cohen_kappa(first: list[str], second: list[str]) -> float | None:
    """Cohen's kappa of two annotators' labels on the same items (None when undefined)."""
    if len(first) != len(second) or len(first) < 2:
        return None
    n = len(first)
    observed = sum(x == y for x, y in zip(first, second, strict=True)) / n
    count_1, count_2 = Counter(first), Counter(second)
    expected = sum(count_1[c] * count_2[c] for c in set(first) | set(second)) / (n * n)
    if expected == 1:
        return 1.0 if observed == 1 else None
    return (observed - expected) / (1 - expected)


def krippendorff_alpha(units: dict[int, list[str]]) -> float | None:
    """Krippendorff's alpha (nominal) over items labeled by two or more annotators (None when undefined)."""
    import krippendorff
    import numpy as np

    annotators_max = max((len(v) for v in units.values()), default=0)
    usable = [v for v in units.values() if len(v) >= 2]
    if not usable or annotators_max < 2:
        return None
    codes = {c: i for i, c in enumerate(CATEGORIES)}
    matrix = np.full((annotators_max, len(usable)), np.nan)
    for column, values in enumerate(usable):
        for row, value in enumerate(values):
            matrix[row, column] = codes[value]
    if len({v for values in usable for v in values}) < 2:
        return 1.0  # everyone always gave the same single answer: perfect (alpha's formula is 0/0)
    return float(krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal"))


def agreement_report(labels: Iterable[dict]) -> dict:
    """Agreement statistics from label records (pair_id, annotator, choice, shown_left, created_at)."""
    by_pair: dict[int, dict[str, str]] = defaultdict(dict)
    by_annotator: dict[str, list[dict]] = defaultdict(list)
    for label in labels:
        if label["choice"] not in CATEGORIES or label["annotator"] == "import":
            continue
        by_pair[label["pair_id"]][label["annotator"]] = label["choice"]
        by_annotator[label["annotator"]].append(label)

    kappas = []
    for one, two in itertools.combinations(sorted(by_annotator), 2):
        common = [p for p, votes in by_pair.items() if one in votes and two in votes]
        kappa = cohen_kappa([by_pair[p][one] for p in common], [by_pair[p][two] for p in common])
        kappas.append({"annotators": [one, two], "pairs": len(common),
                       "kappa": None if kappa is None else round(kappa, 4)})

    majority = {p: _majority(votes.values()) for p, votes in by_pair.items() if len(votes) >= 2}
    annotators = {name: _annotator_stats(name, records, by_pair, majority) for name, records in by_annotator.items()}
    alpha = krippendorff_alpha({p: list(v.values()) for p, v in by_pair.items()})
    return {
        "pairs_with_several_labels": sum(len(v) >= 2 for v in by_pair.values()),
        "krippendorff_alpha": None if alpha is None else round(alpha, 4),
        "cohen_kappa": kappas,
        "annotators": annotators,
    }


def _majority(votes: Iterable[str]) -> str | None:
    counts = Counter(votes).most_common()
    if len(counts) > 1 and counts[0][1] == counts[1][1]:
        return None
    return counts[0][0]


def _annotator_stats(name: str, records: list[dict], by_pair: dict, majority: dict) -> dict:
    times = sorted(r["created_at"] for r in records)
    gaps = [b - a for a, b in itertools.pairwise(times) if 0 < b - a < _MAX_GAP_SECONDS]
    judged = [p for p in majority if name in by_pair[p] and majority[p] is not None]
    decisive = [r for r in records if r["choice"] in ("a", "b") and r.get("shown_left")]
    return {
        "labels": len(records),
        "seconds_per_label": round(statistics.median(gaps), 2) if gaps else None,
        "agreement_with_majority": round(sum(by_pair[p][name] == majority[p] for p in judged) / len(judged), 4)
        if judged else None,
        "left_share": round(sum(r["choice"] == r["shown_left"] for r in decisive) / len(decisive), 4)
        if decisive else None,
    }
