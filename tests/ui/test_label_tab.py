"""The Label tab's handlers (show_next, judge, undo), called directly on a real store (no browser)."""

from __future__ import annotations

import pytest

from rmstudio.errors import BadInput
from rmstudio.ui import label_tab
from tests.helpers.studio import make_ctx


def test_left_and_right_map_to_the_response_shown_there(tmp_path):
    assert label_tab.choice_for("left", "a") == "a" and label_tab.choice_for("left", "b") == "b"
    assert label_tab.choice_for("right", "a") == "b" and label_tab.choice_for("right", "b") == "a"
    assert label_tab.choice_for("tie", "b") == "tie"
    with pytest.raises(BadInput):
        label_tab.choice_for("middle", "a")
    ctx = make_ctx(tmp_path)
    screen = label_tab.show_next(ctx, "ann")
    pair = ctx.store.get_pair(screen.pair_id)
    assert pair.left == screen.left
    assert pair.right_text in screen.right_html and pair.left_text in screen.left_html
    label_tab.judge(ctx, "ann", screen.pair_id, screen.left, "right")
    [label] = ctx.store.labels_of(screen.pair_id)
    assert label["choice"] == pair.right


def test_judge_advances_and_reports_progress_until_the_empty_state(tmp_path):
    ctx = make_ctx(tmp_path, n=3)
    screen = label_tab.show_next(ctx, "ann")
    assert "**3** of 3 pairs left" in label_tab.progress_line(ctx, "ann")
    seen = []
    while not screen.empty:
        seen.append(screen.pair_id)
        screen = label_tab.judge(ctx, "ann", screen.pair_id, screen.left, "left")
    assert len(set(seen)) == 3
    line = label_tab.progress_line(ctx, "ann")
    assert "labeled **3** today" in line and "**0** of 3 pairs left" in line
    assert "labeled **0** today" in label_tab.progress_line(ctx, "other")


def test_undo_shows_the_pair_again_and_removes_the_label(tmp_path):
    ctx = make_ctx(tmp_path)
    assert label_tab.undo(ctx, "ann").notice == "Nothing to undo yet."
    first = label_tab.show_next(ctx, "ann")
    label_tab.judge(ctx, "ann", first.pair_id, first.left, "tie")
    back = label_tab.undo(ctx, "ann")
    assert back.pair_id == first.pair_id and "Undid" in back.notice
    assert ctx.store.labels_of(first.pair_id) == []


def test_a_pair_deleted_while_on_screen_moves_on_with_a_notice(tmp_path):
    ctx = make_ctx(tmp_path)
    screen = label_tab.show_next(ctx, "ann")
    ctx.store.delete_pair(screen.pair_id)
    after = label_tab.judge(ctx, "ann", screen.pair_id, screen.left, "left")
    assert "deleted" in after.notice and after.pair_id != screen.pair_id


def test_a_label_is_confirmed_and_undo_says_which_label_it_took_back(tmp_path):
    ctx = make_ctx(tmp_path)
    first = label_tab.show_next(ctx, "ann")
    after = label_tab.judge(ctx, "ann", first.pair_id, first.left, "right")
    assert after.notice == f"Saved: B (right) is better on pair #{first.pair_id}."
    second = label_tab.judge(ctx, "ann", after.pair_id, after.left, "skip")
    assert second.notice == f"Skipped pair #{after.pair_id}."
    back = label_tab.undo(ctx, "ann")
    assert back.notice == f"Undid your label on pair #{after.pair_id}: it said skipped."
    back = label_tab.undo(ctx, "ann")
    assert back.notice == f"Undid your label on pair #{first.pair_id}: it said B (right) is better."
    third = label_tab.judge(ctx, "ann", back.pair_id, back.left, "left")
    assert third.notice == f"Saved: A (left) is better on pair #{first.pair_id}."
    assert label_tab.undo(ctx, "ann").notice.endswith(": it said A (left) is better.")


def test_the_role_marker_is_the_same_after_a_rename(tmp_path):
    assert label_tab.whoami_line("a<b", True, False) == "Labeling as **a&lt;b** (admin)"
    assert label_tab.whoami_line("bob", False, True) == ("Labeling as **bob** (annotator) · your name goes in the "
                                                          "box on the right")


def test_an_annotators_assistant_line_reads_stored_margins_and_never_runs_a_model(tmp_path):
    ctx = make_ctx(tmp_path, n=2)
    missing = tmp_path / "no-such-checkpoint"  # loading it would fail: the admin's call shows that it tried
    ctx.store.set_labeling_setting("assistant", str(missing))
    ctx.store.set_labeling_setting("assistant_blind", "0")
    screen = label_tab.show_next(ctx, "ann")
    state = {"id": screen.pair_id, "left": screen.left}
    assert label_tab.assistant_line(ctx, state, may_score=False) == label_tab.NOT_SCORED_YET
    assert label_tab.assistant_line(ctx, state, may_score=True).startswith("Assistant unavailable:")
    ctx.store.set_labeling_setting("assistant_blind", "1")
    judged = {"judged": {"id": screen.pair_id, "left": screen.left, "side": "left"}}
    assert label_tab.assistant_line(ctx, judged, may_score=False) == label_tab.NOT_SCORED_YET
