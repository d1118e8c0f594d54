"""Agreement statistics on small cases computed by hand."""

from __future__ import annotations

import pytest

from rmstudio.labeling.agreement import agreement_report, cohen_kappa, krippendorff_alpha


def test_cohen_kappa_hand_computed():
    # 10 items: agree on 7 (4 a-a, 3 b-b); ann1 a=6 b=4, ann2 a=5 b=5.
    first = ["a"] * 4 + ["b"] * 3 + ["a", "a", "b"]
    second = ["a"] * 4 + ["b"] * 3 + ["b", "b", "a"]
    # p_o = 0.7; p_e = (6*5 + 4*5) / 100 = 0.5; kappa = 0.2 / 0.5 = 0.4
    assert cohen_kappa(first, second) == pytest.approx(0.4)


def test_cohen_kappa_perfect_and_undefined():
    assert cohen_kappa(["a", "b", "a"], ["a", "b", "a"]) == pytest.approx(1.0)
    assert cohen_kappa(["a"], ["a"]) is None


def test_krippendorff_alpha_hand_computed():
    # Two coders, 4 units: (a,a) (a,b) (b,b) (b,b). Values: a=3, b=5, n=8.
    # D_o = 2 mismatched pairable values / 8 = 0.25; D_e = 2*3*5 / (8*7) = 30/56.
    # alpha = 1 - D_o / D_e = 1 - 0.25 * 56 / 30 = 0.5333...
    units = {1: ["a", "a"], 2: ["a", "b"], 3: ["b", "b"], 4: ["b", "b"]}
    assert krippendorff_alpha(units) == pytest.approx(1 - 0.25 * 56 / 30, abs=1e-6)


def test_krippendorff_alpha_needs_two_labels_per_item():
    assert krippendorff_alpha({1: ["a"], 2: ["b"]}) is None


def _label(pair, annotator, choice, left="a", t=0.0):
    return {"pair_id": pair, "annotator": annotator, "choice": choice, "shown_left": left, "created_at": t}


def test_report_per_annotator_majority_and_position_bias():
    labels = [
        _label(1, "x", "a", "a", 0), _label(1, "y", "a", "b", 0), _label(1, "z", "b", "a", 0),
        _label(2, "x", "b", "b", 10), _label(2, "y", "b", "a", 10), _label(2, "z", "b", "b", 10),
        _label(3, "x", "skip", "a", 20), _label(3, "import", "a", None, 0),
    ]
    report = agreement_report(labels)
    assert report["pairs_with_several_labels"] == 2
    assert report["annotators"]["z"]["agreement_with_majority"] == 0.5
    assert report["annotators"]["x"]["agreement_with_majority"] == 1.0
    assert report["annotators"]["x"]["left_share"] == 1.0  # picked the left side both times
    assert report["annotators"]["y"]["left_share"] == 0.0
    assert report["annotators"]["x"]["labels"] == 2  # skips are not judgements
    assert report["annotators"]["x"]["seconds_per_label"] == 10
    assert "import" not in report["annotators"]
    assert {tuple(k["annotators"]) for k in report["cohen_kappa"]} == {("x", "y"), ("x", "z"), ("y", "z")}
