"""Model-assisted labeling: uncertainty-first serving, suggestions and assistant agreement."""

from __future__ import annotations

import pytest

from rmstudio.errors import BadInput
from rmstudio.labeling import assist
from rmstudio.store import PreferenceStore
from tests.helpers.store_rows import candidates


@pytest.fixture
def store(tmp_path):
    store = PreferenceStore(tmp_path)
    store.import_batch(candidates(20))
    return store


def _ids_by_prompt(store):
    page, _ = store.list_pairs(limit=100)
    return {row["prompt"]: row["id"] for row in page}


def test_uncertainty_order_serves_the_lowest_abs_margin_pairs_first(store):
    ids = _ids_by_prompt(store)
    margins = {ids[f"question {i}?"]: (i - 9.5) * 0.5 for i in range(20)}  # |margin| smallest at i = 9, 10
    assist.configure(store, assistant="/ckpt/a", order="uncertainty")
    store.save_assistant_margins("/ckpt/a", margins)
    served = []
    while (pair := store.next_pair("ann")) is not None:
        served.append(abs(margins[pair.id]))
        store.record_label(pair.id, "a", "ann")
    assert served == sorted(served)
    assert len(served) == 20


def test_unscored_pairs_follow_and_random_order_stays_the_default(store):
    ids = _ids_by_prompt(store)
    store.save_assistant_margins("/ckpt/a", {ids["question 3?"]: 0.01})
    store.set_labeling_setting("assistant_checkpoint", "/ckpt/a")
    random_first = store.next_pair("r")  # default order: random, ignores the assistant
    store.release(random_first.id, "r")
    assist.configure(store, assistant="/ckpt/a", order="uncertainty")
    assert store.next_pair("ann").id == ids["question 3?"]
    assert store.next_pair("ann2") is not None  # not scored yet, still served


def test_margins_of_another_checkpoint_do_not_order(store):
    ids = _ids_by_prompt(store)
    store.save_assistant_margins("/ckpt/old", {ids["question 5?"]: 0.0})
    assist.configure(store, assistant="/ckpt/new", order="uncertainty")
    store.save_assistant_margins("/ckpt/new", {ids["question 7?"]: 0.2})
    assert store.next_pair("ann").id == ids["question 7?"]


def test_suggestion_from_stored_margin_and_agreement(store):
    ids = _ids_by_prompt(store)
    assist.configure(store, assistant="/ckpt/a")
    store.save_assistant_margins("/ckpt/a", {ids["question 1?"]: 2.0, ids["question 2?"]: -1.0})
    hint = assist.suggestion(store, ids["question 1?"], compute_missing=False)
    assert hint["prefers"] == "a" and hint["confidence"] == pytest.approx(0.8808, abs=1e-4)
    assert assist.suggestion(store, ids["question 2?"], compute_missing=False)["prefers"] == "b"
    assert assist.suggestion(store, ids["question 4?"], compute_missing=False) is None
    store.record_label(ids["question 1?"], "a", "ann")
    store.record_label(ids["question 2?"], "a", "ann")
    assert assist.assistant_agreement(store) == {"checkpoint": "/ckpt/a", "labels": 2, "agree": 1, "agreement": 0.5}


def test_a_deleted_assistant_checkpoint_gives_a_message_not_a_crash(store, tmp_path):
    ids = _ids_by_prompt(store)
    assist.configure(store, assistant=str(tmp_path / "deleted-checkpoint"))
    hint = assist.suggestion(store, ids["question 1?"])
    assert "deleted-checkpoint" in hint["error"]


def test_blind_is_the_default_and_bad_order_is_refused(store):
    assert assist.is_blind(store)
    assist.configure(store, blind=False)
    assert not assist.is_blind(store)
    with pytest.raises(BadInput, match="order"):
        assist.configure(store, order="smart")


@pytest.mark.slow
def test_background_scoring_with_a_real_checkpoint_orders_by_its_uncertainty(store):
    from tests.helpers.checkpoints import checkpoint

    assistant = checkpoint()
    assist.configure(store, assistant=assistant, order="uncertainty")
    assert assist.score_pending(store, batch_size=8) == 20
    page, _ = store.list_pairs(limit=100)
    margins = {row["id"]: abs(store.assistant_margin(row["id"], assistant)) for row in page}
    served = [store.next_pair(f"ann{i}").id for i in range(5)]  # five annotators hold five pairs at once
    assert [margins[i] for i in served] == sorted(margins.values())[:5]
    hint = assist.suggestion(store, served[0], compute_missing=False)
    assert 0.5 <= hint["confidence"] < 1 and hint["prefers"] in ("a", "b")
    assert assist.score_pending(store) == 0  # nothing left unscored


def test_latest_follows_the_newest_successful_run(store):
    assist.configure(store, assistant=assist.LATEST)
    assert assist.resolve_assistant(store) is None  # no runs yet: no assistant, no crash
