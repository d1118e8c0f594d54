"""rmstudio's default training preset vs TRL's reference reward recipe, same pairs, same run, same CPU.

    python bench/train_bench.py [--data ../shared/data/dpo_en_demo.json] [--pairs N] [--max-length L]

Both train the embedded MiniLM on the same training pairs and are scored on the same held-out pairs.
- reference: `RewardConfig` with batch 2, 1 epoch, lr 1e-5 and TRL's defaults otherwise, fixed only enough
  to run on this CPU: bf16=False + use_cpu, an eos token for the BERT tokenizer, a chat template (the data
  is conversational; MiniLM has none) and max_length=512 (TRL's default 1024 exceeds MiniLM's 512
  positions and would crash on 513-1024-token pairs; TRL still drops every longer pair).
- rmstudio: `training.run` with preset `auto` (tiny for MiniLM), which keeps every pair (prompt cut from
  the left) and trains in bf16 autocast without gradient checkpointing, with length-grouped batches.
Prints pairs/s of each and the ratio, the pairs each trained on, and held-out accuracy of each (every
held-out pair scored in the model's own training format, cut to its 512-token limit).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from shared_data import DPO_EN_DEMO  # noqa: E402


def load_pairs(path: str) -> list[dict]:
    from rmstudio.data.formats import read_source
    from rmstudio.training.trainset import normalize

    return normalize([r for r in read_source(path).rows if "chosen" in r and "rejected" in r])


def run_rmstudio(train_rows: list[dict], workdir: Path, max_length: int | None) -> dict:
    from rmstudio.training import trainer as training
    from rmstudio.training.trainset import write_parquet

    run_dir = workdir / "rmstudio-run"
    run_dir.mkdir(parents=True)
    write_parquet(train_rows, run_dir / "data.parquet")  # the frozen snapshot the run trains on
    spec = training.TrainSpec(data="bench", eval_fraction=0, max_length=max_length, save_every_seconds=10**9)
    summary = training.run(spec, run_dir)
    return {
        "pairs": summary["train_pairs"],
        "seconds": summary["train_seconds"],
        "truncated": summary["truncated_pairs"],
        "dropped": summary["dropped_pairs"],
        "checkpoint": summary["checkpoint"],
        "preset": summary["preset"],
    }


def run_reference(train_rows: list[dict], workdir: Path) -> dict:
    from datasets import Dataset
    from transformers import AutoTokenizer
    from trl import RewardConfig, RewardTrainer

    from rmstudio.model.backbones import default_model_path
    from rmstudio.model.encoding import FALLBACK_CHAT_TEMPLATE

    path = default_model_path()
    tokenizer = AutoTokenizer.from_pretrained(path)
    tokenizer.eos_token = tokenizer.sep_token  # fix: BERT tokenizers have no eos token
    tokenizer.chat_template = FALLBACK_CHAT_TEMPLATE  # fix: conversational data needs a template
    config = RewardConfig(
        output_dir=str(workdir / "reference"),
        per_device_train_batch_size=2,
        num_train_epochs=1,
        learning_rate=1e-5,
        bf16=False,
        use_cpu=True,  # fix: CPU
        max_length=512,  # fix: MiniLM has 512 positions (TRL default 1024 would crash)
        report_to=[],
        save_strategy="no",
        logging_steps=10,
        disable_tqdm=True,
    )
    data = Dataset.from_list([{k: r[k] for k in ("prompt", "chosen", "rejected")} for r in train_rows])
    trainer = RewardTrainer(model=path, args=config, train_dataset=data, processing_class=tokenizer)
    kept = len(trainer.train_dataset)
    started = time.time()
    trainer.train()
    seconds = time.time() - started
    out = workdir / "reference-final"
    trainer.save_model(str(out))
    tokenizer.save_pretrained(str(out))
    return {"pairs": kept, "seconds": seconds, "dropped": len(train_rows) - kept, "checkpoint": str(out)}


def reference_ids(tokenizer, prompt, completion, limit: int) -> list[int]:
    """TRL's own format for conversational pairs (chat template, no added specials), cut to `limit` from the left."""
    ids = tokenizer.apply_chat_template(prompt + completion, tokenize=True, return_dict=True)["input_ids"]
    return ids[-limit:]


