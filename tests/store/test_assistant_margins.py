"""The assistant's margins in the store: saved per checkpoint, which pairs still lack one, agreement counts."""

from __future__ import annotations

import pytest

from rmstudio.store import PreferenceStore
from tests.helpers.store_rows import candidates, labeled


@pytest.fixture
def store(tmp_path):
    store = PreferenceStore(tmp_path)
    store.import_batch(candidates(4))
    store.import_batch(labeled(2))
    return store


def _open_ids(store) -> list[int]:
    page, _ = store.list_pairs(status="unlabeled", limit=100)
    return sorted(row["id"] for row in page)


def test_margins_are_kept_per_checkpoint_and_replaced_when_saved_again(store):
    first, second, *_ = _open_ids(store)
    store.save_assistant_margins("/ckpt/a", {first: 1.5, second: -0.25})
    store.save_assistant_margins("/ckpt/b", {first: -3.0})
    store.save_assistant_margins("/ckpt/a", {first: 0.5})
    assert store.assistant_margin(first, "/ckpt/a") == 0.5
    assert store.assistant_margin(second, "/ckpt/a") == -0.25
    assert store.assistant_margin(first, "/ckpt/b") == -3.0
    assert store.assistant_margin(second, "/ckpt/b") is None


def test_pairs_without_a_margin_are_the_open_unscored_ones_in_serving_order(store):
    ids = _open_ids(store)
    assert sorted(store.pairs_without_assistant_margin("/ckpt/a", 100)) == ids  # imported pairs never need one
    store.save_assistant_margins("/ckpt/a", {ids[0]: 0.1})
    store.record_label(ids[1], "a", "ann")  # labeled up to the overlap of 1: no longer to label
    assert sorted(store.pairs_without_assistant_margin("/ckpt/a", 100)) == ids[2:]
    assert sorted(store.pairs_without_assistant_margin("/ckpt/b", 100)) == [ids[0], *ids[2:]]
    served_first = store.next_pair("ann2").id  # random serving order: the same rank order
    assert store.pairs_without_assistant_margin("/ckpt/b", 1) == [served_first]


def test_agreement_counts_only_annotators_current_decisive_labels_of_scored_pairs(store):
    ids = _open_ids(store)
    store.save_assistant_margins("/ckpt/a", {ids[0]: 1.0, ids[1]: 2.0, ids[2]: -1.0})
    store.record_label(ids[0], "a", "ann")  # agrees
    store.record_label(ids[1], "b", "ann")  # disagrees
    store.record_label(ids[2], "tie", "ann")  # not decisive
    store.record_label(ids[3], "a", "ann")  # not scored
    assert store.assistant_agreement_counts("/ckpt/a") == (2, 1)
    store.undo_last("ann")
    store.undo_last("ann")
    store.undo_last("ann")
    assert store.assistant_agreement_counts("/ckpt/a") == (1, 1)
    assert store.assistant_agreement_counts("/ckpt/none") == (0, 0)
