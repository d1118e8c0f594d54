"""Acceptance (issue 10): raw HH-format data as real files hold it imports completely through the real CLI,
losslessly; a file with one broken line or row fails naming it, or with --on-invalid skip imports the rest."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.helpers.hh_dialogues import ASSISTANT, hh_records

ROOT = Path(__file__).resolve().parents[2]


def rmstudio(home: Path, *args: str) -> tuple[int, dict, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "rmstudio", *args, "--home", str(home)],
                          capture_output=True, text=True, env=env, timeout=300)
    lines = proc.stdout.strip().splitlines()
    return proc.returncode, json.loads(lines[-1]) if lines else {}, proc.stderr


def write_jsonl(path: Path, lines: list) -> Path:
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line, ensure_ascii=False)) + "\n"
                            for line in lines), encoding="utf-8")
    return path


def stored_pairs(home: Path, tmp_path: Path) -> list[dict]:
    code, _, err = rmstudio(home, "export", str(tmp_path / "export.jsonl"))
    assert code == 0, err
    with open(tmp_path / "export.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def test_a_raw_hh_file_of_2000_dialogues_imports_completely_and_losslessly(tmp_path):
    hh = hh_records(2100)
    source = write_jsonl(tmp_path / "harmless-base.jsonl", hh.records)
    home = tmp_path / "home"
    code, out, err = rmstudio(home, "import", str(source))
    assert code == 0, err
    assert out["format"] == "implicit"
    assert (out["imported"], out["duplicates"]) == (len(hh.unique_pairs), hh.duplicates)
    assert (out["skipped"], out["skipped_total"]) == ([], 0)
    assert out["warnings"] == hh.empty_replies and out["warnings_total"] == len(hh.empty_replies)

    code, again, _ = rmstudio(home, "import", str(source))
    assert (code, again["imported"], again["duplicates"]) == (0, 0, len(hh.records))

    stored = stored_pairs(home, tmp_path)
    assert {(row["prompt"] + row["chosen"], row["prompt"] + row["rejected"]) for row in stored} == hh.unique_pairs
    for row in stored:
        assert row["prompt"].endswith(ASSISTANT), row["prompt"][-80:]
        assert not row["chosen"].startswith(ASSISTANT) and not row["rejected"].startswith(ASSISTANT)
    empty_pairs = {tuple(hh.records[w["row"] - 1].values()) for w in hh.empty_replies}
    assert sum(not row["chosen"].strip() or not row["rejected"].strip() for row in stored) == len(empty_pairs) > 30


def _bad_jsonl(tmp_path: Path) -> tuple[Path, int, int]:
    records = hh_records(200, seed=3).records
    lines = [*records[:120], '{"chosen": "\\n\\nHuman: hi\\n\\nAssistant: x", "rejected": ', *records[120:]]
    return write_jsonl(tmp_path / "one_bad_line.jsonl", lines), 121, len(records)


def _bad_csv(tmp_path: Path) -> tuple[Path, int, int]:
    records = hh_records(200, seed=4).records
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["chosen", "rejected"])
    writer.writerows([r["chosen"], r["rejected"]] for r in records[:77])
    bad_line = text.getvalue().count("\n") + 1
    text.write('"\n\nHuman: only one column\n\nAssistant: yes"\n')
    writer.writerows([r["chosen"], r["rejected"]] for r in records[77:])
    path = tmp_path / "one_bad_row.csv"
    path.write_text(text.getvalue(), encoding="utf-8")
    return path, bad_line, len(records)


def _bad_parquet(tmp_path: Path) -> tuple[Path, int, int]:
    records = hh_records(200, seed=5).records
    same = records[0]["chosen"]
    rows = [*records[:50], {"chosen": same, "rejected": same}, *records[50:]]
    path = tmp_path / "one_bad_row.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path, 51, len(records)


@pytest.mark.parametrize("make", [_bad_jsonl, _bad_csv, _bad_parquet], ids=["jsonl", "csv", "parquet"])
def test_one_broken_row_fails_the_file_or_is_skipped_on_request(tmp_path, make):
    path, bad_row, good = make(tmp_path)
    home = tmp_path / "home"
    code, out, err = rmstudio(home, "import", str(path))
    assert code == 2, err
    assert path.name in out["error"] and f"row {bad_row}" in out["error"], out["error"]
    code, stats, _ = rmstudio(home, "stats")
    assert stats["pairs"] == 0

    code, out, err = rmstudio(home, "import", str(path), "--on-invalid", "skip")
    assert code == 0, err
    assert out["imported"] + out["duplicates"] == good
    assert [issue["row"] for issue in out["skipped"]] == [bad_row] and out["skipped_total"] == 1
    assert f"skipped: {path}, row {bad_row}" in err
    assert rmstudio(home, "stats")[1]["pairs"] == out["imported"]
