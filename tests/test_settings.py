"""Data home resolution: a home that cannot be a folder is BadInput naming the option (exit 2), not a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rmstudio.errors import BadInput
from rmstudio.settings import ENV_HOME, resolve_home

ROOT = Path(__file__).resolve().parents[1]


def test_home_whose_parent_is_a_file_names_home_and_the_file(tmp_path):
    (tmp_path / "notes.txt").write_text("not a folder")
    with pytest.raises(BadInput) as caught:
        resolve_home(tmp_path / "notes.txt" / "rm")
    assert str(caught.value) == (f"field '--home': cannot use {tmp_path}/notes.txt/rm as the data home: "
                                 f"{tmp_path}/notes.txt is a file, not a folder")


def test_home_from_the_environment_names_the_variable(tmp_path, monkeypatch):
    (tmp_path / "taken").write_text("")
    monkeypatch.setenv(ENV_HOME, str(tmp_path / "taken"))
    with pytest.raises(BadInput, match=f"^field '{ENV_HOME}': cannot use .*taken is a file, not a folder$"):
        resolve_home(None)


def test_cli_exits_2_naming_home(tmp_path):
    (tmp_path / "file").write_text("")
    done = subprocess.run([sys.executable, "-m", "rmstudio", "stats", "--home", str(tmp_path / "file" / "h")],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert done.returncode == 2 and out["kind"] == "bad_input" and out["error"].startswith("field '--home': ")
