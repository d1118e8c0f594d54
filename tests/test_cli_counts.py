"""Skip, tie and both-bad are counted the same way on every screen and in `python -m rmstudio stats`
(issue 12): one annotator gives a, b, tie, both_bad and skip through the Label tab's handler on a real store,
then the Label tab's progress line, the Data tab's statistics line and the `stats` JSON must agree."""

from __future__ import annotations

from rmstudio.ui import label_tab
from rmstudio.ui.views import data as data_views
from tests.helpers.studio import make_ctx
from tests.test_cli import rmstudio


def side_for(choice: str, left: str) -> str:
    """The key that records `choice` for a pair whose response `left` is on the left."""
    if choice in ("a", "b"):
        return "left" if choice == left else "right"
    return choice


def test_every_screen_and_stats_count_skips_ties_and_both_bad_alike(tmp_path):
    ctx = make_ctx(tmp_path, n=6)
    screen = label_tab.show_next(ctx, "ann")
    judged = {}
    for choice in ("a", "b", "tie", "both_bad", "skip"):
        judged[choice] = screen.pair_id
        screen = label_tab.judge(ctx, "ann", screen.pair_id, screen.left, side_for(choice, screen.left))
    assert [label["choice"] for pid in judged.values() for label in ctx.store.labels_of(pid)] == list(judged)
    # The skipped pair is not offered to ann again, but stays to label for the others.
    assert screen.pair_id not in judged.values()
    assert label_tab.show_next(ctx, "bob").pair_id == judged["skip"]

    line = label_tab.progress_line(ctx, "ann")
    assert "labeled **4** today (1 skipped)" in line and "**2** of 6 pairs left to label" in line
    summary = data_views.stats_summary(ctx.store.stats())
    assert summary.startswith("**6** pairs · **4** labeled · **2** left to label · **4** labels (4 today)"
                              " · 1 skipped (1 today) · **2** usable for training (2 excluded")

    code, stats, _ = rmstudio(tmp_path, "stats")
    assert code == 0
    assert {k: stats[k] for k in ("pairs", "labeled_pairs", "remaining", "labels", "skips", "labeled_today",
                                  "skipped_today", "training_pairs", "excluded_pairs")} == {
        "pairs": 6, "labeled_pairs": 4, "remaining": 2, "labels": 4, "skips": 1, "labeled_today": 4,
        "skipped_today": 1, "training_pairs": 2, "excluded_pairs": 2}
    assert stats["labels_by_choice"] == {"a": 1, "b": 1, "both_bad": 1, "tie": 1}
    assert stats["annotators"]["ann"]["labels"] == 4 and stats["annotators"]["ann"]["skips"] == 1
    assert stats["agreement"]["annotators"]["ann"]["labels"] == 4
