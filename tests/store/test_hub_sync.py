"""Hub sync up to the Hub call: the dump, the restore, the scheduler's configuration and its commits."""

from __future__ import annotations

from huggingface_hub import HfApi

from rmstudio.store import PreferenceStore
from rmstudio.store.backup import read_dump, write_dump
from rmstudio.store.hub_sync import DUMP_NAME, PATH_IN_REPO, HubSyncConfig, export_folder, start
from tests.helpers.store_rows import Batch, candidates, labeled


def _filled_store(home) -> PreferenceStore:
    store = PreferenceStore(home)
    store.import_batch(labeled(3))
    store.import_batch(candidates(4))
    store.import_batch(Batch([{"prompt": [{"role": "user", "content": "hi"}],
                               "chosen": [{"role": "assistant", "content": "hello"}],
                               "rejected": [{"role": "assistant", "content": "no"}]}]))
    store.record_label(store.next_pair("ann").id, "b", "ann")
    store.record_label(store.next_pair("ann").id, "skip", "ann")
    return store


def test_dump_and_restore_reproduce_pairs_labels_and_training_set(tmp_path):
    store = _filled_store(tmp_path / "a")
    dump = tmp_path / "store.jsonl"
    assert write_dump(store.dump_records(), dump) == 8

    fresh = PreferenceStore(tmp_path / "b")
    report = fresh.restore_records(read_dump(dump))
    assert report == {"restored_pairs": 8, "restored_labels": 6, "skipped_pairs": 0}
    key = lambda r: str(r["chosen"])  # noqa: E731
    assert sorted(fresh.to_dataset().to_list(), key=key) == sorted(store.to_dataset().to_list(), key=key)
    assert fresh.stats()["remaining"] == store.stats()["remaining"] == 3  # a skip keeps a pair open
    assert fresh.stats()["annotators"] == store.stats()["annotators"]
    assert fresh.restore_records(read_dump(dump))["skipped_pairs"] == 8  # restoring twice adds nothing


def test_a_pair_twice_in_a_dump_is_restored_once_with_the_labels_of_its_first_copy(tmp_path):
    store = _filled_store(tmp_path / "a")
    first, *_ = [r for r in store.dump_records() if r["labels"] and r["labels"][0]["annotator"] == "ann"]
    copy = {**first, "response_a": first["response_b"], "response_b": first["response_a"],
            "labels": [{**first["labels"][0], "annotator": "other"}]}  # the same pair, sides swapped

    fresh = PreferenceStore(tmp_path / "b")
    assert fresh.restore_records([first, copy]) == {"restored_pairs": 1, "restored_labels": 1, "skipped_pairs": 1}
    assert [label["annotator"] for label in fresh.iter_labels()] == ["ann"]
    [restored] = fresh.dump_records()
    assert restored == first


def test_config_from_env_needs_repo_and_token():
    assert HubSyncConfig.from_env({}) is None
    assert HubSyncConfig.from_env({"RMSTUDIO_HUB_DATASET": "me/labels"}) is None
    config = HubSyncConfig.from_env({"RMSTUDIO_HUB_DATASET": "me/labels", "HF_TOKEN": "hf_x",
                                     "RMSTUDIO_HUB_SYNC_MINUTES": "2"})
    kwargs = config.scheduler_kwargs(tmp := export_folder(__import__("pathlib").Path("/tmp/rms-sync-test")))
    assert kwargs["repo_id"] == "me/labels" and kwargs["repo_type"] == "dataset" and kwargs["every"] == 2.0
    assert kwargs["folder_path"] == tmp and kwargs["private"] is True and kwargs["token"] == "hf_x"


class RecordingHubApi(HfApi):
    """Stands in for the Hub at the network boundary: records what the scheduler would send."""

    def __init__(self):
        super().__init__(token="hf_test")
        self.repos, self.commits = [], []

    def create_repo(self, repo_id, **kwargs):
        from huggingface_hub import RepoUrl

        self.repos.append((repo_id, kwargs.get("repo_type"), kwargs.get("private")))
        return RepoUrl(f"https://huggingface.co/datasets/{repo_id}")

    def create_commit(self, repo_id, operations, **kwargs):
        self.commits.append({op.path_in_repo: op.path_or_fileobj.read() for op in operations})


def test_scheduler_commits_a_fresh_dump(tmp_path):
    store = _filled_store(tmp_path)
    api = RecordingHubApi()
    scheduler = start(store, HubSyncConfig(repo_id="me/labels", token="hf_test", every_minutes=60), hf_api=api)
    try:
        scheduler.trigger().result(timeout=60)
        store.record_label(store.next_pair("ann2").id, "a", "ann2")
        scheduler.trigger().result(timeout=60)
    finally:
        scheduler.stop()
    assert api.repos == [("me/labels", "dataset", True)]
    assert len(api.commits) >= 2  # the scheduler may also commit on its own first tick
    first, second = (commit[f"{PATH_IN_REPO}/{DUMP_NAME}"].decode() for commit in (api.commits[0], api.commits[-1]))
    assert first.count('"annotator": "ann2"') == 0 and second.count('"annotator": "ann2"') == 1
