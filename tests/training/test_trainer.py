"""Backbones, tokenizer fixes, truncation policy, presets and bad input — on real tokenizers and tiny models."""

from __future__ import annotations

import json
import os
import signal

import pytest

from rmstudio.errors import BadInput
from rmstudio.model.encoding import FALLBACK_CHAT_TEMPLATE, PairEncoder
from rmstudio.training.spec import TrainSpec


@pytest.fixture(scope="module")
def minilm():
    from rmstudio.model.backbones import load_backbone

    return load_backbone("default")


def make_decoder(path, style: str) -> str:
    """A tiny random Qwen2- or Llama-style decoder with its own byte-level BPE tokenizer, saved locally."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import (
        LlamaConfig,
        LlamaForCausalLM,
        PreTrainedTokenizerFast,
        Qwen2Config,
        Qwen2ForCausalLM,
    )

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"] if style == "qwen" else ["<s>", "</s>"]
    trainer = trainers.BpeTrainer(
        vocab_size=300, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tok.train_from_iterator(["the quick brown fox answers every question politely"] * 5, trainer)
    shape = dict(
        vocab_size=tok.get_vocab_size(),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=128,
    )
    if style == "llama":  # bos added by the tokenizer, no pad token, no chat template
        tok.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 0)])
        fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>")
        model = LlamaForCausalLM(LlamaConfig(**shape, bos_token_id=0, eos_token_id=1))
    else:  # Qwen2-style: chat template with <|im_start|>/<|im_end|>
        fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>")
        fast.chat_template = (
            "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
            "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
        )
        model = Qwen2ForCausalLM(Qwen2Config(**shape))
    fast.save_pretrained(path)
    model.save_pretrained(path)
    return str(path)


# --- truncation policy ---------------------------------------------------------------------------------
@pytest.mark.slow
def test_long_prompt_is_cut_from_the_left_and_the_response_end_survives(minilm):
    tok = minilm.tokenizer
    enc = PairEncoder(tok, max_length=32)
    prompt = " ".join(f"word{i}" for i in range(200)) + " final question"
    response = "the answer ends with zebra"
    item = enc.encode_batch([prompt], [response])[0]
    response_ids = tok(response, add_special_tokens=False)["input_ids"]
    assert len(item.ids) == 32
    assert item.ids[0] == tok.cls_token_id and item.ids[-1] == tok.sep_token_id
    assert item.ids[-1 - len(response_ids) : -1] == response_ids  # the whole response, at the end
    prompt_ids = tok(prompt + "\n", add_special_tokens=False)["input_ids"]
    kept = item.ids[1 : -1 - len(response_ids)]
    assert kept == prompt_ids[-len(kept) :]  # the END of the prompt is what remains
    assert item.prompt_tokens_cut == len(prompt_ids) - len(kept) and item.completion_tokens_cut == 0


@pytest.mark.slow
def test_a_response_longer_than_the_limit_is_cut_from_the_right(minilm):
    tok = minilm.tokenizer
    enc = PairEncoder(tok, max_length=16)
    response = " ".join(f"step{i}" for i in range(50))
    item = enc.encode_batch(["short prompt"], [response])[0]
    response_ids = tok(response, add_special_tokens=False)["input_ids"]
    assert item.ids == [tok.cls_token_id, *response_ids[:14], tok.sep_token_id]
    assert item.truncated and item.completion_tokens_cut == len(response_ids) - 14


@pytest.mark.slow
def test_no_pair_is_silently_dropped(minilm):
    from rmstudio.training.trainset import tokenize_pairs

    enc = PairEncoder(minilm.tokenizer, max_length=24)
    long = " ".join(["context"] * 300)
    rows = [
        {"prompt": "hi", "chosen": "hello there", "rejected": "go away"},
        {"prompt": long, "chosen": "kept answer", "rejected": "other answer"},  # truncated, kept
        {"prompt": "q", "chosen": long + " good", "rejected": long + " bad"},  # differs only past the limit
        {"prompt": "q", "chosen": "same", "rejected": "same"},  # no preference signal
        {"prompt": "", "chosen": "only a response", "rejected": "another"},
    ]
    out = tokenize_pairs(enc, rows)
    assert len(out.rows) + out.dropped_total == len(rows)
    assert [r["chosen"] for r in out.rows] == ["hello there", "kept answer", "only a response"]
    assert out.truncated == 1
    assert out.dropped == {
        "chosen and rejected are identical": 1,
        "identical after truncation to max_length=24": 1,
    }
    assert all(len(ids) <= 24 for ids in out.columns["chosen_ids"] + out.columns["rejected_ids"])


# --- tokenizer fixes per family ----------------------------------------------------------------------
@pytest.mark.slow
def test_bert_style_gets_an_eos_and_a_fallback_chat_template_for_conversations():
    from rmstudio.model.backbones import load_backbone

    b = load_backbone("default", conversational=True)
    assert b.kind == "encoder" and b.max_length == 512
    assert b.tokenizer.eos_token == "[SEP]" and b.tokenizer.chat_template == FALLBACK_CHAT_TEMPLATE
    enc = PairEncoder(b.tokenizer, 64)
    text = b.tokenizer.decode(
        enc.encode([{"role": "user", "content": "hi"}], [{"role": "assistant", "content": "yo"}])
    )
    assert text == "[CLS] user : hi assistant : yo [SEP]"


@pytest.mark.slow
def test_decoder_without_pad_token_gets_one_on_the_tokenizer_and_the_model_config(tmp_path):
    from rmstudio.model.backbones import load_backbone

    b = load_backbone(make_decoder(tmp_path / "llama", "llama"))
    assert b.kind == "decoder" and b.max_length == 128
    assert b.tokenizer.pad_token == "</s>" and b.model.config.pad_token_id == b.tokenizer.pad_token_id == 1
    ids = PairEncoder(b.tokenizer, 64).encode("the fox", "answers")
    assert (
        ids[0] == 0 and ids[-1] == 1
    )  # bos from the tokenizer, eos appended so the reward reads a fixed token


@pytest.mark.slow
def test_decoder_chat_template_truncates_the_conversation_start(tmp_path):
    from rmstudio.model.backbones import load_backbone

    b = load_backbone(make_decoder(tmp_path / "qwen", "qwen"), conversational=True)
    assert b.model.config.pad_token_id == b.tokenizer.pad_token_id
    enc = PairEncoder(b.tokenizer, 40)
    prompt = [{"role": "user", "content": "the quick brown fox " * 20}]
    item = enc.encode_batch([prompt], [[{"role": "assistant", "content": "answers politely"}]])[0]
    assert len(item.ids) == 40 and item.prompt_tokens_cut > 0
    assert b.tokenizer.decode(item.ids).endswith("<|im_start|>assistant\nanswers politely<|im_end|>\n")


# --- presets and hyperparameters ---------------------------------------------------------------------------
def test_auto_preset_follows_the_reference_table():
    from rmstudio.training.presets import get_preset

    assert get_preset("auto", 22_000_000).name == "tiny"
    assert get_preset("auto", 500_000_000).learning_rate == 2e-5
    assert get_preset("auto", 3_000_000_000).learning_rate == 1e-5
    assert get_preset("auto", 8_000_000_000).learning_rate == 5e-6


def test_every_hyperparameter_overrides_the_preset():
    from rmstudio.training.presets import PRESETS
    from rmstudio.training.trainer import hyperparameters

    spec = TrainSpec(
        learning_rate=3e-4,
        batch_size=5,
        epochs=2.5,
        max_length=100,
        warmup_ratio=0.2,
        weight_decay=0.1,
        gradient_accumulation_steps=3,
        lr_scheduler="cosine",
    ).validate()
    hp = hyperparameters(spec, PRESETS["tiny"], position_limit=512)
    assert {
        k: hp[k]
        for k in (
            "learning_rate",
            "batch_size",
            "epochs",
            "max_length",
            "warmup_ratio",
            "weight_decay",
            "gradient_accumulation_steps",
            "lr_scheduler",
        )
    } == {
        "learning_rate": 3e-4,
        "batch_size": 5,
        "epochs": 2.5,
        "max_length": 100,
        "warmup_ratio": 0.2,
        "weight_decay": 0.1,
        "gradient_accumulation_steps": 3,
        "lr_scheduler": "cosine",
    }
    assert hyperparameters(TrainSpec(), PRESETS["small"], position_limit=512)["max_length"] == 512


@pytest.mark.parametrize(
    "field,value",
    [
        ("learning_rate", -1e-5),
        ("learning_rate", 5),
        ("batch_size", 0),
        ("epochs", 0),
        ("max_length", 4),
        ("eval_fraction", 0.9),
        ("batch_size", 2.5),
        ("lr_scheduler", "zigzag"),
        ("preset", "huge"),
        ("num_processes", 0),
        ("warmup_ratio", 1.5),
    ],
)
def test_out_of_range_hyperparameters_are_bad_input(field, value):
    with pytest.raises(BadInput) as err:
        TrainSpec(**{field: value}).validate()
    assert err.value.field == field


def test_max_length_beyond_the_position_limit_is_bad_input():
    from rmstudio.training.presets import PRESETS
    from rmstudio.training.trainer import hyperparameters

    with pytest.raises(BadInput, match="position limit of 512"):
        hyperparameters(TrainSpec(max_length=4096), PRESETS["tiny"], position_limit=512)


def test_spec_round_trips_through_json_and_rejects_unknown_options(tmp_path):
    spec = TrainSpec(model="x", epochs=2, lora=True)
    spec.to_json(tmp_path / "spec.json")
    assert TrainSpec.from_json(tmp_path / "spec.json") == spec
    (tmp_path / "bad.json").write_text(json.dumps({"modle": "x"}))
    with pytest.raises(BadInput, match="modle"):
        TrainSpec.from_json(tmp_path / "bad.json")


# --- bad models and data ------------------------------------------------------------------------------------
def test_model_path_that_does_not_exist_is_bad_input(tmp_path):
    from rmstudio.model.backbones import load_config

    with pytest.raises(BadInput, match="does not exist"):
        load_config(str(tmp_path / "nope"))
    with pytest.raises(BadInput, match="no config.json"):
        load_config(str(tmp_path))


def test_model_that_cannot_classify_sequences_is_bad_input(tmp_path):
    from transformers import ViTConfig

    from rmstudio.model.backbones import load_config

    ViTConfig().save_pretrained(tmp_path)
    with pytest.raises(BadInput, match="sequence-classification"):
        load_config(str(tmp_path))


def test_classifier_with_two_labels_is_bad_input(tmp_path):
    from transformers import BertConfig

    from rmstudio.model.backbones import load_config

    BertConfig(num_labels=2, architectures=["BertForSequenceClassification"]).save_pretrained(tmp_path)
    with pytest.raises(BadInput, match="num_labels=2"):
        load_config(str(tmp_path))


def test_too_few_or_no_pairs_is_bad_input(tmp_path):
    from rmstudio.training.trainset import freeze_data

    few = tmp_path / "few.jsonl"
    few.write_text(
        "".join(json.dumps({"prompt": f"p{i}", "chosen": "a", "rejected": "b"}) + "\n" for i in range(5))
    )
    with pytest.raises(BadInput, match="only 5 labeled pair"):
        freeze_data(TrainSpec(data=str(few)), tmp_path)
    with pytest.raises(BadInput, match="no labeled pairs"):
        freeze_data(TrainSpec(home=str(tmp_path / "home")), tmp_path)
    assert not (tmp_path / "data.parquet").exists()


def test_frozen_snapshot_is_written_once_and_hashed(tmp_path):
    from rmstudio.data.demo import write_labeled_demo
    from rmstudio.training.trainset import freeze_data, read_frozen, split_pairs

    data = tmp_path / "demo.jsonl"
    write_labeled_demo(data)
    spec = TrainSpec(data=str(data), max_pairs=50)
    digest = freeze_data(spec, tmp_path)
    assert spec.data_hash == digest and len(digest) == 64
    data.write_text("")  # the source changing later does not change the run
    assert freeze_data(TrainSpec(data=str(data)), tmp_path) == digest
    train, held = split_pairs(read_frozen(tmp_path), 0.1, seed=1)
    assert len(held) >= 4 and len(train) + len(held) == 50
    assert not {json.dumps(r["prompt"]) for r in train} & {json.dumps(r["prompt"]) for r in held}


# --- a real (tiny) in-process run: LoRA, merged on save --------------------------------------------------------
@pytest.mark.slow
def test_lora_run_saves_a_merged_loadable_model(tmp_path):
    from transformers import AutoModelForSequenceClassification

    from rmstudio.data.demo import write_labeled_demo
    from rmstudio.training import trainer as training

    write_labeled_demo(tmp_path / "demo.jsonl")
    spec = TrainSpec(
        data=str(tmp_path / "demo.jsonl"),
        lora=True,
        max_steps=2,
        batch_size=4,
        max_pairs=24,
        learning_rate=1e-3,
        max_length=96,
        eval_steps=100,  # only the final evaluation
    )
    previous = signal.getsignal(signal.SIGTERM)
    try:
        summary = training.run(spec, tmp_path / "run")
    finally:
        signal.signal(signal.SIGTERM, previous)
    ckpt = summary["checkpoint"]
    assert summary["state"] == "succeeded" and summary["steps"] == 2
    assert not os.path.exists(os.path.join(ckpt, "adapter_config.json"))
    model = AutoModelForSequenceClassification.from_pretrained(ckpt)
    assert model.config.num_labels == 1 and not any("lora" in n for n, _ in model.named_parameters())
    meta = json.loads(open(os.path.join(ckpt, "rmstudio.json")).read())
    assert meta["hyperparameters"]["lora"] is True and meta["encoding"]["max_length"] == 96


def test_hub_id_goes_through_the_hub_loader_and_offline_failure_is_bad_input(monkeypatch):
    from rmstudio.model.backbones import load_config, resolve_model_path

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert resolve_model_path("Qwen/Qwen2.5-0.5B-Instruct") == "Qwen/Qwen2.5-0.5B-Instruct"
    with pytest.raises(BadInput, match="Hub id"):
        load_config("rmstudio-test/no-such-model")


def test_eval_figures_are_over_pairs_not_an_average_of_batch_means():
    import torch

    from rmstudio.training.trainer import eval_figures_over_pairs

    # 16 pairs of which 8 are right, then a last batch of 1 right pair: 9/17, not (8/16 + 1) / 2.
    margins = torch.tensor([1.0] * 8 + [-1.0] * 8 + [2.0])
    figures = eval_figures_over_pairs(margins)
    assert figures["accuracy"] == [9 / 17]
    assert figures["margin"] == [pytest.approx(2.0 / 17)]


# --- a real (tiny) run: the in-training eval is the final eval of the same weights on the same pairs -----------
@pytest.mark.slow
def test_last_in_training_eval_equals_eval_of_the_checkpoint_on_the_held_out_split(tmp_path):
    from rmstudio.data.demo import write_labeled_demo
    from rmstudio.evaluation.compare import evaluate
    from rmstudio.evaluation.pairs import run_eval_rows
    from rmstudio.jobs.rundir import METRICS_FILE, SPEC_FILE
    from rmstudio.training import trainer as training

    write_labeled_demo(tmp_path / "demo.jsonl")
    spec = TrainSpec(
        data=str(tmp_path / "demo.jsonl"),
        max_steps=2,
        eval_steps=2,  # the trainer evaluates the final weights
        batch_size=4,  # eval batches of 16
        max_pairs=170,
        eval_fraction=0.1,
        learning_rate=1e-3,
        max_length=64,
    )
    (tmp_path / "run").mkdir()
    spec.to_json(tmp_path / "run" / SPEC_FILE)  # as the queue writes it: `eval RUN_DIR` reads it
    previous = signal.getsignal(signal.SIGTERM)
    try:
        summary = training.run(spec, tmp_path / "run")
    finally:
        signal.signal(signal.SIGTERM, previous)
    held_out = run_eval_rows(tmp_path / "run")
    assert summary["eval_pairs"] == len(held_out) and len(held_out) % 16 != 0
    lines = [json.loads(line) for line in (tmp_path / "run" / METRICS_FILE).read_text().splitlines()]
    in_training = [line for line in lines if line["eval_loss"] is not None and line["step"] == 2][0]
    report = evaluate([summary["checkpoint"]], str(tmp_path / "run"), save=False)
    assert report["pairs"] == len(held_out)
    assert in_training["eval_accuracy"] == report["results"][0]["accuracy"] == summary["eval_accuracy"]
