"""The row policy of an import: empty texts are kept as warnings; invalid rows fail the source, or with
on_invalid="skip" are left out and listed; reports list at most 100 of each with the totals."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from rmstudio.data.formats import normalize_records, preview_source, read_source
from rmstudio.data.issues import REPORTED_ISSUES, preview_counts
from rmstudio.errors import BadInput
from rmstudio.store import PreferenceStore

PAIR = {"prompt": "What is 2+2?", "chosen": "4", "rejected": "5"}


def numbered(n: int) -> list[dict]:
    return [{**PAIR, "prompt": f"What is {i}+{i}?"} for i in range(n)]


def write_jsonl(path, lines: list) -> str:
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines),
                    encoding="utf-8")
    return str(path)


def test_skip_leaves_out_an_unreadable_jsonl_line_and_names_it(tmp_path):
    path = write_jsonl(tmp_path / "one_bad.jsonl", [*numbered(3), '{"prompt": "x", "chosen": ', *numbered(5)[3:]])
    with pytest.raises(BadInput) as caught:
        read_source(path)
    assert caught.value.row == 4
    batch = read_source(path, on_invalid="skip")
    assert [row["prompt"] for row in batch.rows] == [r["prompt"] for r in numbered(5)]
    (skipped,) = batch.skipped
    assert (skipped["row"], skipped["field"]) == (4, None) and "not valid JSON" in skipped["message"]
    assert batch.records == 6


@pytest.mark.parametrize("bad, field, words", [
    ({**PAIR, "chosen": 4}, "chosen", "must be a string"),
    ({**PAIR, "rejected": "4"}, "rejected", "identical to 'chosen'"),
    ({"prompt": "q", "chosen": "a"}, "rejected", "missing value"),
    ([1, 2], None, "JSON object"),
])
def test_skip_leaves_out_each_kind_of_invalid_row(tmp_path, bad, field, words):
    path = write_jsonl(tmp_path / "rows.jsonl", [*numbered(2), bad, *numbered(4)[2:]])
    batch = read_source(path, on_invalid="skip")
    assert len(batch.rows) == 4
    assert [(s["row"], s["field"]) for s in batch.skipped] == [(3, field)]
    assert words in batch.skipped[0]["message"]


def test_skip_finds_the_schema_past_an_invalid_first_row(tmp_path):
    path = write_jsonl(tmp_path / "first_bad.jsonl", [{"prompt": "q", "choosen": "a", "rejected": "b"}, *numbered(2)])
    with pytest.raises(BadInput):
        read_source(path)
    batch = read_source(path, on_invalid="skip")
    assert (batch.format, len(batch.rows), batch.skipped[0]["row"], batch.skipped[0]["field"]) == (
        "explicit", 2, 1, "chosen")


def test_skip_leaves_out_a_bad_csv_line_and_a_bad_parquet_record(tmp_path):
    csv_path = tmp_path / "one_bad.csv"
    csv_path.write_text('prompt,chosen,rejected\nq1,a,b\n"q2\nspans lines",a,b\nq3,a\nq4,a,b\n', encoding="utf-8")
    batch = read_source(csv_path, on_invalid="skip")
    assert [r["prompt"] for r in batch.rows] == ["q1", "q2\nspans lines", "q4"]
    assert [(s["row"], s["field"]) for s in batch.skipped] == [(5, None)]
    parquet = tmp_path / "one_bad.parquet"
    pq.write_table(pa.Table.from_pylist([*numbered(2), {**PAIR, "chosen": None}, *numbered(3)[2:]]), parquet)
    batch = read_source(parquet, on_invalid="skip")
    assert len(batch.rows) == 3 and [(s["row"], s["field"]) for s in batch.skipped] == [(3, "chosen")]


def test_skip_leaves_out_a_line_with_invalid_utf8(tmp_path):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(json.dumps(PAIR).encode() + b'\n{"prompt": "caf\xe9", "chosen": "a", "rejected": "b"}\n')
    batch = read_source(path, on_invalid="skip")
    assert batch.rows == [PAIR] and [(s["row"], s["field"]) for s in batch.skipped] == [(2, "prompt")]


@pytest.mark.parametrize("lines, row", [([{**PAIR, "rejected": "4"}, {**PAIR, "chosen": 1}], 1),
                                       (["not json", "{"], 1), ([PAIR | {"prompt": 3}, "[]"], 1)])
def test_a_source_with_no_valid_row_is_still_bad_input_naming_the_first(tmp_path, lines, row):
    path = write_jsonl(tmp_path / "all_bad.jsonl", lines)
    with pytest.raises(BadInput, match="no valid rows") as caught:
        read_source(path, on_invalid="skip")
    assert caught.value.row == row


def test_an_unknown_policy_is_bad_input(tmp_path):
    with pytest.raises(BadInput) as caught:
        read_source(write_jsonl(tmp_path / "a.jsonl", [PAIR]), on_invalid="ignore")
    assert caught.value.field == "on_invalid"


def test_empty_message_contents_are_warnings_too():
    record = {"prompt": [{"role": "user", "content": "Say nothing."}],
              "chosen": [{"role": "assistant", "content": ""}], "rejected": [{"role": "assistant", "content": "No."}]}
    batch = normalize_records([record])
    assert batch.rows[0]["chosen"] == [{"role": "assistant", "content": ""}]
    assert batch.warnings == [{"row": 1, "field": "chosen[1].content", "message": "empty message in the response"}]


def test_the_store_report_lists_at_most_100_issues_with_the_totals(tmp_path):
    rows = [{**r, "chosen": ""} for r in numbered(150)] + [{**PAIR, "rejected": "4"}] * 120 + numbered(160)[150:]
    batch = normalize_records(rows, source="many.jsonl", on_invalid="skip")
    report = PreferenceStore(tmp_path).import_batch(batch)
    assert (report["imported"], report["warnings_total"], report["skipped_total"]) == (160, 150, 120)
    assert len(report["warnings"]) == len(report["skipped"]) == REPORTED_ISSUES
    assert report["warnings"][0] == {"row": 1, "field": "chosen", "message": "empty response"}
    assert report["skipped"][-1]["row"] == 150 + REPORTED_ISSUES


def test_the_store_report_of_a_clean_batch_has_empty_issue_lists(tmp_path):
    report = PreferenceStore(tmp_path).import_batch(normalize_records(numbered(3)))
    assert (report["warnings"], report["warnings_total"], report["skipped"], report["skipped_total"]) == ([], 0, [], 0)


def test_preview_counts_fine_warned_and_invalid_rows_with_the_first_reasons(tmp_path):
    lines = [*numbered(4), {**PAIR, "chosen": ""}, {**PAIR, "prompt": "", "rejected": " "}, "not json",
             {**PAIR, "rejected": "4"}]
    batch, counts = preview_source(write_jsonl(tmp_path / "mixed.jsonl", lines), reasons=2)
    assert len(batch.rows) == 6
    assert counts == {**counts, "format": "explicit", "records": 8, "valid": 6, "fine": 4, "with_warnings": 2,
                      "warnings_total": 3, "invalid": 2}
    assert counts["first_warnings"] == ["row 5, field 'chosen': empty response", "row 6, field 'prompt': empty prompt"]
    assert counts["first_invalid"][0].startswith("row 7: not valid JSON")
    assert counts["first_invalid"][1].startswith("row 8, field 'rejected': identical")
    assert preview_counts(normalize_records(numbered(2)))["fine"] == 2
