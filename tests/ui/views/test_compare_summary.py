"""The Compare tab's summary names a best checkpoint only when a paired test shows it (issue 12): it gives
each paired difference with its 95% interval and McNemar p-value, and says when there is no significant
difference. Pure view functions over evaluation results (no browser, no model)."""

from __future__ import annotations

from rmstudio.ui.views import compare as compare_views

A, B, C = "/h/runs/r1/checkpoint", "/h/runs/r2/checkpoint", "/h/runs/r3/checkpoint"
NAMES = compare_views.checkpoint_names([A, B, C])


def result(accuracies: dict[str, float], comparisons: list[dict] | None, margins: dict | None = None) -> dict:
    out = {"pairs": 100, "results": [{"checkpoint": k, "accuracy": v, **({"margins": margins[k]} if margins else {})}
                                     for k, v in accuracies.items()],
           "agreement": [], "disagreements": []}
    if comparisons is not None:
        out["comparisons"] = comparisons
    return out


def test_accuracies_within_their_noise_name_no_best():
    noisy = result({A: 0.46, B: 0.44}, [{"a": A, "b": B, "difference": 0.02, "ci": [-0.05, 0.09], "p_value": 0.7539}])
    summary = compare_views.comparison_summary(noisy, NAMES)
    assert "Best" not in summary
    assert "**r1** vs **r2**: +2.0 points (95% interval −5.0 to +9.0, p = 0.754) — no significant difference." in summary


def test_a_significant_paired_difference_names_the_best():
    clear = result({A: 0.5, B: 0.6}, [{"a": A, "b": B, "difference": -0.1, "ci": [-0.16, -0.04], "p_value": 2 / 1024}])
    summary = compare_views.comparison_summary(clear, NAMES)
    assert "Best: **r2** (60.0%), significantly more accurate than every other checkpoint." in summary
    assert "−10.0 points (95% interval −16.0 to −4.0, p = 0.002) — **r2** is significantly more accurate than r1" \
        in summary
    assert compare_views.best_checkpoint({**clear, "comparisons": [{**clear["comparisons"][0], "p_value": 0.05}]}) \
        is None  # p >= 0.05 is not significant


def test_the_top_checkpoint_must_beat_every_other_one():
    rows = [{"a": A, "b": B, "difference": 0.1, "ci": [0.04, 0.16], "p_value": 0.001},
            {"a": A, "b": C, "difference": 0.01, "ci": [-0.05, 0.07], "p_value": 0.8},
            {"a": B, "b": C, "difference": -0.09, "ci": [-0.15, -0.03], "p_value": 0.004}]
    three = result({A: 0.61, B: 0.51, C: 0.60}, rows)
    assert compare_views.best_checkpoint(three) is None
    summary = compare_views.comparison_summary(three, NAMES)
    assert "Best" not in summary and summary.count("\n- ") == 3 and "p < 0.001" not in summary


def test_results_saved_before_comparisons_existed_are_compared_from_their_margins():
    margins = {A: [1.0] * 10 + [-1.0] * 90, B: [-1.0] * 100}  # 10 pairs only r1 gets right: p = 2 / 1024
    old = result({A: 0.1, B: 0.0}, None, margins)
    [row] = compare_views.paired_comparisons(old)
    assert (row["a"], row["b"], row["p_value"]) == (A, B, 2 / 1024)
    assert compare_views.best_checkpoint(old) == A
    assert compare_views.paired_comparisons(result({A: 0.1, B: 0.0}, None)) == []  # nothing to compare from


def test_checkpoint_names_are_shown_as_text():
    odd = {A: "**bold** <b>x</b>", B: "r2"}
    summary = compare_views.comparison_summary(
        result({A: 0.5, B: 0.5}, [{"a": A, "b": B, "difference": 0.0, "ci": [-0.1, 0.1], "p_value": 1.0}]), odd)
    assert "**bold**" not in summary and "<b>" not in summary and "\\*\\*bold\\*\\*" in summary
