"""RewardScorer and reward_func on real checkpoints trained for a few steps on the demo pairs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rmstudio.errors import BadInput
from rmstudio.scoring.scorer import RewardScorer, ScorerCache, check_inputs, plan_batches, reward_func
from tests.helpers.checkpoints import checkpoint, copy_checkpoint, trained_run
from tests.helpers.markers import requires_fast_cpu_bf16

pytestmark = pytest.mark.slow

PROMPTS = ["What is the capital of France?", "Write a haiku about rain.", "How do I boil an egg?"]


@pytest.fixture(scope="module")
def ckpt() -> str:
    return checkpoint()


@pytest.fixture(scope="module")
def fp32(ckpt) -> RewardScorer:
    return RewardScorer.from_pretrained(ckpt, precision="fp32", cache=False)


def varied_pairs(n: int = 30) -> tuple[list[str], list[str]]:
    """Prompts and completions of very different lengths, in no length order."""
    prompts = [PROMPTS[i % 3] + " Please explain." * (i % 4) for i in range(n)]
    completions = [("Sure. " + "More detail here. " * ((i * 7) % 23)).strip() for i in range(n)]
    return prompts, completions


def test_batches_are_sorted_by_length_and_bounded():
    lengths = [5, 50, 20, 50, 7, 30]
    batches = plan_batches(lengths, batch_size=2, max_tokens=1000)
    assert [[lengths[i] for i in b] for b in batches] == [[50, 50], [30, 20], [7, 5]]
    assert sorted(i for b in batches for i in b) == list(range(6))
    assert plan_batches([100, 100, 100], batch_size=8, max_tokens=250) == [[0, 1], [2]]
    assert plan_batches([400], batch_size=8, max_tokens=250) == [[0]]  # one long input still runs


def test_scores_come_back_in_input_order(fp32):
    prompts, completions = varied_pairs()
    batched = fp32.score(prompts, completions, batch_size=4)
    one_by_one = [fp32.score([p], [c])[0] for p, c in zip(prompts, completions, strict=True)]
    assert batched == pytest.approx(one_by_one, abs=1e-4)
    assert len(set(round(s, 4) for s in batched)) > 10  # distinct scores, so a shuffle would show
    reversed_scores = fp32.score(prompts[::-1], completions[::-1], batch_size=7)
    assert reversed_scores[::-1] == pytest.approx(batched, abs=1e-4)


@requires_fast_cpu_bf16
def test_bf16_scores_stay_close_to_fp32(ckpt, fp32):
    fast = RewardScorer.from_pretrained(ckpt)
    prompts, completions = varied_pairs()
    assert fast.bf16
    assert fast.score(prompts, completions) == pytest.approx(fp32.score(prompts, completions), abs=0.03)
    assert fast.nbytes < 0.6 * fp32.nbytes  # bf16 weights are cast once at load, not kept beside fp32 ones


def trainer_eval_rewards(
    run: dict, tmp_path: Path, bf16: bool
) -> tuple[list[dict], list[float], list[float]]:
    """Rewards TRL's RewardTrainer computes in evaluation (its dataloader, collator and compute_loss) on the
    run's held-out pairs tokenized by the training code."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from trl import RewardConfig

    from rmstudio.model.encoding import PairEncoder, read_metadata
    from rmstudio.training import trainset
    from rmstudio.training.spec import TrainSpec
    from rmstudio.training.trainer import _trainer_class

    run_dir, ckpt = Path(run["run_dir"]), run["checkpoint"]
    spec = TrainSpec.from_json(run_dir / "spec.json")
    _, held_rows = trainset.split_pairs(trainset.read_frozen(run_dir), spec.eval_fraction, spec.seed)
    tokenizer = AutoTokenizer.from_pretrained(ckpt)
    model = AutoModelForSequenceClassification.from_pretrained(ckpt).eval()
    encoder = PairEncoder(tokenizer, read_metadata(ckpt)["hyperparameters"]["max_length"])
    held = trainset.tokenize_pairs(encoder, held_rows)
    args = RewardConfig(
        output_dir=str(tmp_path / "trainer"),
        per_device_eval_batch_size=8,
        use_cpu=True,
        bf16=bf16,
        max_length=None,
        report_to=[],
    )
    trainer = _trainer_class()(
        model=model,
        args=args,
        train_dataset=held.dataset(),
        eval_dataset=held.dataset(),
        processing_class=tokenizer,
    )
    chosen, rejected = [], []
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16)
    for batch in trainer.get_eval_dataloader():
        with torch.no_grad(), autocast:
            _, outputs = trainer.compute_loss(model, batch, return_outputs=True)
        c, r = outputs.logits.squeeze(-1).float().chunk(2)
        chosen += c.tolist()
        rejected += r.tolist()
    return held.rows, chosen, rejected


