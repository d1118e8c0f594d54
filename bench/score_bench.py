"""Scoring speed and fidelity on real pairs: rmstudio's eval vs a one-text-per-forward loop vs the
`transformers` text-classification pipeline, all with the same checkpoint on the same pairs, in one run.

    python bench/score_bench.py                       # trains a checkpoint on the data first (~2 min)
    python bench/score_bench.py --checkpoint CKPT     # or uses yours
    python bench/score_bench.py --memory-pairs 10000  # also: peak RSS while evaluating 10k pairs

Every method reads the same text for a pair side: the text the checkpoint was trained on
(`PairEncoder.render`), of which the baselines get the part rmstudio's truncation policy keeps (cut at
token boundaries; `baseline_texts_with_identical_tokens` checks they tokenize to the same ids), so that
decisions differ only where the implementations do (batching, bf16), not by which end was cut. Prints
pairs/s of each (the fastest of `--repeat` interleaved runs: the machine may be shared), the ratios
(goals: >= 15x the loop, >= 2x the pipeline) and the share of pairs whose decision (chosen above
rejected or not) agrees (goal >= 99.5%).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from shared_data import DPO_EN_DEMO  # noqa: E402


def train_checkpoint(data: str, home: str, max_steps: int) -> str:
    """A checkpoint trained on `data` with the default preset (capped steps), as `rmstudio train` makes."""
    from rmstudio.jobs.follow import run_foreground

    started = time.perf_counter()
    summary = run_foreground(home, {"data": data, "max_steps": max_steps}, progress=False)
    print(
        f"trained {summary['checkpoint']} in {time.perf_counter() - started:.0f}s "
        f"(eval accuracy {summary.get('eval_accuracy')})",
        file=sys.stderr,
    )
    return summary["checkpoint"]


def kept_text(encoder, prompt, completion) -> str:
    """The part of the pair's text that rmstudio's truncation policy keeps, cut at token boundaries, so
    that a baseline tokenizing this text reads the same tokens as rmstudio does."""
    from rmstudio.model.encoding import truncate

    head, tail, _ = encoder.render(prompt, completion)
    tokenizer = encoder.tokenizer
    h = tokenizer(head, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
    t = tokenizer(tail, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
    budget = encoder.max_length - len(encoder.prefix) - len(encoder.suffix) - int(encoder.append_eos)
    kept_head, kept_tail, cut_head, cut_tail = truncate(h["input_ids"], t["input_ids"], budget)
    if not cut_head and not cut_tail:
        return head + tail
    head_text = head[h["offset_mapping"][cut_head][0] :] if kept_head else ""
    tail_text = tail[: t["offset_mapping"][len(kept_tail) - 1][1]] if kept_tail else ""
    return head_text + tail_text


def side_texts(encoder, rows: list[dict]) -> list[str]:
    """Text of every chosen side, then every rejected side."""
    return [kept_text(encoder, r["prompt"], r[side]) for side in ("chosen", "rejected") for r in rows]


def same_tokens(encoder, rows: list[dict], texts: list[str]) -> float:
    """Share of texts a baseline tokenizes into exactly the ids rmstudio scores."""
    ours = encoder.encode_batch(
        [r["prompt"] for r in rows] * 2, [r["chosen"] for r in rows] + [r["rejected"] for r in rows]
    )
    theirs = encoder.tokenizer(texts, truncation=True, max_length=encoder.max_length)["input_ids"]
    return sum(a.ids == b for a, b in zip(ours, theirs, strict=True)) / len(texts)


def margins_of(rewards: list[float]) -> list[float]:
    half = len(rewards) // 2
    return [c - r for c, r in zip(rewards[:half], rewards[half:], strict=True)]


def reference_loop(
    checkpoint: str, texts: list[str], max_length: int, side: str
) -> tuple[list[float], float]:
    """One text per forward call in fp32: model(**tokenizer(text, return_tensors="pt")).logits."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(checkpoint, truncation_side=side)
    model = AutoModelForSequenceClassification.from_pretrained(checkpoint).eval()
    model(**tokenizer("warm up", return_tensors="pt"))
    started = time.perf_counter()
    scores = []
    with torch.no_grad():
        for text in texts:
            inputs = tokenizer(text, return_tensors="pt", truncation=True, max_length=max_length)
            scores.append(model(**inputs).logits[0, 0].item())
    return scores, time.perf_counter() - started


