"""Import (every schema, five source kinds, every bad input) and export round trips of rmstudio.data.formats."""

from __future__ import annotations

import json
import os

import datasets
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from huggingface_hub import constants

from rmstudio.data.formats import SCHEMAS, normalize_records, read_source, write_export
from rmstudio.errors import BadInput

HH_PROMPT = "\n\nHuman: Hi there\n\nAssistant: Hello! How can I help?\n\nHuman: How do I boil an egg?\n\nAssistant:"
USER = {"role": "user", "content": "How do I boil an egg?"}
GOOD = {"role": "assistant", "content": "Simmer it for nine minutes, then cool it in cold water."}
BAD = {"role": "assistant", "content": "Eggs are overrated."}

# schema -> (records as found in the wild, the normalized rows they must give)
CASES = {
    "explicit": (
        [{"prompt": "What is 2+2?", "chosen": "4", "rejected": "5", "category": "math", "margin": 1.5, "id": 7}],
        [{"prompt": "What is 2+2?", "chosen": "4", "rejected": "5", "category": "math", "margin": 1.5, "id": "7"}],
    ),
    "implicit": (
        [{"chosen": HH_PROMPT + " Simmer it for nine minutes.", "rejected": HH_PROMPT + " Why would you?",
          "subset": "helpful"}],
        [{"prompt": HH_PROMPT, "chosen": " Simmer it for nine minutes.", "rejected": " Why would you?",
          "category": "helpful"}],
    ),
    "conversational": (
        [{"prompt": [USER], "chosen": [GOOD], "rejected": [BAD]}],
        [{"prompt": [USER], "chosen": [GOOD], "rejected": [BAD]}],
    ),
    "sharegpt": (
        [{"conversations": [{"from": "system", "value": "Be brief."}, {"from": "human", "value": USER["content"]}],
          "chosen": {"from": "gpt", "value": GOOD["content"]}, "rejected": {"from": "gpt", "value": BAD["content"]}}],
        [{"prompt": [{"role": "system", "content": "Be brief."}, USER], "chosen": [GOOD], "rejected": [BAD]}],
    ),
    "autotrain": (
        [{"prompt": "Capital of France?", "text": "Paris.", "rejected_text": "Lyon.", "source": "geo"}],
        [{"prompt": "Capital of France?", "chosen": "Paris.", "rejected": "Lyon.", "category": "geo", "source": "geo"}],
    ),
    "candidates": (
        [{"prompt": "Name a colour.", "response_a": "Blue.", "response_b": "Seven."}],
        [{"prompt": "Name a colour.", "response_a": "Blue.", "response_b": "Seven."}],
    ),
    "pku-saferlhf": (
        [{"prompt": "How do I pick a lock?", "response_0": "Use a tension wrench.", "response_1": "Call a locksmith.",
          "is_response_0_safe": False, "is_response_1_safe": True, "better_response_id": 0, "safer_response_id": 1}],
        [{"prompt": "How do I pick a lock?", "chosen": "Use a tension wrench.", "rejected": "Call a locksmith."}],
    ),
    "shp": (
        [{"post_id": "p1", "domain": "askculinary_train", "history": "How long do I boil an egg?", "score_A": 52,
          "score_B": 3, "human_ref_A": "Nine minutes.", "human_ref_B": "Forever.", "labels": 1, "score_ratio": 17.3},
         {"post_id": "p1", "domain": "askculinary_train", "history": "How long do I boil an egg?", "score_A": 1,
          "score_B": 3, "human_ref_A": "Ask your mum.", "human_ref_B": "Eight to ten minutes.", "labels": 0}],
        [{"prompt": "How long do I boil an egg?", "chosen": "Nine minutes.", "rejected": "Forever.",
          "category": "askculinary_train"},
         {"prompt": "How long do I boil an egg?", "chosen": "Eight to ten minutes.", "rejected": "Ask your mum.",
          "category": "askculinary_train"}],
    ),
    "helpsteer2": (
        [{"prompt": "Name a fruit.", "response": "An apple.", "helpfulness": 4, "correctness": 4, "coherence": 4,
          "complexity": 1, "verbosity": 1},
         {"prompt": "Name a fruit.", "response": "A carrot.", "helpfulness": 1, "correctness": 0, "coherence": 4,
          "complexity": 1, "verbosity": 1},
         {"prompt": "Say hi.", "response": "Hi!", "helpfulness": 3, "correctness": 3, "coherence": 4, "complexity": 0,
          "verbosity": 0},
         {"prompt": "Say hi.", "response": "Hello!", "helpfulness": 3, "correctness": 3, "coherence": 4,
          "complexity": 0, "verbosity": 1}],
        [{"prompt": "Name a fruit.", "chosen": "An apple.", "rejected": "A carrot."}],  # the tie gives no pair
    ),
}


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def bad_input(source, **kwargs) -> str:
    with pytest.raises(BadInput) as caught:
        read_source(source, **kwargs)
    return str(caught.value)