def test_scores_equal_the_trainers_eval_rewards(tmp_path, fp32):
    run = trained_run()
    assert run["checkpoint"] == fp32.name  # the very checkpoint the trainer side loads
    rows, chosen, rejected = trainer_eval_rewards(run, tmp_path, bf16=False)
    prompts = [r["prompt"] for r in rows]
    assert len(rows) >= 5
    assert fp32.score(prompts, [r["chosen"] for r in rows]) == pytest.approx(chosen, abs=1e-4)
    assert fp32.score(prompts, [r["rejected"] for r in rows]) == pytest.approx(rejected, abs=1e-4)
    # The default (bf16 where fast) scorer against the trainer's bf16 evaluation, within bf16 tolerance.
    scorer = RewardScorer.from_pretrained(run["checkpoint"])
    rows, chosen, rejected = trainer_eval_rewards(run, tmp_path, bf16=scorer.bf16)
    assert scorer.score(prompts, [r["chosen"] for r in rows]) == pytest.approx(chosen, abs=0.03)


def test_eval_json_holds_the_scorers_figures_on_the_held_out_split():
    from rmstudio.evaluation.pairs import run_eval_rows
    from rmstudio.scoring import metrics

    run = trained_run()
    rows = run_eval_rows(run["run_dir"])
    scorer = RewardScorer.from_pretrained(run["checkpoint"])  # the default scorer, as `eval` loads it
    margins = scorer.margins(*([r[k] for r in rows] for k in ("prompt", "chosen", "rejected")))
    expected = metrics.held_out_figures(margins, [r.get("category") for r in rows])
    saved = json.loads((Path(run["checkpoint"]) / "eval.json").read_text())
    assert set(saved) == {"eval_pairs", "eval_accuracy", "eval_mean_margin", "eval_loss", "per_category"}
    assert saved["eval_pairs"] == run["eval_pairs"] == len(rows) >= 5
    assert saved["eval_accuracy"] == expected["eval_accuracy"] == run["eval_accuracy"]
    assert saved["per_category"] == expected["per_category"] != {}
    assert saved["eval_mean_margin"] == pytest.approx(expected["eval_mean_margin"], abs=1e-5)
    assert saved["eval_loss"] == pytest.approx(expected["eval_loss"], abs=1e-5)


def test_a_model_in_memory_scores_as_its_saved_checkpoint(ckpt, fp32):
    from transformers import AutoModelForSequenceClassification

    from rmstudio.model.encoding import PairEncoder

    model = AutoModelForSequenceClassification.from_pretrained(ckpt)
    scorer = RewardScorer.from_model(model, PairEncoder.from_checkpoint(ckpt), name=ckpt, precision="fp32")
    prompts, completions = varied_pairs()
    assert scorer.device == "cpu" and not scorer.bf16
    assert scorer.score(prompts, completions) == pytest.approx(fp32.score(prompts, completions), abs=1e-5)
    assert fp32.score_ids(fp32.tokenize(prompts, completions)) == fp32.score(prompts, completions)
    assert fp32.margins(prompts, completions, completions[::-1]) == pytest.approx(
        [a - b for a, b in zip(fp32.score(prompts, completions), fp32.score(prompts, completions[::-1]),
                               strict=True)], abs=1e-4
    )


def test_conversational_inputs(fp32):
    prompt = [{"role": "user", "content": "What is the capital of France?"}]
    as_messages = fp32.score([prompt], [[{"role": "assistant", "content": "Paris."}]])
    as_text = fp32.score([prompt], ["Paris."])  # a string completion becomes an assistant message
    assert as_messages == pytest.approx(as_text, abs=1e-5)
    assert fp32.score([prompt], ["London."]) != pytest.approx(as_messages, abs=1e-5)


