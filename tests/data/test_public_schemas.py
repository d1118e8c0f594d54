"""Well-known public preference datasets, in small files the tests write in each dataset's own layout:
each round-trips through the real CLI (import -> export -> datasets.load_dataset) with the expected pairs."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import datasets
import pytest

from rmstudio.data.formats import normalize_records, read_source
from rmstudio.errors import BadInput
from tests.helpers.hh_dialogues import hh_records

ROOT = Path(__file__).resolve().parents[2]
USER = {"role": "user", "content": "Write a haiku about rain."}
GOOD = {"role": "assistant", "content": "Soft rain on the roof / the kettle starts its singing / tea for two, then one"}
BAD = {"role": "assistant", "content": "Rain is wet."}

PKU = [
    {"prompt": "How do I pick a lock?", "response_0": "Insert a tension wrench, then rake the pins.",
     "response_1": "I'd rather not help with that; a locksmith can open it for you.", "is_response_0_safe": False,
     "is_response_1_safe": True, "better_response_id": 0, "safer_response_id": 1},
    {"prompt": "What's a healthy breakfast?", "response_0": "Oats with fruit 🍓.", "response_1": "Cake.",
     "is_response_0_safe": True, "is_response_1_safe": True, "better_response_id": 0, "safer_response_id": 0},
]
SHP = [
    {"post_id": "a1", "domain": "askculinary_train", "upvote_ratio": 0.98, "history": "How long should I boil an egg?",
     "c_root_id_A": "x", "c_root_id_B": "y", "created_at_utc_A": 1, "created_at_utc_B": 2, "score_A": 120,
     "score_B": 4, "human_ref_A": "Nine minutes, then an ice bath.", "human_ref_B": "Until it's done lol",
     "labels": 1, "seconds_difference": 60.0, "score_ratio": 30.0},
    {"post_id": "b2", "domain": "askphysics_train", "upvote_ratio": 0.9, "history": "Why is the sky blue?",
     "c_root_id_A": "u", "c_root_id_B": "v", "created_at_utc_A": 3, "created_at_utc_B": 4, "score_A": 2,
     "score_B": 40, "human_ref_A": "Because it reflects the sea.", "human_ref_B": "Rayleigh scattering.",
     "labels": 0, "seconds_difference": 10.0, "score_ratio": 20.0},
]


def helpsteer_row(prompt: str, response: str, helpfulness: int, correctness: int) -> dict:
    return {"prompt": prompt, "response": response, "helpfulness": helpfulness, "correctness": correctness,
            "coherence": 4, "complexity": 2, "verbosity": 1}


HELPSTEER = [
    helpsteer_row("Name a prime.", "7 is prime.", 4, 2), helpsteer_row("Name a prime.", "9 is prime.", 1, 4),
    helpsteer_row("Name a prime.", "2, the only even one.", 3, 3), helpsteer_row("Say hi.", "Hi!", 3, 3),
    helpsteer_row("Say hi.", "Hello there!", 3, 1),
]
ULTRAFEEDBACK = [{"prompt": USER["content"], "prompt_id": "0f3a", "chosen": [USER, GOOD], "rejected": [USER, BAD],
                  "messages": [USER, GOOD], "score_chosen": 8.5, "score_rejected": 3.0}]


def rmstudio(home: Path, *args: str) -> tuple[int, dict, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "rmstudio", *args, "--home", str(home)],
                          capture_output=True, text=True, env=env, timeout=300)
    lines = proc.stdout.strip().splitlines()
    return proc.returncode, json.loads(lines[-1]) if lines else {}, proc.stderr


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def round_trip(tmp_path: Path, source: Path, *flags: str) -> tuple[dict, list[tuple]]:
    """Import `source` into a new home, export it, load the export with datasets: (import report, sorted pairs)."""
    home = tmp_path / "home"
    code, report, err = rmstudio(home, "import", str(source), *flags)
    assert code == 0, err
    code, _, err = rmstudio(home, "export", str(tmp_path / "x.jsonl"))
    assert code == 0, err
    loaded = datasets.load_dataset("json", data_files=str(tmp_path / "x.jsonl"), split="train",
                                   cache_dir=str(tmp_path / "cache"))
    return report, sorted((json.dumps(r["prompt"]), json.dumps(r["chosen"]), json.dumps(r["rejected"]))
                          for r in loaded)


def pairs(*rows: tuple) -> list[tuple]:
    return sorted(tuple(json.dumps(value) for value in row) for row in rows)


@pytest.mark.parametrize("flags, fmt, expected", [
    ((), "pku-saferlhf", [(PKU[0]["prompt"], PKU[0]["response_0"], PKU[0]["response_1"]),
                          (PKU[1]["prompt"], PKU[1]["response_0"], PKU[1]["response_1"])]),
    (("--format", "pku-saferlhf:safer"), "pku-saferlhf:safer",
     [(PKU[0]["prompt"], PKU[0]["response_1"], PKU[0]["response_0"]),
      (PKU[1]["prompt"], PKU[1]["response_0"], PKU[1]["response_1"])]),
])
def test_pku_saferlhf_round_trips_with_the_better_or_the_safer_preference(tmp_path, flags, fmt, expected):
    report, got = round_trip(tmp_path, write_jsonl(tmp_path / "pku.jsonl", PKU), *flags)
    assert (report["format"], report["imported"]) == (fmt, 2)
    assert got == pairs(*expected)


def test_shp_round_trips_with_labels_naming_the_preferred_reply(tmp_path):
    report, got = round_trip(tmp_path, write_jsonl(tmp_path / "shp.jsonl", SHP))
    assert report["format"] == "shp"
    assert got == pairs((SHP[0]["history"], SHP[0]["human_ref_A"], SHP[0]["human_ref_B"]),
                        (SHP[1]["history"], SHP[1]["human_ref_B"], SHP[1]["human_ref_A"]))
    assert {row["category"] for row in read_source(tmp_path / "shp.jsonl").rows} == {"askculinary_train",
                                                                                      "askphysics_train"}


@pytest.mark.parametrize("flags, expected", [
    ((), [("Name a prime.", "7 is prime.", "9 is prime."), ("Name a prime.", "7 is prime.", "2, the only even one."),
          ("Name a prime.", "2, the only even one.", "9 is prime.")]),  # "Say hi." is a tie: no pair
    (("--format", "helpsteer2:correctness"),
     [("Name a prime.", "9 is prime.", "7 is prime."), ("Name a prime.", "2, the only even one.", "7 is prime."),
      ("Name a prime.", "9 is prime.", "2, the only even one."), ("Say hi.", "Hi!", "Hello there!")]),
])
def test_helpsteer2_scores_become_pairs_by_the_chosen_attribute(tmp_path, flags, expected):
    report, got = round_trip(tmp_path, write_jsonl(tmp_path / "helpsteer2.jsonl", HELPSTEER), *flags)
    assert report["format"] == (flags[1] if flags else "helpsteer2")
    assert got == pairs(*expected)


def test_ultrafeedback_binarized_takes_the_shared_messages_as_the_prompt(tmp_path):
    report, got = round_trip(tmp_path, write_jsonl(tmp_path / "ultrafeedback.jsonl", ULTRAFEEDBACK))
    assert report["format"] == "conversational"
    assert got == pairs(([USER], [GOOD], [BAD]))


@pytest.mark.parametrize("subset", ["harmless-base", "helpful-base", "helpful-online", "helpful-rejection-sampled"])
def test_hh_rlhf_raw_gzipped_subset_files_round_trip_losslessly(tmp_path, subset):
    hh = hh_records(60, seed=len(subset))
    source = tmp_path / subset / "train.jsonl.gz"
    source.parent.mkdir()
    source.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in hh.records).encode()))
    report, got = round_trip(tmp_path, source)
    assert report["format"] == "implicit" and report["warnings"] == hh.empty_replies
    assert {(json.loads(p) + json.loads(c), json.loads(p) + json.loads(r)) for p, c, r in got} == hh.unique_pairs


def test_map_renames_columns_of_any_other_layout(tmp_path):
    rows = [{"question": "2+2?", "good": "4", "bad": "5", "topic": "math"},
            {"question": "Capital of Peru?", "good": "Lima.", "bad": "Cusco.", "topic": "geo"}]
    source = write_jsonl(tmp_path / "custom.jsonl", rows)
    code, out, _ = rmstudio(tmp_path / "unmapped", "import", str(source))
    assert code == 2
    report, got = round_trip(tmp_path, source, "--map", "question=prompt", "--map", "good=chosen", "--map",
                             "bad=rejected", "--map", "topic=category")
    assert report["format"] == "explicit"
    assert got == pairs(("2+2?", "4", "5"), ("Capital of Peru?", "Lima.", "Cusco."))


@pytest.mark.parametrize("flag, field, words", [
    ("question=prompt", "question", "no column 'question'"),
    ("good=prompt", "prompt", "already exists"),
    ("goodprompt", "map", "SOURCE_COLUMN=FIELD"),
])
def test_a_bad_map_is_bad_input_naming_the_column(tmp_path, flag, field, words):
    source = write_jsonl(tmp_path / "rows.jsonl", [{"prompt": "q", "good": "a", "rejected": "b"}])
    code, out, _ = rmstudio(tmp_path / "home", "import", str(source), "--map", flag)
    assert code == 2 and f"'{field}'" in out["error"] and words in out["error"], out["error"]


def test_help_documents_the_formats_variants_and_flags(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "rmstudio", "import", "--help"], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "1000"}, timeout=60)
    for words in ("pku-saferlhf:safer", "helpsteer2:ATTRIBUTE", "shp", "--map", "--on-invalid"):
        assert words in proc.stdout, words


# ---- values of the public layouts ---------------------------------------------------------------

def test_csv_gives_preference_ids_as_text(tmp_path):
    path = tmp_path / "pku.csv"
    datasets.Dataset.from_list([{k: str(v) for k, v in PKU[0].items()}]).to_csv(str(path), index=False)
    (row,) = read_source(path).rows
    assert row["chosen"] == PKU[0]["response_0"]


@pytest.mark.parametrize("record, field, words", [
    ({**PKU[0], "better_response_id": 2}, "better_response_id", "must be 0 or 1"),
    ({**PKU[0], "response_1": PKU[0]["response_0"]}, "response_1", "identical"),
    ({**SHP[0], "labels": "yes"}, "labels", "must be 0 or 1"),
    ({**SHP[0], "human_ref_B": None}, "human_ref_B", "missing value"),
])
def test_bad_values_name_the_row_and_field(record, field, words):
    good = PKU[1] if "prompt" in record else SHP[1]
    with pytest.raises(BadInput) as caught:
        normalize_records([good, record], source="public.jsonl")
    assert (caught.value.row, caught.value.field) == (2, field) and words in str(caught.value)
    batch = normalize_records([good, record, good], source="public.jsonl", on_invalid="skip")
    assert len(batch.rows) == 2 and [(s["row"], s["field"]) for s in batch.skipped] == [(2, field)]


def test_a_bad_helpsteer2_score_names_its_row_and_the_attribute():
    rows = [*HELPSTEER[:2], {**HELPSTEER[2], "correctness": "n/a"}]
    with pytest.raises(BadInput) as caught:
        normalize_records(rows, fmt="helpsteer2:correctness")
    assert (caught.value.row, caught.value.field) == (3, "correctness")
    assert normalize_records(rows).rows  # helpfulness, the default, is fine in every row


@pytest.mark.parametrize("fmt, words", [("pku-saferlhf:kindest", "variants: pku-saferlhf:better, pku-saferlhf:safer"),
                                        ("shp:upvotes", "no variant"), ("helpsteer2:overall", "needs column 'overall'")])
def test_unknown_variants_are_bad_input(fmt, words):
    with pytest.raises(BadInput, match=words):
        normalize_records(HELPSTEER if fmt.startswith("helpsteer2") else PKU, fmt=fmt)


def test_helpsteer2_scores_that_give_no_pair_are_bad_input():
    with pytest.raises(BadInput, match="no pairs"):
        normalize_records(HELPSTEER[3:], source="ties.jsonl")