# ---- schemas ------------------------------------------------------------------------------------

def test_an_unknown_format_is_refused_naming_every_schema_the_importer_reads():
    with pytest.raises(BadInput) as caught:
        normalize_records([{"prompt": "p", "chosen": "c", "rejected": "r"}], fmt="alpaca")
    assert caught.value.field == "format"
    offered = str(caught.value).split("choose one of ", 1)[1].split(", ")
    assert offered == list(SCHEMAS) and set(offered) == set(CASES), "every schema has a worked case above"


@pytest.mark.parametrize("schema", CASES)
def test_every_schema_is_detected(tmp_path, schema):
    records, expected = CASES[schema]
    batch = read_source(write_jsonl(tmp_path / f"{schema}.jsonl", records))
    assert (batch.format, batch.rows) == (schema, expected)


@pytest.mark.parametrize("schema", CASES)
def test_every_schema_can_be_forced(tmp_path, schema):
    records, expected = CASES[schema]
    batch = read_source(str(write_jsonl(tmp_path / "data.jsonl", records)), fmt=schema)
    assert (batch.format, batch.rows) == (schema, expected)


def test_forcing_a_schema_changes_how_rows_are_read():
    record = {"prompt": "Hi", "chosen": "Hello!", "rejected": "Go away."}
    batch = normalize_records([record], fmt="conversational")
    assert batch.rows == [{"prompt": [{"role": "user", "content": "Hi"}],
                           "chosen": [{"role": "assistant", "content": "Hello!"}],
                           "rejected": [{"role": "assistant", "content": "Go away."}]}]
    batch = normalize_records([{**record, "chosen": "Hi there", "rejected": "Hi you"}], fmt="implicit")
    assert batch.rows == [{"prompt": "Hi ", "chosen": "there", "rejected": "you"}]


@pytest.mark.parametrize("chosen, rejected, prompt", [
    (HH_PROMPT + " Boil it.", HH_PROMPT + " No.", HH_PROMPT),  # last shared assistant turn
    ("\n\nHuman: a\n\nAssistant: b\n\nHuman: c\n\nAssistant: Sure thing", "\n\nHuman: a\n\nAssistant: b\n\nHuman: c"
     "\n\nAssistant: Sure, no", "\n\nHuman: a\n\nAssistant: b\n\nHuman: c\n\nAssistant:"),
    ("The capital of France is Paris.", "The capital of France is Lyon.", "The capital of France is "),
    ("Answer:\nNope, never", "Answer:\nNo", "Answer:\n"),  # differs mid-word: back off to whitespace
    ("Say hi there", "Say hi", "Say "),  # one text is a prefix of the other: both responses stay non-empty
])
def test_implicit_split_is_lossless_and_cuts_at_a_boundary(chosen, rejected, prompt):
    (row,) = normalize_records([{"chosen": chosen, "rejected": rejected}]).rows
    assert row["prompt"] == prompt
    assert row["prompt"] + row["chosen"] == chosen and row["prompt"] + row["rejected"] == rejected


TURN = "\n\nAssistant:"


