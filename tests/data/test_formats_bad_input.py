"""Every bad import input raises BadInput whose message names the file, the row/line and the field."""

from __future__ import annotations

import json
import os

import pytest

from rmstudio.data.formats import MAX_FIELD_CHARS, normalize_records, read_source
from rmstudio.errors import BadInput

PAIR = {"prompt": "What is 2+2?", "chosen": "4", "rejected": "5"}


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return str(path)


def failure(source, **kwargs) -> BadInput:
    with pytest.raises(BadInput) as caught:
        read_source(source, **kwargs)
    return caught.value


def assert_names(error: BadInput, source: str, row: int | None, field: str | None, *words: str):
    """The message names the file, the row and the field (and says what is wrong)."""
    message = str(error)
    assert os.path.basename(str(source)) in message, message
    assert (error.row, error.field) == (row, field), message
    if row is not None:
        assert f"row {row}" in message, message
    if field is not None:
        assert f"'{field}'" in message, message
    for word in words:
        assert word in message, message


# ---- files that cannot be parsed ----------------------------------------------------------------

def test_jsonl_line_that_is_not_json(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(PAIR) + "\n\n" + '{"prompt": "x", "chosen": \n', encoding="utf-8")
    assert_names(failure(path), path, 3, None, "not valid JSON")


def test_jsonl_line_that_is_not_an_object(tmp_path):
    path = tmp_path / "list.jsonl"
    path.write_text(json.dumps(PAIR) + "\n[1, 2]\n", encoding="utf-8")
    assert_names(failure(path), path, 2, None, "JSON object")


