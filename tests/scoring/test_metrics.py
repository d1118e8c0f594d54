"""Evaluation math on small cases computed by hand (no model)."""

from __future__ import annotations

import math

import pytest

from rmstudio.scoring import metrics


def logit(p: float) -> float:
    return math.log(p / (1 - p))


def test_accuracy_counts_ties_as_wrong():
    assert metrics.pairwise_accuracy([2.0, -1.0, 0.0, 0.5]) == 0.5
    assert metrics.pairwise_accuracy([0.0, 0.0]) == 0.0
    assert math.isnan(metrics.pairwise_accuracy([]))


def test_bootstrap_interval_on_hand_cases():
    # Two pairs, one right: resampled accuracy is 0, 0.5 or 1 with probability 1/4, 1/2, 1/4,
    # so the 2.5% and 97.5% quantiles are 0 and 1.
    assert metrics.bootstrap_ci([True, False]) == [0.0, 1.0]
    assert metrics.bootstrap_ci([True] * 7) == [1.0, 1.0]
    assert metrics.bootstrap_ci([False] * 3) == [0.0, 0.0]
    # 80 of 100 right: normal approximation 0.8 +- 1.96 * sqrt(0.8 * 0.2 / 100) = 0.8 +- 0.078.
    low, high = metrics.bootstrap_ci([True] * 80 + [False] * 20, n_boot=20000)
    assert low == pytest.approx(0.722, abs=0.015)
    assert high == pytest.approx(0.878, abs=0.015)
    assert metrics.bootstrap_ci([True, False] * 9, seed=3) == metrics.bootstrap_ci([True, False] * 9, seed=3)


def test_reliability_table_and_ece_on_hand_case():
    margins = [logit(0.97), logit(0.97), logit(0.03), logit(0.72), 0.0]
    table = metrics.reliability_table(margins)
    assert len(table) == 10
    assert [row["count"] for row in table] == [1, 0, 0, 0, 1, 0, 0, 0, 0, 3]
    assert table[9]["confidence"] == pytest.approx(0.97)
    assert table[9]["accuracy"] == pytest.approx(2 / 3)
    assert table[4]["lower"] == pytest.approx(0.70) and table[4]["upper"] == pytest.approx(0.75)
    assert (table[4]["confidence"], table[4]["accuracy"]) == (pytest.approx(0.72), 1.0)
    assert (table[0]["confidence"], table[0]["accuracy"]) == (0.5, 0.0)  # the tie: 50% sure, wrong
    assert table[1]["accuracy"] is None
    expected = 3 / 5 * abs(2 / 3 - 0.97) + 1 / 5 * abs(1 - 0.72) + 1 / 5 * abs(0 - 0.5)
    assert metrics.expected_calibration_error(table) == pytest.approx(expected)
    assert expected == pytest.approx(0.338)


def test_perfectly_calibrated_bin_has_zero_error():
    # Four pairs at P=0.75 (bin [0.75, 0.8)), three right and one wrong: accuracy 0.75 = confidence.
    margins = [logit(0.75)] * 3 + [-logit(0.75)]
    assert metrics.expected_calibration_error(metrics.reliability_table(margins)) == pytest.approx(0.0)


def test_per_category_accuracy_skips_pairs_without_category():
    table = metrics.accuracy_by_category([1.0, -1.0, 1.0, 1.0], ["math", "math", "code", None])
    assert table == {"code": {"accuracy": 1.0, "pairs": 1}, "math": {"accuracy": 0.5, "pairs": 2}}
    assert metrics.accuracy_by_category([1.0], [None]) == {}
    with pytest.raises(ValueError):
        metrics.accuracy_by_category([1.0, 2.0], ["a"])


def test_margin_histogram():
    hist = metrics.margin_histogram([0.0, 1.0, 2.0, 3.0], bins=3)
    assert hist == {"edges": [0.0, 1.0, 2.0, 3.0], "counts": [1, 1, 2]}
    flat = metrics.margin_histogram([1.0, 1.0], bins=2)
    assert flat["counts"] == [0, 2] and flat["edges"][0] == 0.5


