"""rmstudio.ui.views.compare: what the Compare tab shows, from evaluation results (no browser, no model)."""

from __future__ import annotations

import pandas as pd
import pytest

from rmstudio.errors import BadInput
from rmstudio.ui.views import compare as compare_views


def test_checkpoint_names_are_short_and_unique():
    names = compare_views.checkpoint_names(["/h/runs/r1/checkpoint", "/x/model"])
    assert names == {"/h/runs/r1/checkpoint": "r1", "/x/model": "model"}
    clash = compare_views.checkpoint_names(["/x/model", "/y/model"])
    assert clash == {"/x/model": "/x/model", "/y/model": "/y/model"}


RESULT = {
    "pairs": 3,
    "results": [
        {"checkpoint": "/h/runs/r1/checkpoint", "accuracy": 2 / 3, "accuracy_ci": [0.33, 1.0], "mean_margin": 0.51234,
         "ece": 0.1, "pairs_per_second": 123.456, "per_category": {"math": {"accuracy": 1.0, "pairs": 1},
                                                                   "chat": {"accuracy": 0.5, "pairs": 2}},
         "reliability": [{"count": 2, "confidence": 0.6, "accuracy": 0.5}, {"count": 0, "confidence": None,
                                                                             "accuracy": None}],
         "margin_hist": {"edges": [-1.0, 0.0, 1.0], "counts": [1, 3]}},
        {"checkpoint": "/h/runs/r2/checkpoint", "accuracy": 1 / 3, "accuracy_ci": [0.0, 0.67], "mean_margin": -0.2,
         "ece": 0.3, "pairs_per_second": 99.0, "per_category": {}, "reliability": [],
         "margin_hist": {"edges": [], "counts": []}},
    ],
    "disagreements": [
        {"index": 2, "size": 0.4, "margins": {"/h/runs/r1/checkpoint": 1.0, "/h/runs/r2/checkpoint": -0.7},
         "decisions": {"/h/runs/r1/checkpoint": "chosen", "/h/runs/r2/checkpoint": "rejected"},
         "scores": {"/h/runs/r1/checkpoint": {"chosen": 2.0, "rejected": 1.0},
                    "/h/runs/r2/checkpoint": [0.1, 0.8]}},
        {"index": 0, "size": 0.1, "margins": {"/h/runs/r1/checkpoint": -0.1, "/h/runs/r2/checkpoint": 0.2},
         "decisions": {"/h/runs/r1/checkpoint": "rejected", "/h/runs/r2/checkpoint": "chosen"}},
    ],
}
PAIRS = [{"prompt": "p0", "chosen": "c0", "rejected": "r0"}, {"prompt": "p1", "chosen": "c1", "rejected": "r1"},
         {"prompt": [{"role": "user", "content": "<img src=x onerror=alert(1)>"}],
          "chosen": [{"role": "assistant", "content": "good"}], "rejected": "bad"}]


def test_comparison_frames_have_one_series_per_checkpoint():
    names = compare_views.checkpoint_names([r["checkpoint"] for r in RESULT["results"]])
    table = compare_views.comparison_table(RESULT, names)
    assert table.iloc[0].tolist() == ["r1", "66.7%", "33.0% – 100.0%", 0.512, 0.1, 123.5]
    cats = compare_views.category_frame(RESULT, names)
    assert cats.to_dict("records") == [
        {"bar": "chat", "category": "chat", "accuracy": 0.5, "checkpoint": "r1", "pairs": 2},
        {"bar": "math", "category": "math", "accuracy": 1.0, "checkpoint": "r1", "pairs": 1}]
    two = {**RESULT, "results": [RESULT["results"][0], {**RESULT["results"][1], "per_category": {"chat": {
        "accuracy": 0.25, "pairs": 2}}}]}
    assert compare_views.category_frame(two, names)[["bar", "checkpoint"]].values.tolist() == [
        ["chat", "r1"], ["chat\u200b", "r2"], ["math", "r1"]]
    hist = compare_views.margin_hist_frame(RESULT, names)
    assert hist.to_dict("records") == [{"margin": -0.5, "share": 0.25, "checkpoint": "r1"},
                                       {"margin": 0.5, "share": 0.75, "checkpoint": "r1"}]
    rel = compare_views.reliability_frame(RESULT, names)
    assert set(rel.checkpoint) == {"r1", compare_views.PERFECT_CALIBRATION}
    assert rel[rel.checkpoint == "r1"].values.tolist() == [[0.6, 0.5, "r1"]]


def test_disagreements_keep_their_order_and_show_texts_as_plain_text():
    names = compare_views.checkpoint_names([r["checkpoint"] for r in RESULT["results"]])
    table = compare_views.disagreement_table(RESULT, PAIRS, names)
    assert table["Pair"].tolist() == [2, 0]
    assert table.iloc[0][["r1", "r2"]].tolist() == ["chosen", "rejected"]
    detail = compare_views.disagreement_detail(RESULT, PAIRS, names, 0)
    assert detail["prompt"] == "user: <img src=x onerror=alert(1)>"
    assert detail["chosen"] == "assistant: good" and detail["rejected"] == "bad"
    assert detail["scores"].values.tolist() == [["r1", 2.0, 1.0, 1.0, "chosen"], ["r2", 0.1, 0.8, -0.7, "rejected"]]
    assert compare_views.disagreement_detail(RESULT, PAIRS, names, 1)["scores"]["Score (chosen)"].isna().all()
    with pytest.raises(BadInput, match="there is no disagreement #6"):
        compare_views.disagreement_detail(RESULT, PAIRS, names, 5)


def test_completions_split_on_separator_lines_only():
    text = "first answer\nline two\n---\nsecond --- not a separator\n  ---  \n\n---\nthird"
    assert compare_views.parse_completions(text) == ["first answer\nline two", "second --- not a separator", "third"]
    assert compare_views.parse_completions("") == []


def test_playground_is_shown_best_first_keeping_the_typed_order_number():
    frame = pd.DataFrame({"completion": ["x", "y", "z"], "A score": [0.1, 2.0, 1.0], "A rank": [3, 1, 2],
                          "B score": [3.0, 0.0, 1.0], "B rank": [1, 3, 2]})
    table = compare_views.ranked_playground(frame)
    assert table["Completion"].tolist() == ["y", "z", "x"] and table["#"].tolist() == [2, 3, 1]
    assert table["B rank"].tolist() == [3, 2, 1]


def test_each_checkpoint_keeps_one_color_and_the_diagonal_is_grey():
    colors = compare_views.series_colors({"/a": "A", "/b": "B"})
    assert colors["A"] != colors["B"] and colors[compare_views.PERFECT_CALIBRATION] == "#9ca3af"


def test_one_legend_for_all_plots_wraps_and_escapes_names():
    names = {"/a": "run <1>", "/b": "r2"}
    legend = compare_views.legend_html(compare_views.series_colors(names))
    assert "run &lt;1&gt;" in legend and "<1>" not in legend and "r2" in legend
    assert legend.index("r2") < legend.index(compare_views.PERFECT_CALIBRATION)  # the diagonal comes last
    assert 'class="rm-legend"' in legend


def test_no_categories_give_an_empty_category_frame():
    names = compare_views.checkpoint_names([r["checkpoint"] for r in RESULT["results"]])
    no_categories = {"results": [{**r, "per_category": {}} for r in RESULT["results"]]}
    assert compare_views.category_frame(no_categories, names).empty  # the tab hides the plot then
