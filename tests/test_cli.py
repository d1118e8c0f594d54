"""The data commands as a user runs them: `python -m rmstudio import/export/stats` in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import datasets
import pytest

ROOT = Path(__file__).resolve().parents[1]
ROWS = [
    {"prompt": "How do I boil an egg?", "chosen": "Simmer it for 9 minutes, then cool it in cold water.",
     "rejected": "Eggs are hard.", "category": "cooking"},
    {"prompt": "What is 12 * 12?", "chosen": "144.", "rejected": "124.", "category": "math"},
    {"prompt": "Say hi politely.", "chosen": "Hello, nice to meet you!", "rejected": "What do you want?",
     "category": "politeness"},
]


def rmstudio(home: Path, *args: str) -> tuple[int, dict, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "rmstudio", *args, "--home", str(home)],
                          capture_output=True, text=True, env=env, timeout=300)
    lines = proc.stdout.strip().splitlines()
    return proc.returncode, json.loads(lines[-1]) if lines else {}, proc.stderr


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def test_import_then_reimport_reports_duplicates(tmp_path):
    source = write_jsonl(tmp_path / "prefs.jsonl", ROWS)
    code, out, _ = rmstudio(tmp_path / "home", "import", str(source))
    assert code == 0
    assert out == {**out, "imported": 3, "duplicates": 0, "format": "explicit", "labeled": 3, "unlabeled": 0}
    code, out, _ = rmstudio(tmp_path / "home", "import", str(source))
    assert (code, out["imported"], out["duplicates"]) == (0, 0, 3)
    code, stats, _ = rmstudio(tmp_path / "home", "stats")
    assert (code, stats["pairs"], stats["training_pairs"]) == (0, 3, 3)


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet", ".csv", ""])
def test_round_trip_import_export_load_dataset(tmp_path, suffix):
    home = tmp_path / "home"
    rmstudio(home, "import", str(write_jsonl(tmp_path / "prefs.jsonl", ROWS)))
    dest = tmp_path / f"export{suffix}"
    code, out, err = rmstudio(home, "export", str(dest))
    assert code == 0, err
    assert out["exported"] == 3
    if suffix:
        loaded = datasets.load_dataset(suffix.lstrip(".").replace("jsonl", "json"), data_files=str(dest), split="train")
    else:
        loaded = datasets.load_from_disk(str(dest))
    got = sorted(({k: row[k] for k in ("prompt", "chosen", "rejected", "category")} for row in loaded),
                 key=lambda r: r["prompt"])
    assert got == sorted(ROWS, key=lambda r: r["prompt"])


def test_exported_file_imports_back_into_a_new_home(tmp_path):
    rmstudio(tmp_path / "a", "import", str(write_jsonl(tmp_path / "prefs.jsonl", ROWS)))
    rmstudio(tmp_path / "a", "export", str(tmp_path / "out.parquet"))
    code, out, _ = rmstudio(tmp_path / "b", "import", str(tmp_path / "out.parquet"))
    assert (code, out["imported"], out["labeled"]) == (0, 3, 3)


def test_bad_file_exits_2_names_the_row_and_field_and_stores_nothing(tmp_path):
    home = tmp_path / "home"
    bad = write_jsonl(tmp_path / "bad.jsonl", [*ROWS, {"prompt": "x", "chosen": 7, "rejected": "y"}])
    code, out, err = rmstudio(home, "import", str(bad))
    assert code == 2
    assert "bad.jsonl" in out["error"] and "4" in out["error"] and "chosen" in out["error"]
    assert "bad.jsonl" in err
    code, stats, _ = rmstudio(home, "stats")
    assert stats["pairs"] == 0


def test_missing_file_and_unreachable_hub_id_exit_2(tmp_path):
    code, out, _ = rmstudio(tmp_path, "import", str(tmp_path / "nope.jsonl"))
    assert code == 2 and "nope.jsonl" in out["error"]
    code, out, _ = rmstudio(tmp_path, "import", "some-org/no-such-dataset")
    assert code == 2 and "some-org/no-such-dataset" in out["error"]


def test_large_import_shows_a_progress_bar(tmp_path):
    rows = [{"prompt": f"p{i}", "response_a": f"a{i}", "response_b": f"b{i}"} for i in range(20_000)]
    code, out, err = rmstudio(tmp_path / "home", "import", str(write_jsonl(tmp_path / "many.jsonl", rows)))
    assert (code, out["imported"], out["format"]) == (0, 20_000, "candidates")
    assert "20000/20000" in err.replace(",", "")  # tqdm's final count, on stderr