def test_huge_completion_and_prompt_are_truncated_like_training(fp32):
    words = " ".join(f"word{i % 50}" for i in range(20000))  # > 100k characters
    assert len(words) > 100_000
    limit = fp32.encoder.max_length
    ids = fp32.encoder.encode("Tell me a story.", words)
    assert len(ids) == limit
    [long_score] = fp32.score(["Tell me a story."], [words])
    [cut_score] = fp32.score(["Tell me a story."], [words[:30_000]])  # same first `limit` tokens
    assert long_score == pytest.approx(cut_score, abs=1e-5)
    # A prompt is cut from the left: only its end (next to the completion) matters.
    [long_prompt] = fp32.score([words + " Now answer."], ["Fine."])
    [prompt_end] = fp32.score([words[-30_000:] + " Now answer."], ["Fine."])
    assert long_prompt == pytest.approx(prompt_end, abs=1e-5)


@pytest.mark.parametrize(
    ("prompts", "completions", "row", "field"),
    [
        (["p"], [""], 1, "completion"),
        (["p", "q"], ["ok", "   "], 2, "completion"),
        (["p"], [[{"role": "assistant", "content": ""}]], 1, "completion"),
        (["p"], [None], 1, "completion"),
        (["p"], [42], 1, "completion"),
        ([{"text": "p"}], ["ok"], 1, "prompt"),
        ([["p"]], ["ok"], 1, "prompt"),
        (["p"], [[{"role": "assistant", "content": 3}]], 1, "completion"),
        (["p", "q"], ["ok"], None, "completions"),
        ("p", ["ok"], None, "prompts"),
        (["p"], "ok", None, "completions"),
    ],
)
def test_bad_inputs_are_named(prompts, completions, row, field):
    with pytest.raises(BadInput) as caught:
        check_inputs(prompts, completions)
    assert (caught.value.row, caught.value.field) == (row, field)


def test_score_rejects_bad_input_before_any_work(fp32):
    with pytest.raises(BadInput, match="2 prompts but 1 completions"):
        fp32.score(["a", "b"], ["x"])
    with pytest.raises(BadInput, match="empty"):
        fp32.score(["a"], [""])
    with pytest.raises(BadInput, match="batch_size"):
        fp32.score(["a"], ["x"], batch_size=0)
    assert len(fp32.score(["a"], [""], allow_empty=True)) == 1


def test_not_a_checkpoint(tmp_path, ckpt):
    from rmstudio.model.backbones import default_model_path

    (tmp_path / "empty").mkdir()
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "pairs.jsonl").write_text("{}\n")
    (tmp_path / "file.json").write_text("{}")
    cases = {
        str(tmp_path / "empty"): "not a model checkpoint",
        str(tmp_path / "data"): "no config.json",
        str(tmp_path / "file.json"): "is a file",
        str(tmp_path / "missing"): "does not exist",
        default_model_path(): "not a reward model",  # a base model without a trained reward head
        "default": "not a trained reward checkpoint",
    }
    for path, message in cases.items():
        with pytest.raises(BadInput, match=message):
            RewardScorer.from_pretrained(path)


def test_checkpoint_with_another_tokenizer_layout(tmp_path, ckpt):
    from transformers import AutoTokenizer

    grown = copy_checkpoint(ckpt, tmp_path / "grown")
    tokenizer = AutoTokenizer.from_pretrained(grown)
    tokenizer.add_tokens([f"<new{i}>" for i in range(10)])
    tokenizer.save_pretrained(grown)
    with pytest.raises(BadInput, match="another layout"):
        RewardScorer.from_pretrained(grown)

    repadded = copy_checkpoint(ckpt, tmp_path / "repadded")
    tokenizer = AutoTokenizer.from_pretrained(repadded)
    tokenizer.pad_token = tokenizer.unk_token
    tokenizer.save_pretrained(repadded)
    with pytest.raises(BadInput, match="another layout"):
        RewardScorer.from_pretrained(repadded)


def test_loaded_scorers_are_cached_and_reloaded_when_files_change(tmp_path, ckpt):
    first = RewardScorer.from_pretrained(ckpt)
    assert RewardScorer.from_pretrained(ckpt) is first
    copy = copy_checkpoint(ckpt, tmp_path / "copy")
    scorer = RewardScorer.from_pretrained(copy)
    weights = copy / "model.safetensors"
    weights.touch()
    import os

    os.utime(weights, (weights.stat().st_atime, weights.stat().st_mtime + 5))
    assert RewardScorer.from_pretrained(copy) is not scorer


