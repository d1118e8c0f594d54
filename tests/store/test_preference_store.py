"""PreferenceStore behaviour on real SQLite files: labeling, leases, undo, the training set."""

from __future__ import annotations

import sqlite3
import time

import pytest

from rmstudio.errors import BadInput
from rmstudio.store import PreferenceStore
from tests.helpers.store_rows import Batch, candidates, labeled


@pytest.fixture
def store(tmp_path):
    return PreferenceStore(tmp_path)


def test_import_counts_duplicates_and_stores_nothing_twice(store):
    first = store.import_batch(candidates(10))
    again = store.import_batch(candidates(12))
    assert (first["imported"], first["duplicates"], first["unlabeled"]) == (10, 0, 10)
    assert (again["imported"], again["duplicates"]) == (2, 10)
    assert store.count_pairs() == 12


def test_same_pair_with_responses_swapped_is_a_duplicate(store):
    store.import_batch(Batch([{"prompt": "p", "chosen": "x", "rejected": "y"}]))
    report = store.import_batch(Batch([{"prompt": "p", "response_a": "y", "response_b": "x"}], format="candidates"))
    assert report["duplicates"] == 1


def test_imported_labels_become_training_pairs_and_are_never_served(store):
    store.import_batch(labeled(3))
    assert store.next_pair("ann") is None
    ds = store.to_dataset()
    assert sorted(ds["chosen"]) == ["good 0", "good 1", "good 2"]
    assert sorted(ds["rejected"]) == ["bad 0", "bad 1", "bad 2"]
    assert store.stats()["labels_by_choice"] == {"a": 3}


def test_label_choice_maps_to_training_pair(store):
    store.import_batch(candidates(2))
    first = store.next_pair("ann")
    store.record_label(first.id, "b", "ann")
    second = store.next_pair("ann")
    store.record_label(second.id, "tie", "ann")
    ds = store.to_dataset()
    assert ds.num_rows == 1
    assert ds[0]["chosen"] == first.response_b and ds[0]["rejected"] == first.response_a


def test_ties_both_bad_and_skips_never_become_training_pairs(store):
    store.import_batch(candidates(3))
    for choice in ("tie", "both_bad", "skip"):
        store.record_label(store.next_pair("ann").id, choice, "ann")
    assert store.to_dataset().num_rows == 0


def test_left_right_order_is_randomized_and_recorded(store):
    store.import_batch(candidates(200))
    lefts = []
    while (pair := store.next_pair("ann")) is not None:
        lefts.append(pair.left)
        store.record_label(pair.id, pair.left, "ann")  # always picks the left side
    assert 60 < lefts.count("a") < 140  # randomized per pair
    assert store.stats()["annotators"]["ann"]["left_share"] == 1.0


def test_two_annotators_never_get_the_same_pair_while_leased(store):
    store.import_batch(candidates(2))
    one, two = store.next_pair("ann1"), store.next_pair("ann2")
    assert one.id != two.id
    assert store.next_pair("ann3") is None
    assert store.next_pair("ann1").id == one.id  # a reload gives the same pair back


def test_lease_expires_and_pair_returns_to_pool(store):
    store.import_batch(candidates(1))
    held = store.next_pair("ann1", lease_seconds=0.2)
    assert store.next_pair("ann2") is None
    time.sleep(0.3)
    assert store.next_pair("ann2").id == held.id


def test_undo_retracts_the_label_and_serves_the_pair_again(store):
    store.import_batch(candidates(3))
    pair = store.next_pair("ann")
    store.record_label(pair.id, "a", "ann")
    assert store.undo_last("ann") == pair.id
    assert store.to_dataset().num_rows == 0
    assert store.next_pair("ann").id == pair.id
    assert store.next_pair("other").id != pair.id
    assert store.undo_last("nobody") is None


def test_labeling_twice_replaces_instead_of_counting_twice(store):
    store.import_batch(candidates(1))
    pair = store.next_pair("ann")
    store.record_label(pair.id, "a", "ann")
    store.record_label(pair.id, "b", "ann")
    assert [lab["choice"] for lab in store.labels_of(pair.id)] == ["b"]


def test_skip_keeps_the_pair_open_for_others(store):
    store.import_batch(candidates(1))
    pair = store.next_pair("ann1")
    store.record_label(pair.id, "skip", "ann1")
    assert store.next_pair("ann1") is None
    assert store.next_pair("ann2").id == pair.id


