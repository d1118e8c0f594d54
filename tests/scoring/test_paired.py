"""Paired comparison of two checkpoints on the same pairs (issue 12): exact McNemar test and a paired
bootstrap interval of the accuracy difference, on cases computed by hand."""

from __future__ import annotations

import math

import pytest

from rmstudio.scoring import metrics


def outcomes(only_a: int, only_b: int, both: int, neither: int) -> tuple[list[bool], list[bool]]:
    """Per-pair hits of checkpoints a and b with the given counts of each kind of pair."""
    a = [True] * only_a + [False] * only_b + [True] * both + [False] * neither
    b = [False] * only_a + [True] * only_b + [True] * both + [False] * neither
    return a, b


def test_mcnemar_exact_on_a_hand_case():
    # 9 vs 1 discordant pairs: 2 * P(X <= 1 | n=10, p=1/2) = 2 * 11 / 1024.
    a, b = outcomes(9, 1, both=30, neither=5)
    assert metrics.mcnemar_exact(a, b) == 0.021484375
    assert metrics.mcnemar_exact(b, a) == 0.021484375
    assert metrics.mcnemar_exact(*outcomes(0, 0, both=4, neither=2)) == 1.0
    assert metrics.mcnemar_exact(*outcomes(3, 3, both=1, neither=1)) == 1.0
    with pytest.raises(ValueError, match="same pairs"):
        metrics.mcnemar_exact([True], [True, False])


def test_paired_interval_on_hand_cases():
    assert metrics.paired_difference_ci(*outcomes(0, 0, both=5, neither=5)) == [0.0, 0.0]
    assert metrics.paired_difference_ci(*outcomes(4, 0, both=0, neither=0)) == [1.0, 1.0]
    # 10 of 100 pairs only a got right: difference 0.1 +- 1.96 * sqrt(0.1 * 0.9 / 100) = 0.1 +- 0.059.
    low, high = metrics.paired_difference_ci(*outcomes(10, 0, both=50, neither=40), n_boot=20000)
    assert low == pytest.approx(0.041, abs=0.015) and high == pytest.approx(0.159, abs=0.015)
    assert all(math.isnan(x) for x in metrics.paired_difference_ci([], []))


def test_pairing_sees_a_difference_the_two_single_intervals_hide():
    a, b = outcomes(10, 0, both=50, neither=40)  # 0.6 vs 0.5 on the same 100 pairs
    low_a, _ = metrics.bootstrap_ci(a)
    _, high_b = metrics.bootstrap_ci(b)
    assert low_a < high_b  # the single 95% intervals overlap ...
    [row] = metrics.paired_comparisons({"a": [1.0 if h else -1.0 for h in a], "b": [1.0 if h else -1.0 for h in b]})
    assert row["a"] == "a" and row["b"] == "b" and row["difference"] == pytest.approx(0.1)
    assert row["p_value"] == 2 / 1024 and row["ci"][0] > 0  # ... the paired test does not


def test_comparisons_cover_every_two_checkpoints_and_noise_is_not_significant():
    a, b = outcomes(6, 4, both=40, neither=50)  # 0.46 vs 0.44: noise
    margins = {"x": [1.0 if h else -0.5 for h in a], "y": [0.3 if h else 0.0 for h in b], "z": [2.0] * 100}
    rows = metrics.paired_comparisons(margins)
    assert [(r["a"], r["b"]) for r in rows] == [("x", "y"), ("x", "z"), ("y", "z")]
    x_y = rows[0]
    assert x_y["difference"] == pytest.approx(0.02) and x_y["p_value"] > 0.05
    assert x_y["ci"][0] < 0 < x_y["ci"][1]