def test_cache_evicts_least_recently_used_beyond_its_budget():
    class Loaded:
        def __init__(self, nbytes):
            self.nbytes = nbytes

    cache = ScorerCache(budget_bytes=250)
    a, b, c = Loaded(100), Loaded(100), Loaded(100)
    cache.put("a", a)
    cache.put("b", b)
    assert cache.get("a") is a  # a is now the most recently used
    cache.put("c", c)  # 300 bytes > 250: evict b, the least recently used
    assert cache.keys() == ["a", "c"]
    huge = Loaded(1000)
    cache.put("huge", huge)  # alone over budget: kept (the newest always stays), others evicted
    assert cache.keys() == ["huge"]


def test_cli_score(ckpt):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "rmstudio",
            "score",
            ckpt,
            "--prompt",
            "What is 2+2?",
            "--completion",
            "4",
            "--completion",
            "It is four.",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(result["scores"]) == 2
    expected = RewardScorer.from_pretrained(ckpt).score(["What is 2+2?"] * 2, ["4", "It is four."])
    assert result["scores"] == pytest.approx(expected, abs=1e-3)
    bad = subprocess.run(
        [sys.executable, "-m", "rmstudio", "score", ckpt, "--prompt", "p", "--completion", ""],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert bad.returncode == 2
    assert "completion" in json.loads(bad.stdout.strip().splitlines()[-1])["error"]
    missing = subprocess.run(
        [
            sys.executable,
            "-m",
            "rmstudio",
            "score",
            "/nonexistent/ckpt",
            "--prompt",
            "p",
            "--completion",
            "c",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert missing.returncode == 2


def tiny_policy():
    """A randomly initialised 2-layer Llama and a tokenizer built offline (the MiniLM vocabulary)."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    from rmstudio.model.backbones import default_model_path
    from rmstudio.model.encoding import FALLBACK_CHAT_TEMPLATE

    tokenizer = AutoTokenizer.from_pretrained(default_model_path())
    tokenizer.eos_token = tokenizer.sep_token
    tokenizer.chat_template = FALLBACK_CHAT_TEMPLATE
    tokenizer.model_input_names = ["input_ids", "attention_mask"]
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=256,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=tokenizer.cls_token_id,
    )
    torch.manual_seed(0)
    return LlamaForCausalLM(config), tokenizer


@pytest.mark.parametrize("conversational", [False, True], ids=["plain", "conversational"])
def test_reward_func_drives_one_grpo_step(tmp_path, ckpt, conversational):
    import datasets
    from trl import GRPOConfig, GRPOTrainer

    policy, tokenizer = tiny_policy()
    questions = [f"Question {i}: how do I stay focused?" for i in range(4)]
    prompts = [[{"role": "user", "content": q}] for q in questions] if conversational else questions
    reward = reward_func(ckpt)
    calls = []

    def recorded(prompts, completions, **kwargs):
        rewards = reward(prompts, completions, **kwargs)
        calls.append((prompts, completions, rewards))
        return rewards

    recorded.__name__ = reward.__name__
    args = GRPOConfig(
        output_dir=str(tmp_path),
        per_device_train_batch_size=4,
        num_generations=2,
        max_completion_length=8,
        max_steps=1,
        use_cpu=True,
        bf16=False,
        report_to=[],
        logging_steps=1,
        save_strategy="no",
    )
    trainer = GRPOTrainer(
        model=policy,
        reward_funcs=[recorded],
        args=args,
        train_dataset=datasets.Dataset.from_dict({"prompt": prompts}),
        processing_class=tokenizer,
    )
    trainer.train()
    seen_prompts, completions, rewards = calls[0]
    assert trainer.state.global_step == 1
    assert isinstance(completions[0], list) == conversational
    assert len(rewards) == len(completions) == 4 and all(isinstance(r, float) for r in rewards)
    expected = reward.scorer.score(list(seen_prompts), list(completions), allow_empty=True)
    assert rewards == pytest.approx(expected, abs=1e-4)
    logged = trainer.state.log_history[0]
    assert logged[f"rewards/{reward.__name__}/mean"] == pytest.approx(sum(rewards) / 4, abs=1e-4)


def test_reward_func_refuses_a_bad_checkpoint(tmp_path):
    with pytest.raises(BadInput):
        reward_func(tmp_path)
