"""The final checkpoint of a run: a standard Hugging Face model directory plus rmstudio's files.

checkpoint/
  config.json, model.safetensors, tokenizer files   loads with pipeline("text-classification", model=...)
  README.md      model card: base model, data hash, pairs, hyperparameters, eval results, usage
  eval.json      held-out accuracy, margin, per-category accuracy
  rmstudio.json  what the scorer needs to reproduce the exact formatting (encoding) + provenance
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from pathlib import Path

from rmstudio.jobs.rundir import CHECKPOINT_DIR
from rmstudio.model.encoding import METADATA_FILE



def reward_scores(
    model, sequences: list[list[int]], pad_id: int, *, batch_size: int = 32, bf16: bool = False
):
    """One reward per token sequence (batched, longest first so padding stays small)."""
    import torch

    model.eval()
    device = next(model.parameters()).device
    order = sorted(range(len(sequences)), key=lambda i: -len(sequences[i]))
    scores = [0.0] * len(sequences)
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16)
    with torch.inference_mode(), autocast:
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            width = max(len(sequences[i]) for i in idx)
            ids = torch.full((len(idx), width), pad_id, dtype=torch.long)
            mask = torch.zeros_like(ids)
            for row, i in enumerate(idx):
                ids[row, : len(sequences[i])] = torch.tensor(sequences[i])
                mask[row, : len(sequences[i])] = 1
            logits = model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits.float()
            for row, i in enumerate(idx):
                scores[i] = logits[row, 0].item()
    return scores


def evaluate_pairs(model, pairs, pad_id: int, *, bf16: bool = False) -> dict:
    """Held-out accuracy, mean margin and per-category accuracy of `model` on tokenized pairs."""
    cols = pairs.columns
    n = len(cols["chosen_ids"])
    if not n:
        return {
            "eval_pairs": 0,
            "eval_accuracy": None,
            "eval_mean_margin": None,
            "eval_loss": None,
            "per_category": {},
        }
    scores = reward_scores(model, cols["chosen_ids"] + cols["rejected_ids"], pad_id, bf16=bf16)
    margins = [scores[i] - scores[n + i] for i in range(n)]
    per_category: dict[str, list[int]] = {}
    for row, m in zip(pairs.rows, margins, strict=True):
        hits = per_category.setdefault(row.get("category") or "(none)", [0, 0])
        hits[0] += m > 0
        hits[1] += 1
    return {
        "eval_pairs": n,
        "eval_accuracy": sum(m > 0 for m in margins) / n,
        "eval_mean_margin": sum(margins) / n,
        "eval_loss": sum(math.log1p(math.exp(-m)) if m > -30 else -m for m in margins) / n,
        "per_category": {
            k: {"accuracy": v[0] / v[1], "pairs": v[1]} for k, v in sorted(per_category.items())
        },
    }


def final_model(trainer):
    """The trained model, unwrapped, with any LoRA adapter merged into the weights."""
    model = trainer.accelerator.unwrap_model(trainer.model)
    if hasattr(model, "merge_and_unload"):
        model = model.merge_and_unload()
    model.config.id2label, model.config.label2id = {0: "reward"}, {"reward": 0}
    return model


def save_checkpoint(
    run_dir, model, tokenizer, *, metadata: dict, evaluation: dict, output: str | None = None
) -> Path:
    """Write checkpoint/ completely in a temporary directory, then move it in place (never half a checkpoint)."""
    run_dir = Path(run_dir)
    final = run_dir / CHECKPOINT_DIR
    tmp = run_dir / f".{CHECKPOINT_DIR}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    (tmp / METADATA_FILE).write_text(json.dumps(metadata, indent=2, default=str))
    (tmp / "eval.json").write_text(json.dumps(evaluation, indent=2))
    (tmp / "README.md").write_text(model_card(metadata, evaluation))
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)
    if output:
        out = Path(output).expanduser()
        if out.exists():
            shutil.rmtree(out)
        shutil.copytree(final, out)
    return final


def _is_hub_id(name: str) -> bool:
    return name.count("/") == 1 and not os.path.exists(name) and not name.startswith((".", "/", "~"))


def model_card(meta: dict, evaluation: dict) -> str:
    """README.md for the checkpoint (Hub model-card front matter + what/how it was trained + results)."""
    base = meta["base_model"]
    front = [
        "---",
        "library_name: transformers",
        "pipeline_tag: text-classification",
        "tags:",
        "- reward-model",
        "- trl",
        "- rmstudio",
    ]
    if _is_hub_id(base):
        front.append(f"base_model: {base}")
    front.append("---")
    hp = meta.get("hyperparameters", {})
    acc = evaluation.get("eval_accuracy")
    lines = [
        *front,
        "",
        f"# Reward model trained with rmstudio from `{base}`",
        "",
        "A sequence-classification model with one output: a higher score means a better response. "
        "Trained with TRL's `RewardTrainer` (Bradley-Terry loss on chosen/rejected pairs) by rmstudio.",
        "",
        "## Usage",
        "",
        "```python",
        "from transformers import pipeline",
        'rm = pipeline("text-classification", model="PATH", function_to_apply="none")',
        "rm(prompt + \"\\n\" + response)  # [{'label': 'reward', 'score': ...}]",
        "",
        "from rmstudio import RewardScorer  # exact training format and truncation",
        'RewardScorer.from_pretrained("PATH").score([prompt], [response])',
        "```",
        "",
        "## Training",
        "",
        "| | |",
        "|---|---|",
        f"| base model | `{base}` |",
        f"| data snapshot sha256 | `{meta.get('data_hash')}` |",
        f"| training pairs | {meta.get('train_pairs')} |",
        f"| eval pairs | {meta.get('eval_pairs')} |",
        f"| truncated pairs (prompt cut from the left) | {meta.get('truncated_pairs')} |",
        f"| dropped pairs | {meta.get('dropped_pairs')} {meta.get('dropped_reasons') or ''} |",
        f"| state | {meta.get('state')} after {meta.get('steps')} steps ({meta.get('train_seconds')} s) |",
        "",
        "### Hyperparameters",
        "",
        "| name | value |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in hp.items()],
        "",
        "## Evaluation (held-out pairs)",
        "",
        f"Accuracy (chosen scored above rejected): **{acc:.3f}** on {evaluation.get('eval_pairs')} pairs; "
        f"mean margin {evaluation.get('eval_mean_margin'):.3f}."
        if acc is not None
        else "No eval split.",
        "",
    ]
    if evaluation.get("per_category"):
        lines += ["| category | accuracy | pairs |", "|---|---|---|"]
        lines += [
            f"| {k} | {v['accuracy']:.3f} | {v['pairs']} |" for k, v in evaluation["per_category"].items()
        ]
    lines += [
        "",
        f"Saved {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by rmstudio {meta.get('rmstudio_version')}.",
        "",
    ]
    return "\n".join(lines)