def held_out_accuracy(checkpoint: str, rows: list[dict], *, trl_format: bool) -> float:
    from rmstudio.scoring.scorer import RewardScorer

    scorer = RewardScorer.from_pretrained(checkpoint, precision="fp32", cache=False)
    if trl_format:
        seqs = [
            reference_ids(scorer.encoder.tokenizer, r["prompt"], r[side], 512)
            for side in ("chosen", "rejected")
            for r in rows
        ]
        scores = scorer.score_ids(seqs)
        n = len(rows)
        margins = [scores[i] - scores[n + i] for i in range(n)]
    else:
        margins = scorer.margins(
            [r["prompt"] for r in rows], [r["chosen"] for r in rows], [r["rejected"] for r in rows]
        )
    return sum(m > 0 for m in margins) / len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DPO_EN_DEMO))
    parser.add_argument("--pairs", type=int, help="use only the first N pairs (quick check)")
    parser.add_argument("--eval-fraction", type=float, default=0.1)
    parser.add_argument("--max-length", type=int, help="override rmstudio's preset max_length")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    import torch

    from rmstudio.training.trainset import split_pairs

    rows = load_pairs(args.data)[: args.pairs]
    train_rows, eval_rows = split_pairs(rows, args.eval_fraction, args.seed)
    print(
        f"data: {args.data}: {len(rows)} pairs -> {len(train_rows)} train, {len(eval_rows)} held out; "
        f"torch threads {torch.get_num_threads()}; load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="rm-train-bench-") as tmp:
        work = Path(tmp)
        ref = run_reference(train_rows, work)
        print(f"reference done: {ref['pairs']} pairs in {ref['seconds']:.1f}s", flush=True)
        ours = run_rmstudio(train_rows, work, args.max_length)
        print(f"rmstudio done: {ours['pairs']} pairs in {ours['seconds']:.1f}s", flush=True)
        ref["accuracy"] = held_out_accuracy(ref["checkpoint"], eval_rows, trl_format=True)
        ours["accuracy"] = held_out_accuracy(ours["checkpoint"], eval_rows, trl_format=False)
    ref_rate, our_rate = ref["pairs"] / ref["seconds"], ours["pairs"] / ours["seconds"]
    print(
        f"reference (TRL RewardConfig batch 2, lr 1e-5, 1 epoch): {ref_rate:.3f} pairs/s, "
        f"trained on {ref['pairs']}/{len(train_rows)} pairs (dropped {ref['dropped']} longer than 512 tokens), "
        f"held-out accuracy {ref['accuracy']:.3f} on {len(eval_rows)} pairs, train {ref['seconds']:.1f}s"
    )
    print(
        f"rmstudio (preset {ours['preset']}): {our_rate:.3f} pairs/s, trained on {ours['pairs']}/{len(train_rows)} "
        f"pairs (truncated {ours['truncated']}, dropped {ours['dropped']}), held-out accuracy "
        f"{ours['accuracy']:.3f} on {len(eval_rows)} pairs, train {ours['seconds']:.1f}s"
    )
    print(
        f"speed ratio rmstudio/reference: {our_rate / ref_rate:.2f}x pairs/s "
        f"({ours['seconds'] and ref['seconds'] / ours['seconds']:.2f}x less wall time for "
        f"{ours['pairs'] / max(ref['pairs'], 1):.2f}x the pairs)"
    )
    print(
        json.dumps(
            {
                "reference": {k: v for k, v in ref.items() if k != "checkpoint"},
                "rmstudio": {k: v for k, v in ours.items() if k != "checkpoint"},
                "ratio_pairs_per_second": round(our_rate / ref_rate, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