@pytest.mark.parametrize("choice", ["left", "", None, "A"])
def test_bad_choice_is_refused_and_nothing_stored(store, choice):
    store.import_batch(candidates(1))
    pair = store.next_pair("ann")
    with pytest.raises(BadInput, match="choice"):
        store.record_label(pair.id, choice, "ann")
    assert store.labels_of(pair.id) == []


def test_unknown_pair_and_missing_annotator_are_refused(store):
    with pytest.raises(BadInput, match="does not exist"):
        store.record_label(12345, "a", "ann")
    with pytest.raises(BadInput, match="annotator"):
        store.next_pair("  ")


def test_conversational_pairs_keep_messages(store):
    prompt = [{"role": "user", "content": "hi"}]
    store.import_batch(Batch([{"prompt": prompt, "chosen": [{"role": "assistant", "content": "hello!"}],
                               "rejected": [{"role": "assistant", "content": "go away"}]},
                              {"prompt": "[not json", "chosen": "x", "rejected": "y"}]))
    ds = store.to_dataset()
    rows = {r["chosen"][0]["content"]: r for r in ds}
    assert rows["hello!"]["prompt"] == prompt
    assert rows["x"]["prompt"] == [{"role": "user", "content": "[not json"}]


def test_stats_and_paged_listing(store):
    store.import_batch(candidates(30))
    store.record_label(store.next_pair("ann").id, "a", "ann")
    stats = store.stats()
    assert (stats["pairs"], stats["labeled_pairs"], stats["remaining"], stats["labeled_today"]) == (30, 1, 29, 1)
    assert stats["pairs_by_category"] == {"even": 15, "odd": 15}
    page, total = store.list_pairs(offset=10, limit=10, category="odd")
    assert total == 15 and len(page) == 5
    page, total = store.list_pairs(status="labeled")
    assert total == 1 and page[0]["labels"] == "ann:a"
    assert store.list_pairs(search="question 7?")[1] == 1


def test_delete_pair_removes_its_labels(store):
    store.import_batch(labeled(2))
    pair_id = store.to_dataset()[0]["pair_id"]
    assert store.delete_pair(pair_id)
    assert store.to_dataset().num_rows == 1
    assert store.labels_of(pair_id) == []


def test_store_file_is_wal_mode(store):
    assert sqlite3.connect(store.path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_relabel_replaces_every_label(store):
    store.import_batch(labeled(1))
    pair_id = store.to_dataset()[0]["pair_id"]
    store.relabel(pair_id, "b", "admin")
    row = store.to_dataset()[0]
    assert (row["chosen"], row["rejected"]) == ("bad 0", "good 0")


def test_overlap_serves_a_pair_to_several_annotators_but_never_beyond(store):
    store.import_batch(candidates(1))
    store.set_overlap(2)
    one, two = store.next_pair("ann1"), store.next_pair("ann2")
    assert one.id == two.id
    assert store.next_pair("ann3") is None  # two live leases fill the overlap
    store.record_label(one.id, "a", "ann1")
    store.record_label(two.id, "a", "ann2")
    assert store.next_pair("ann3") is None
    assert store.next_pair("ann1") is None


def test_majority_resolution_with_overlap(store):
    store.import_batch(candidates(3))
    store.set_overlap(3)
    votes = {0: ["a", "a", "b"], 1: ["a", "b", "tie"], 2: ["b", "b", "b"]}
    pairs = {}
    for ann in ("x", "y", "z"):
        for _ in range(3):
            pair = store.next_pair(ann)
            index = int(pair.prompt.split()[1].rstrip("?"))
            pairs[index] = pair
            store.record_label(pair.id, votes[index]["xyz".index(ann)], ann)
    ds = store.to_dataset()
    chosen = {row["pair_id"]: row["chosen"] for row in ds}
    assert chosen == {pairs[0].id: pairs[0].response_a, pairs[2].id: pairs[2].response_b}
    assert store.stats()["excluded_pairs"] == 1


def test_bad_overlap_is_refused(store):
    with pytest.raises(BadInput, match="overlap"):
        store.set_overlap(0)


def test_labeling_settings_are_shared_by_every_store_of_the_home(store, tmp_path):
    store.set_labeling_setting("serving_order", "uncertainty")
    store.set_overlap(3)
    other = PreferenceStore(tmp_path)
    assert other.labeling_settings()["serving_order"] == "uncertainty" and other.overlap == 3
    other.set_labeling_setting("serving_order", None)
    assert "serving_order" not in store.labeling_settings()