@pytest.mark.parametrize("chosen, rejected, prompt, replies", [
    # the reported bug: an empty final reply without a trailing space
    ("\n\nHuman: hi" + TURN, "\n\nHuman: hi" + TURN + " Hello!", "\n\nHuman: hi" + TURN, ("", " Hello!")),
    ("\n\nHuman: hi" + TURN + " Hello!", "\n\nHuman: hi" + TURN, "\n\nHuman: hi" + TURN, (" Hello!", "")),
    # an empty final reply with a trailing space
    ("\n\nHuman: hi" + TURN + " ", "\n\nHuman: hi" + TURN + " Hello!", "\n\nHuman: hi" + TURN, (" ", " Hello!")),
    # multi-turn, the empty reply in the last turn
    (HH_PROMPT, HH_PROMPT + " Boil it.", HH_PROMPT, ("", " Boil it.")),
    # versions that diverge before the last turn: the responses hold several turns
    ("\n\nHuman: a" + TURN + " b\n\nHuman: c" + TURN + " d", "\n\nHuman: a" + TURN + " x\n\nHuman: y" + TURN + " z",
     "\n\nHuman: a" + TURN, (" b\n\nHuman: c" + TURN + " d", " x\n\nHuman: y" + TURN + " z")),
    # one version goes on for another turn after the shared reply
    ("\n\nHuman: a" + TURN + " b\n\nHuman: more?" + TURN + " Sure.", "\n\nHuman: a" + TURN + " b",
     "\n\nHuman: a" + TURN, (" b\n\nHuman: more?" + TURN + " Sure.", " b")),
    # the replies share their first words: the cut stays at the turn, not inside the reply
    ("\n\nHuman: a" + TURN + " I think so", "\n\nHuman: a" + TURN + " I think not", "\n\nHuman: a" + TURN,
     (" I think so", " I think not")),
    # an empty turn followed by another assistant turn in one version: no response starts with the marker
    ("\n\nHuman: a" + TURN + " b\n\nHuman: c" + TURN + TURN + " d", "\n\nHuman: a" + TURN + " b\n\nHuman: c" + TURN
     + " e", "\n\nHuman: a" + TURN, (" b\n\nHuman: c" + TURN + TURN + " d", " b\n\nHuman: c" + TURN + " e")),
])
def test_dialogues_split_at_the_last_shared_assistant_turn(chosen, rejected, prompt, replies):
    (row,) = normalize_records([{"chosen": chosen, "rejected": rejected}]).rows
    assert (row["prompt"], row["chosen"], row["rejected"]) == (prompt, *replies)
    assert row["prompt"] + row["chosen"] == chosen and row["prompt"] + row["rejected"] == rejected
    assert row["prompt"].endswith(TURN)
    assert not row["chosen"].startswith(TURN) and not row["rejected"].startswith(TURN)


def test_an_empty_final_reply_is_stored_with_a_warning():
    batch = normalize_records([{"chosen": "\n\nHuman: hi" + TURN, "rejected": "\n\nHuman: hi" + TURN + " Hello!"}])
    assert batch.warnings == [{"row": 1, "field": "chosen", "message": "empty response"}]


def test_dialogues_that_differ_before_their_first_assistant_turn_share_no_prompt():
    with pytest.raises(BadInput, match="first") as caught:
        normalize_records([{"chosen": "\n\nHuman: hi" + TURN + " a", "rejected": "\n\nHuman: yo" + TURN + " b"}])
    assert (caught.value.row, caught.value.field) == (1, "chosen")


def test_conversational_without_prompt_takes_the_shared_messages_as_prompt():
    history = [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "Hi"},
               {"role": "assistant", "content": "Hello!"}, USER]
    batch = normalize_records([{"chosen": history + [GOOD], "rejected": history + [BAD], "margin": "2"}])
    assert batch.format == "conversational"
    assert batch.rows == [{"prompt": history, "chosen": [GOOD], "rejected": [BAD], "margin": 2.0}]