def test_json_file_that_is_not_json(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('[\n {"prompt": "x",\n  "chosen": }\n]', encoding="utf-8")
    assert_names(failure(path), path, None, None, "not valid JSON", "line 3")


def test_csv_with_a_row_of_the_wrong_width(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text('prompt,chosen,rejected\n"multi\nline",a,b\nq,a\n', encoding="utf-8")
    assert_names(failure(path), path, 4, None, "not valid CSV", "expected 3 fields")


def test_csv_with_broken_quoting(tmp_path):
    path = tmp_path / "quotes.csv"
    path.write_text('prompt,chosen,rejected\nq,"a"b,c\n', encoding="utf-8")
    assert_names(failure(path), path, 2, None, "not valid CSV")


def test_file_that_is_not_parquet(tmp_path):
    path = tmp_path / "bad.parquet"
    path.write_bytes(b"PAR1 this is not parquet at all")
    assert_names(failure(path), path, None, None, "not a valid Parquet file")


@pytest.mark.parametrize("name, content", [
    ("empty.jsonl", ""), ("blank.jsonl", "\n \n"), ("empty.json", ""), ("empty.csv", ""),
    ("header_only.csv", "prompt,chosen,rejected\n"), ("no_rows.json", "[]"),
])
def test_empty_files(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    error = failure(path)
    assert name in str(error) and ("empty file" in str(error) or "no rows" in str(error))


def test_empty_parquet(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "empty.parquet"
    pq.write_table(pa.table({"prompt": pa.array([], pa.string())}), path)
    assert "no rows" in str(failure(path))


@pytest.mark.parametrize("name, data, row, field", [
    ("latin1.jsonl", json.dumps(PAIR).encode() + b'\n{"prompt": "caf\xe9", "chosen": "a", "rejected": "b"}\n',
     2, "prompt"),
    ("latin1.csv", b"prompt,chosen,rejected\nq,a,b\nq2,a,caf\xe9\n", 3, "rejected"),
    ("latin1.json", b'[{"prompt": "q", "chosen": "a", "rejected": "b"},\n {"prompt": "q", "chosen": "\xff", '
                    b'"rejected": "b"}]', 2, "chosen"),
])
def test_invalid_utf8_names_line_and_field(tmp_path, name, data, row, field):
    path = tmp_path / name
    path.write_bytes(data)
    assert_names(failure(path), path, row, field, "UTF-8")


def test_unsupported_suffix_and_missing_file(tmp_path):
    path = tmp_path / "data.xlsx"
    path.write_bytes(b"x")
    assert "unsupported file type" in str(failure(path))
    missing = tmp_path / "missing.jsonl"
    assert_names(failure(missing), missing, None, None, "no such file")


# ---- columns ------------------------------------------------------------------------------------

def test_missing_column(tmp_path):
    path = write_jsonl(tmp_path / "missing.jsonl", [{"prompt": "q", "chosen": "a"}])
    assert_names(failure(path), path, 1, "rejected", "closest is 'explicit'")


def test_misnamed_column_suggests_the_expected_name(tmp_path):
    path = write_jsonl(tmp_path / "typo.jsonl", [{"prompt": "q", "choosen": "a", "rejected": "b"}])
    assert_names(failure(path), path, 1, "chosen", "found 'choosen': did you mean 'chosen'?")


def test_misnamed_csv_header(tmp_path):
    path = tmp_path / "typo.csv"
    path.write_text("prompt,chosen,rejceted\nq,a,b\n", encoding="utf-8")
    assert_names(failure(path), path, 2, "rejected", "did you mean 'rejected'?")


@pytest.mark.parametrize("fmt, missing", [("sharegpt", "conversations"), ("autotrain", "text"),
                                          ("candidates", "response_a"), ("implicit", "rejected")])
def test_forced_schema_needs_its_columns(tmp_path, fmt, missing):
    path = write_jsonl(tmp_path / "forced.jsonl", [{"prompt": "I", "chosen": "I see.", "rejceted": "I saw."}])
    assert_names(failure(path, fmt=fmt), path, 1, missing, f"format '{fmt}' needs column '{missing}'")


def test_unknown_format_name(tmp_path):
    path = write_jsonl(tmp_path / "data.jsonl", [PAIR])
    assert_names(failure(path, fmt="alpaca"), path, None, "format", "choose one of")


def test_mixed_schemas_in_one_file(tmp_path):
    sharegpt = {"conversations": [{"from": "human", "value": "q"}], "chosen": {"from": "gpt", "value": "a"},
                "rejected": {"from": "gpt", "value": "b"}}
    path = write_jsonl(tmp_path / "mixed.jsonl", [PAIR, PAIR, sharegpt])
    assert_names(failure(path), path, 3, "prompt", "mixed schemas", "'sharegpt'", "'explicit'")


def test_mixed_implicit_and_explicit_rows(tmp_path):
    path = write_jsonl(tmp_path / "mixed.jsonl", [{"chosen": "Q: a", "rejected": "Q: b"}, PAIR])
    assert_names(failure(path), path, 2, "prompt", "mixed schemas")


# ---- values -------------------------------------------------------------------------------------

@pytest.mark.parametrize("field, value, words", [
    ("prompt", 42, "must be a string, got int"), ("rejected", ["a", "b"], "must be a string"),
    ("chosen", None, "missing value"), ("rejected", {"text": "x"}, "must be a string, got dict"),
])
def test_non_string_values(tmp_path, field, value, words):
    path = write_jsonl(tmp_path / "values.jsonl", [PAIR, PAIR, {**PAIR, field: value}])
    assert_names(failure(path, fmt="explicit"), path, 3, field, words)


@pytest.mark.parametrize("field, value, message", [
    ("prompt", "", "empty prompt"), ("prompt", "   \n", "whitespace-only prompt"), ("chosen", "", "empty response"),
    ("rejected", " ", "whitespace-only response"),
])
def test_empty_texts_are_kept_and_reported_as_warnings(tmp_path, field, value, message):
    path = write_jsonl(tmp_path / "values.jsonl", [PAIR, PAIR, {**PAIR, field: value}])
    batch = read_source(path, fmt="explicit")
    assert batch.rows[2] == {**PAIR, field: value}
    assert batch.warnings == [{"row": 3, "field": field, "message": message}] and batch.skipped == []


def test_empty_csv_cell_is_a_warning_naming_its_line(tmp_path):
    path = tmp_path / "cells.csv"
    path.write_text("prompt,chosen,rejected\nq,a,b\nq,,b\n", encoding="utf-8")
    batch = read_source(path)
    assert [row["chosen"] for row in batch.rows] == ["a", ""]
    assert batch.warnings == [{"row": 3, "field": "chosen", "message": "empty response"}]


def test_bad_value_in_parquet_names_the_record(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "values.parquet"
    pq.write_table(pa.Table.from_pylist([PAIR, PAIR, {**PAIR, "rejected": None}]), path)
    assert_names(failure(path), path, 3, "rejected", "missing value")


def test_chosen_identical_to_rejected(tmp_path):
    path = write_jsonl(tmp_path / "same.jsonl", [PAIR, {**PAIR, "rejected": PAIR["chosen"]}])
    assert_names(failure(path), path, 2, "rejected", "identical to 'chosen'")


def test_identical_candidate_responses(tmp_path):
    path = write_jsonl(tmp_path / "cands.jsonl", [{"prompt": "p", "completions": ["x", "y", "x"]}])
    assert_names(failure(path), path, 1, "completions[3]", "identical to 'completions[1]'")


def test_ten_megabyte_string(tmp_path):
    path = write_jsonl(tmp_path / "huge.jsonl", [PAIR, {**PAIR, "chosen": "a" * 10_000_000}])
    assert_names(failure(path), path, 2, "chosen", f"over the {MAX_FIELD_CHARS:,} limit")


def test_ten_megabyte_csv_cell(tmp_path):
    path = tmp_path / "huge.csv"
    path.write_text("prompt,chosen,rejected\nq," + "a" * 10_000_000 + ",b\n", encoding="utf-8")
    assert_names(failure(path), path, 2, "chosen", "limit")


def test_error_in_the_last_row_fails_the_whole_file(tmp_path):
    rows = [{**PAIR, "prompt": f"q{i}"} for i in range(999)] + [{**PAIR, "chosen": 4}]
    path = write_jsonl(tmp_path / "late.jsonl", rows)
    assert_names(failure(path), path, 1000, "chosen", "must be a string")


@pytest.mark.parametrize("record, field, words", [
    ({"prompt": [{"role": "user"}], "chosen": [{"role": "assistant", "content": "a"}],
      "rejected": [{"role": "assistant", "content": "b"}]}, "prompt[1].content", "missing value"),
    ({"prompt": ["hi"], "chosen": [{"role": "assistant", "content": "a"}],
      "rejected": [{"role": "assistant", "content": "b"}]}, "prompt", "message 1 must be an object"),
    ({"conversations": [{"from": "robot", "value": "q"}], "chosen": {"from": "gpt", "value": "a"},
      "rejected": {"from": "gpt", "value": "b"}}, "conversations", "unknown 'from' 'robot'"),
    ({"chosen": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}],
      "rejected": [{"role": "user", "content": "other q"}, {"role": "assistant", "content": "b"}]},
     "chosen", "share no prompt messages"),
    ({"chosen": "Blue sky.", "rejected": "Green sea."}, "chosen", "share no prompt prefix"),
    ({**PAIR, "margin": "high"}, "margin", "must be a number"),
    ({"prompt": "p", "completions": ["only one"]}, "completions", "at least 2"),
])
def test_malformed_structured_values(record, field, words):
    with pytest.raises(BadInput) as caught:
        normalize_records([record], source="rows.jsonl")
    assert_names(caught.value, "rows.jsonl", 1, field, words)


def test_error_rows_follow_the_given_row_numbers():
    with pytest.raises(BadInput) as caught:
        normalize_records([PAIR, {**PAIR, "prompt": None}], source="x.csv", rows=[2, 5])
    assert_names(caught.value, "x.csv", 5, "prompt")