def pipeline_scores(
    checkpoint: str, texts: list[str], max_length: int, side: str
) -> tuple[list[float], float]:
    """transformers.pipeline("text-classification", batch_size=16), raw logits."""
    from transformers import AutoTokenizer, pipeline

    tokenizer = AutoTokenizer.from_pretrained(checkpoint, truncation_side=side)
    pipe = pipeline("text-classification", model=checkpoint, tokenizer=tokenizer, batch_size=16, device="cpu")
    options = {"function_to_apply": "none", "truncation": True, "max_length": max_length}
    pipe(["warm up"], **options)
    started = time.perf_counter()
    out = pipe(texts, **options)
    return [item["score"] for item in out], time.perf_counter() - started


def rmstudio_eval(
    checkpoint: str, rows: list[dict], precision: str = "auto"
) -> tuple[list[float], float, dict]:
    """rmstudio's evaluate() end to end (wall clock, model already loaded as the app would have it)."""
    from rmstudio.evaluation import compare as evaluation
    from rmstudio.scoring.scorer import ENV_PRECISION, RewardScorer

    os.environ[ENV_PRECISION] = precision
    try:
        scorer = RewardScorer.from_pretrained(checkpoint)
        scorer.score(["warm"], ["up"])
        started = time.perf_counter()
        report = evaluation.evaluate([checkpoint], rows, save=False)
        return report["results"][0]["margins"], time.perf_counter() - started, report["results"][0]
    finally:
        del os.environ[ENV_PRECISION]


def agreement(a: list[float], b: list[float]) -> float:
    return sum((x > 0) == (y > 0) for x, y in zip(a, b, strict=True)) / len(a)


def memory_child(checkpoint: str, data: str, pairs: int) -> None:
    """Evaluate `pairs` pairs (the data repeated) and print peak RSS; runs in its own process."""
    from rmstudio.evaluation import compare as evaluation

    rows, _ = evaluation.load_pairs(data)
    rows = [rows[i % len(rows)] for i in range(pairs)]
    started = time.perf_counter()
    report = evaluation.evaluate([checkpoint], rows, save=False)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "pairs": report["pairs"],
                "peak_rss_mb": round(peak_mb),
                "seconds": round(time.perf_counter() - started, 1),
                "pairs_per_second": round(report["results"][0]["pairs_per_second"], 1),
            }
        )
    )