def test_pairwise_agreement_of_three_checkpoints():
    margins = {"A": [1, 1, -1, 1], "B": [1, -1, -1, 0], "C": [2, 2, -2, 2]}
    rows = {(r["a"], r["b"]): r["agreement"] for r in metrics.pairwise_agreement(margins)}
    assert rows == {("A", "B"): 0.5, ("A", "C"): 1.0, ("B", "C"): 0.5}


def test_disagreement_list_sorted_by_size():
    margins = {"A": [1.0, 1.0, -1.0, 1.0], "B": [1.0, -1.0, -1.0, 0.0]}
    items = metrics.disagreements(margins)
    assert [item["index"] for item in items] == [1, 3]
    sig = metrics.sigmoid
    assert items[0]["size"] == pytest.approx(sig(1.0) - sig(-1.0))  # 0.462
    assert items[1]["size"] == pytest.approx(sig(1.0) - sig(0.0))  # 0.231
    assert items[0]["decisions"] == {"A": "chosen", "B": "rejected"}
    assert items[1]["decisions"] == {"A": "chosen", "B": "tie"}
    assert items[0]["margins"] == {"A": 1.0, "B": -1.0}
    by_index = metrics.sort_disagreements(items, by="index", descending=False)
    assert [item["index"] for item in by_index] == [1, 3]
    smallest_first = metrics.sort_disagreements(items, descending=False)
    assert [item["index"] for item in smallest_first] == [3, 1]
    # A third checkpoint widens the spread of pair 1: sigmoid(2) - sigmoid(-1).
    margins["C"] = [2.0, 2.0, -2.0, 2.0]
    assert metrics.disagreements(margins)[0]["size"] == pytest.approx(sig(2.0) - sig(-1.0))
    assert metrics.disagreements({"A": [1.0, -1.0]}) == []
    with pytest.raises(ValueError):
        metrics.sort_disagreements(items, by="prompt")


def test_summarize_holds_every_contract_field():
    summary = metrics.summarize([1.0, -0.5, 2.0], ["x", "x", "y"])
    assert set(summary) == {
        "accuracy",
        "accuracy_ci",
        "mean_margin",
        "ece",
        "per_category",
        "reliability",
        "margin_hist",
    }
    assert summary["accuracy"] == pytest.approx(2 / 3)
    assert summary["mean_margin"] == pytest.approx(2.5 / 3)
    assert summary["accuracy_ci"][0] <= summary["accuracy"] <= summary["accuracy_ci"][1]


def test_bradley_terry_loss_is_the_mean_negative_log_sigmoid():
    margins = [0.0, 2.0, -3.0, 800.0, -800.0]  # +-800: exp would overflow without a stable form
    expected = [math.log(2), math.log1p(math.exp(-2)), 3 + math.log1p(math.exp(-3)), 0.0, 800.0]
    assert metrics.bradley_terry_loss(margins) == pytest.approx(sum(expected) / 5)
    assert math.isnan(metrics.bradley_terry_loss([]))


def test_held_out_figures_are_the_eval_json_fields():
    figures = metrics.held_out_figures([1.0, -0.5, 2.0, 0.0], ["x", "x", None, ""])
    assert figures == {
        "eval_pairs": 4,
        "eval_accuracy": 0.5,
        "eval_mean_margin": pytest.approx(2.5 / 4),
        "eval_loss": pytest.approx(metrics.bradley_terry_loss([1.0, -0.5, 2.0, 0.0])),
        "per_category": {"(none)": {"accuracy": 0.5, "pairs": 2}, "x": {"accuracy": 0.5, "pairs": 2}},
    }
    assert metrics.held_out_figures([], []) == {
        "eval_pairs": 0,
        "eval_accuracy": None,
        "eval_mean_margin": None,
        "eval_loss": None,
        "per_category": {},
    }
