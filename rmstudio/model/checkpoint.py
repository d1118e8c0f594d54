"""Saving a run's final checkpoint: a standard Hugging Face model directory plus rmstudio's files, and
its model card.

checkpoint/
  config.json, model.safetensors, tokenizer files   loads with pipeline("text-classification", model=...)
  README.md      model card: base model, data hash, pairs, hyperparameters, eval results, usage
  eval.json      held-out accuracy, margin, loss, per-category accuracy (the trainer scores them)
  rmstudio.json  what the scorer needs to reproduce the exact formatting (encoding) + provenance

The folder is written in two steps around the final evaluation: `stage_checkpoint` writes the weights
and tokenizer (before scoring speeds the model up in place), `finish_checkpoint` adds the rest and
moves the folder in place.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from rmstudio.jobs.rundir import CHECKPOINT_DIR
from rmstudio.model.encoding import METADATA_FILE


def final_model(trainer):
    """The trained model, unwrapped, with any LoRA adapter merged into the weights. Its forward loses the
    mixed-precision autocast accelerate wrapped it in, so it computes as the saved checkpoint does."""
    model = trainer.accelerator.unwrap_model(trainer.model, keep_fp32_wrapper=False)
    if hasattr(model, "merge_and_unload"):
        model = model.merge_and_unload()
    model.config.id2label, model.config.label2id = {0: "reward"}, {"reward": 0}
    return model


def stage_checkpoint(run_dir, model, tokenizer) -> Path:
    """Write the model and tokenizer into a fresh temporary folder of the run: the checkpoint to be."""
    staged = Path(run_dir) / f".{CHECKPOINT_DIR}.tmp"
    shutil.rmtree(staged, ignore_errors=True)
    model.save_pretrained(staged)
    tokenizer.save_pretrained(staged)
    return staged


def finish_checkpoint(staged: Path, *, metadata: dict, evaluation: dict, output: str | None = None) -> Path:
    """Add rmstudio.json, eval.json and the model card to a staged checkpoint, then move it in place as
    checkpoint/ (so there is never half a checkpoint) and copy it to `output` when given."""
    (staged / METADATA_FILE).write_text(json.dumps(metadata, indent=2, default=str))
    (staged / "eval.json").write_text(json.dumps(evaluation, indent=2))
    (staged / "README.md").write_text(model_card(metadata, evaluation))
    final = staged.parent / CHECKPOINT_DIR
    if final.exists():
        shutil.rmtree(final)
    os.replace(staged, final)
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