def memory_check(checkpoint: str, data: str, pairs: int) -> dict:
    child = subprocess.run(
        [
            sys.executable,
            __file__,
            "--memory-child",
            "--checkpoint",
            checkpoint,
            "--data",
            data,
            "--memory-pairs",
            str(pairs),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(child.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", help="reward checkpoint (default: train one on --data)")
    parser.add_argument("--data", default=str(DPO_EN_DEMO), help="preference pairs in any import schema")
    parser.add_argument("--limit", type=int, help="use only the first N pairs")
    parser.add_argument(
        "--repeat", type=int, default=3, help="timed runs per method (interleaved); the fastest counts"
    )
    parser.add_argument(
        "--train-steps", type=int, default=40, help="optimizer steps when training a checkpoint"
    )
    parser.add_argument(
        "--truncation-side",
        default="right",
        choices=["left", "right"],
        help="how the baselines truncate a text still longer than the limit (rare)",
    )
    parser.add_argument(
        "--memory-pairs", type=int, default=0, help="also measure peak RSS scoring this many pairs"
    )
    parser.add_argument("--memory-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        return memory_child(args.checkpoint, args.data, args.memory_pairs)

    from rmstudio.evaluation import compare as evaluation
    from rmstudio.model.encoding import PairEncoder

    checkpoint = args.checkpoint or train_checkpoint(
        args.data, tempfile.mkdtemp(prefix="score_bench_"), args.train_steps
    )
    rows, _ = evaluation.load_pairs(args.data)
    rows = rows[: args.limit] if args.limit else rows
    encoder = PairEncoder.from_checkpoint(checkpoint)
    texts = side_texts(encoder, rows)
    n = len(rows)
    print(
        f"{n} pairs ({len(texts)} texts), max_length {encoder.max_length}, {os.cpu_count()} CPUs, "
        f"torch threads {__import__('torch').get_num_threads()}",
        file=sys.stderr,
    )

    methods = {
        "ours": lambda: rmstudio_eval(checkpoint, rows),
        "ours32": lambda: rmstudio_eval(checkpoint, rows, precision="fp32"),
        "pipe": lambda: pipeline_scores(checkpoint, texts, encoder.max_length, args.truncation_side),
        "loop": lambda: reference_loop(checkpoint, texts, encoder.max_length, args.truncation_side),
    }
    runs, seconds = {}, {}
    for _ in range(args.repeat):  # rounds interleave the methods, so a busy spell hits them alike
        for name, method in methods.items():
            runs[name] = method()
            seconds[name] = min(seconds.get(name, float("inf")), runs[name][1])
    (ours, _, result), ours32, pipe, loop = runs["ours"], runs["ours32"][0], runs["pipe"][0], runs["loop"][0]
    ours_s, ours32_s, pipe_s, loop_s = (seconds[name] for name in methods)
    ours_rate, pipe_rate, loop_rate = n / ours_s, n / pipe_s, n / loop_s
    figures = {
        "pairs": n,
        "rmstudio_eval_pairs_per_s": round(ours_rate, 1),
        "pipeline_pairs_per_s": round(pipe_rate, 1),
        "reference_loop_pairs_per_s": round(loop_rate, 1),
        "ratio_vs_reference_loop": round(ours_rate / loop_rate, 2),
        "ratio_vs_pipeline": round(ours_rate / pipe_rate, 2),
        "rmstudio_eval_fp32_pairs_per_s": round(n / ours32_s, 1),
        "ratio_bf16_vs_fp32": round(ours32_s / ours_s, 2),
        "fp32_decision_agreement_vs_reference_loop": round(agreement(ours32, margins_of(loop)), 4),
        "bf16_decision_agreement_vs_fp32": round(agreement(ours, ours32), 4),
        "max_abs_margin_diff_bf16_vs_fp32": round(
            max(abs(a - b) for a, b in zip(ours, ours32, strict=True)), 4
        ),
        "median_abs_margin": round(sorted(abs(m) for m in ours)[n // 2], 4),
        "decision_agreement_vs_reference_loop": round(agreement(ours, margins_of(loop)), 4),
        "decision_agreement_vs_pipeline": round(agreement(ours, margins_of(pipe)), 4),
        "eval_accuracy": round(result["accuracy"], 4),
        "reference_accuracy": round(sum(m > 0 for m in margins_of(loop)) / n, 4),
        "baseline_texts_with_identical_tokens": round(same_tokens(encoder, rows, texts), 4),
        "truncated_texts": sum(
            text != encoder.join_text(r["prompt"], r[side])
            for text, (r, side) in zip(
                texts, [(r, s) for s in ("chosen", "rejected") for r in rows], strict=True
            )
        ),
        "checkpoint": checkpoint,
    }
    for key, value in figures.items():
        print(f"{key:40s} {value}", flush=True)
    if args.memory_pairs:
        figures["memory"] = memory_check(checkpoint, args.data, args.memory_pairs)
        print(f"{'memory':40s} {figures['memory']}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
