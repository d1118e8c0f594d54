"""Bounded uploads and temp files (issue 11): a configurable upload limit given to Gradio, the uploaded copy
deleted once imported (only inside Gradio's upload folder), old export folders removed."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pytest

from rmstudio.access import Access
from rmstudio.errors import BadInput
from rmstudio.settings import ENV_MAX_UPLOAD_MB, max_upload_mb
from rmstudio.ui.app import launch_options
from rmstudio.ui.views import data as views


def test_upload_limit_defaults_to_200_mb_and_is_configurable(monkeypatch):
    monkeypatch.delenv(ENV_MAX_UPLOAD_MB, raising=False)
    assert max_upload_mb() == 200 and launch_options(Access(anonymous_admin=True))["max_file_size"] == "200mb"
    monkeypatch.setenv(ENV_MAX_UPLOAD_MB, "5")
    assert launch_options(Access(anonymous_admin=True))["max_file_size"] == "5mb"
    monkeypatch.setenv(ENV_MAX_UPLOAD_MB, "lots")
    with pytest.raises(BadInput) as caught:
        max_upload_mb()
    assert str(caught.value) == f"field '{ENV_MAX_UPLOAD_MB}': must be a whole number of megabytes (at least 1), got 'lots'"


def test_an_imported_upload_is_deleted_only_inside_the_upload_folder(tmp_path):
    uploads = tmp_path / "gradio"
    upload = uploads / "3f2a9c" / "pairs.jsonl"
    upload.parent.mkdir(parents=True)
    upload.write_text('{"prompt": "p", "chosen": "a", "rejected": "b"}\n')
    elsewhere = tmp_path / "mine.jsonl"
    elsewhere.write_text("keep me")
    assert views.forget_upload(str(elsewhere), str(uploads)) is False and elsewhere.exists()
    assert views.forget_upload(str(uploads / ".." / "mine.jsonl"), str(uploads)) is False and elsewhere.exists()
    assert views.forget_upload(str(upload), str(uploads)) is True
    assert not upload.exists() and not upload.parent.exists() and uploads.is_dir()
    assert views.forget_upload(None, str(uploads)) is False


def test_old_export_folders_are_removed_and_fresh_ones_kept():
    old = Path(tempfile.mkdtemp(prefix=views.EXPORT_PREFIX))
    (old / "preferences.jsonl").write_text("{}\n")
    fresh = Path(tempfile.mkdtemp(prefix=views.EXPORT_PREFIX))
    stale = time.time() - views.EXPORT_KEEP_SECONDS - 60
    os.utime(old, (stale, stale))
    try:
        assert views.remove_old_exports() >= 1
        assert not old.exists() and fresh.is_dir()
    finally:
        fresh.rmdir()
