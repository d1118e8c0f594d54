"""The Data tab's team section, called as its handlers call it (no browser)."""

from __future__ import annotations

from rmstudio.access import Access
from rmstudio.labeling import assist
from rmstudio.store import PreferenceStore
from rmstudio.ui.context import StudioContext
from rmstudio.ui.team_panel import NO_ASSISTANT, agreement_tables, assistant_choices
from tests.helpers.store_rows import candidates


def _ctx(tmp_path) -> StudioContext:
    store = PreferenceStore(tmp_path)
    store.import_batch(candidates(4))
    return StudioContext(home=tmp_path, store=store, access=Access.from_settings(env={}))


def test_agreement_tables_show_every_annotator_and_pair_of_annotators(tmp_path):
    ctx = _ctx(tmp_path)
    ctx.store.set_overlap(2)
    for annotator, choice in (("ann1", "a"), ("ann2", "a")):
        for _ in range(4):
            ctx.store.record_label(ctx.store.next_pair(annotator).id, choice, annotator)
    summary, annotators, kappas = agreement_tables(ctx)
    assert "**4** pairs have labels from several annotators" in summary and "overlap setting: **2**" in summary
    assert list(annotators["annotator"]) == ["ann1", "ann2"] and list(annotators["labels"]) == [4, 4]
    assert list(annotators["agrees with majority"]) == ["100%", "100%"]
    assert list(kappas["annotators"]) == ["ann1 & ann2"] and list(kappas["shared pairs"]) == [4]


def test_agreement_with_the_assistant_is_reported(tmp_path):
    ctx = _ctx(tmp_path)
    assist.configure(ctx.store, assistant="/ckpt/x")
    pair = ctx.store.next_pair("ann")
    ctx.store.save_assistant_margins("/ckpt/x", {pair.id: -1.0})
    ctx.store.record_label(pair.id, "b", "ann")
    summary, _, _ = agreement_tables(ctx)
    assert "agree with the assistant on **100%** of 1" in summary


def test_assistant_choices_offer_none_latest_and_no_unfinished_runs(tmp_path):
    choices = assistant_choices(_ctx(tmp_path))
    assert choices[0] == (NO_ASSISTANT, "") and choices[1][1] == assist.LATEST and len(choices) == 2