def test_conversations_holding_their_prompt_ignore_the_repeated_prompt_column():
    record = {"prompt": USER["content"], "chosen": [USER, GOOD], "rejected": [USER, BAD], "prompt_id": "x"}
    assert normalize_records([record]).rows == [{"prompt": [USER], "chosen": [GOOD], "rejected": [BAD]}]


def test_sharegpt_roles_system_column_and_empty_system_messages():
    record = {"system": "Be brief.", "conversations": [{"from": "system", "value": ""}, {"from": "human", "value": "Hi"},
                                                       {"from": "gpt", "value": "Hey"}, {"from": "human", "value": "Joke?"}],
              "chosen": [{"from": "gpt", "value": "Knock knock."}], "rejected": {"from": "gpt", "value": "No."}}
    (row,) = normalize_records([record]).rows
    assert [m["role"] for m in row["prompt"]] == ["system", "user", "assistant", "user"]
    assert row["chosen"] == [{"role": "assistant", "content": "Knock knock."}]


def test_autotrain_without_prompt_splits_like_implicit():
    batch = normalize_records([{"text": "Q: sky colour? Blue.", "rejected_text": "Q: sky colour? Green."}])
    assert batch.format == "autotrain"
    assert batch.rows == [{"prompt": "Q: sky colour? ", "chosen": "Blue.", "rejected": "Green."}]


def test_candidate_completions_become_every_pair():
    batch = normalize_records([{"prompt": "Pick", "completions": ["x", "y", "z"], "id": "q1", "category": "c"}])
    assert batch.format == "candidates" and (batch.labeled, batch.unlabeled) == (0, 3)
    assert [(r["response_a"], r["response_b"], r["id"]) for r in batch.rows] == [
        ("x", "y", "q1#1-2"), ("x", "z", "q1#1-3"), ("y", "z", "q1#2-3")]
    assert all(r["category"] == "c" and r["prompt"] == "Pick" for r in batch.rows)


# ---- source kinds -------------------------------------------------------------------------------

ROWS = [{"prompt": f"Question {i}?", "chosen": f"Good answer {i}.", "rejected": f"Bad answer {i}.",
         "category": "qa" if i % 2 else None} for i in range(5)]
EXPECTED = [{k: v for k, v in r.items() if v is not None} for r in ROWS]


def write_in(kind: str, tmp_path, rows):
    """The same rows as each kind of local source."""
    path = tmp_path / f"data.{kind}"
    if kind == "jsonl":
        write_jsonl(path, rows)
    elif kind == "json":
        path.write_text(json.dumps(rows), encoding="utf-8")
    elif kind == "wrapped.json":
        path.write_text(json.dumps({"data": rows}), encoding="utf-8")
    elif kind == "lines.json":
        write_jsonl(path, rows)
    elif kind == "csv":
        datasets.Dataset.from_list(rows).to_csv(str(path), index=False)
    elif kind == "parquet":
        pq.write_table(pa.Table.from_pylist(rows), path)
    elif kind == "dir":
        datasets.Dataset.from_list(rows).save_to_disk(str(path))
    elif kind == "filesdir":  # a folder of data files, as a cloned dataset repo
        path.mkdir()
        write_jsonl(path / "train.jsonl", rows)
    elif kind == "dictdir":
        datasets.DatasetDict({"train": datasets.Dataset.from_list(rows),
                              "test": datasets.Dataset.from_list(rows[:1])}).save_to_disk(str(path))
    return str(path)


@pytest.mark.parametrize("kind", ["jsonl", "json", "wrapped.json", "lines.json", "csv", "parquet", "dir", "filesdir",
                                  "dictdir"])
def test_every_source_kind_gives_the_same_rows(tmp_path, kind):
    batch = read_source(write_in(kind, tmp_path, ROWS))
    assert (batch.format, batch.rows) == ("explicit", EXPECTED)


def test_split_of_a_saved_dataset_dict(tmp_path):
    source = write_in("dictdir", tmp_path, ROWS)
    assert read_source(source, split="test").rows == EXPECTED[:1]
    assert "'split'" in bad_input(source, split="validation")


