"""Persist the labels of a Space to a Hub dataset repo, and restore a fresh home from it.

A Space's disk is wiped on restart unless it has persistent storage. When `RMSTUDIO_HUB_DATASET`
(a dataset repo id) and a token (`HF_TOKEN`) are set, the app dumps the store into
`<home>/hub_sync/store.jsonl` and a `huggingface_hub.CommitScheduler` — the Hub's documented way to
persist data from a Space — commits that folder every few minutes (`RMSTUDIO_HUB_SYNC_MINUTES`,
default 5). On start, a home whose store is empty is restored from the repo's latest dump.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from rmstudio.store.backup import read_dump, write_dump
from rmstudio.store.preference_store import PreferenceStore

ENV_REPO = "RMSTUDIO_HUB_DATASET"
ENV_MINUTES = "RMSTUDIO_HUB_SYNC_MINUTES"
DUMP_NAME = "store.jsonl"
PATH_IN_REPO = "rmstudio"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HubSyncConfig:
    """Where and how often the store is pushed."""

    repo_id: str
    token: str
    every_minutes: float = 5.0
    private: bool = True

    @classmethod
    def from_env(cls, environ=os.environ) -> HubSyncConfig | None:
        """The configuration from the environment, or None when sync is off (no repo or no token)."""
        repo_id, token = environ.get(ENV_REPO, "").strip(), environ.get("HF_TOKEN", "").strip()
        if not repo_id or not token:
            return None
        return cls(repo_id=repo_id, token=token, every_minutes=float(environ.get(ENV_MINUTES, "5") or 5))

    def scheduler_kwargs(self, folder: Path) -> dict:
        return {"repo_id": self.repo_id, "repo_type": "dataset", "folder_path": folder, "every": self.every_minutes,
                "path_in_repo": PATH_IN_REPO, "private": self.private, "token": self.token,
                "allow_patterns": [DUMP_NAME]}


def export_folder(home: Path) -> Path:
    folder = Path(home) / "hub_sync"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def start(store: PreferenceStore, config: HubSyncConfig, *, hf_api=None):
    """Start the background scheduler that dumps the store and commits it (returns the scheduler)."""
    from huggingface_hub import CommitScheduler

    class StoreScheduler(CommitScheduler):
        def push_to_hub(self):
            with self.lock:  # a fresh dump right before each scheduled commit
                write_dump(store.dump_records(), Path(self.folder_path) / DUMP_NAME)
            return super().push_to_hub()

    return StoreScheduler(**config.scheduler_kwargs(export_folder(store.home)), hf_api=hf_api)


def restore_if_empty(store: PreferenceStore, config: HubSyncConfig) -> dict | None:
    """Fill an empty store from the repo's latest dump (None when the store has data or the repo has no dump)."""
    if store.count_pairs():
        return None
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError, RepositoryNotFoundError

    try:
        path = hf_hub_download(config.repo_id, f"{PATH_IN_REPO}/{DUMP_NAME}", repo_type="dataset", token=config.token)
    except (EntryNotFoundError, RepositoryNotFoundError):
        log.info("no rmstudio dump in %s yet: starting empty", config.repo_id)
        return None
    return store.restore_records(read_dump(Path(path)))