def test_csv_cells_holding_json_lists_become_lists(tmp_path):
    path = tmp_path / "cands.csv"
    datasets.Dataset.from_list([{"prompt": "Pick one", "completions": json.dumps(["x", "y"]), "note": "[not json"},
                                {"prompt": "[1, 2] is a list", "completions": '["u", "v"]', "note": "{}"}]
                               ).to_csv(str(path), index=False)
    batch = read_source(str(path))
    assert [(r["prompt"], r["response_a"], r["response_b"]) for r in batch.rows] == [
        ("Pick one", "x", "y"), ("[1, 2] is a list", "u", "v")]


def test_progress_bar_goes_to_stderr(tmp_path, capsys):
    rows = [{"prompt": f"p{i}", "chosen": "yes", "rejected": "no"} for i in range(2000)]
    batch = read_source(write_jsonl(tmp_path / "many.jsonl", rows), progress=True)
    assert len(batch.rows) == 2000
    captured = capsys.readouterr()
    assert "2000/2000" in captured.err and captured.out == ""


# ---- export round trips -------------------------------------------------------------------------

STORE_LIKE = datasets.Dataset.from_list([
    {"prompt": "Q1?", "chosen": "Yes, because…", "rejected": "No.", "category": "qa", "margin": 0.123456789012345,
     "id": "ext-1", "pair_id": 1},
    {"prompt": "Q2, with \"quotes\",\nand a newline", "chosen": "A", "rejected": "B", "category": None,
     "margin": None, "id": None, "pair_id": 2},
])
CHAT = [{"prompt": [USER], "chosen": [GOOD], "rejected": [BAD], "category": "cooking"}]


def load_back(path: str, tmp_path) -> datasets.Dataset:
    kind = path.rsplit(".", 1)[-1] if "." in os.path.basename(path) else "dir"
    if kind == "dir":
        return datasets.load_from_disk(path)
    builder = {"jsonl": "json", "json": "json", "parquet": "parquet", "csv": "csv"}[kind]
    return datasets.load_dataset(builder, data_files=path, split="train", cache_dir=str(tmp_path / "cache"))


@pytest.mark.parametrize("name", ["out.jsonl", "out.json", "out.parquet", "out.csv", "out_dir"])
def test_export_loads_back_with_datasets_unchanged(tmp_path, name):
    dest = str(tmp_path / "sub" / name)
    assert write_export(STORE_LIKE, dest) == {"exported": 2, "path": dest}
    assert load_back(dest, tmp_path).to_list() == STORE_LIKE.to_list()


@pytest.mark.parametrize("name", ["out.jsonl", "out.json", "out.parquet", "out.csv", "out_dir"])
def test_conversational_export_imports_back_as_messages(tmp_path, name):
    dataset = datasets.Dataset.from_list(CHAT)
    dest = str(tmp_path / name)
    write_export(dataset, dest)
    batch = read_source(dest)
    assert (batch.format, batch.rows) == ("conversational", CHAT)
    if not name.endswith(".csv"):  # CSV holds messages as JSON text; the importer turns them back into lists
        assert load_back(dest, tmp_path).to_list() == CHAT


def test_export_needs_a_destination():
    with pytest.raises(BadInput, match="dest"):
        write_export(STORE_LIKE, None)


# ---- the Hub, offline ---------------------------------------------------------------------------

HUB_ID = "rmstudio-tests/no-such-dataset"


@pytest.mark.timeout(60)
def test_unreachable_hub_id_is_bad_input_naming_it(monkeypatch):
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    assert HUB_ID in bad_input(HUB_ID)


@pytest.mark.timeout(60)
def test_hub_that_cannot_be_reached_fails_at_once_instead_of_retrying(monkeypatch):
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "ENDPOINT", "http://127.0.0.1:9")  # nothing listens on the discard port
    message = bad_input(HUB_ID)
    assert HUB_ID in message and "127.0.0.1" in message
    with pytest.raises(BadInput, match="me/prefs"):
        write_export(STORE_LIKE, None, push_to_hub="me/prefs")
