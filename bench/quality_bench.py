"""Held-out accuracy of training recipes on real preference pairs, by k-fold cross-validation, in one run.

    python bench/quality_bench.py                          # default preset vs TRL's reference, 5 folds
    python bench/quality_bench.py --quick                  # 2 folds: a fast look (~half the time)
    python bench/quality_bench.py --format hh              # the same pairs as raw HH-RLHF dialogues
    python bench/quality_bench.py --recipe default --recipe 'b8:batch_size=8'   # a candidate vs today

What the figures mean. The pairs (default: `../shared/data/dpo_en_demo.json`, 300 ShareGPT pairs) are cut
into `--folds` folds by prompt (no prompt in two folds). For every fold each recipe trains the embedded
MiniLM on the other folds through the real training path (`training.trainer.run`, as `rmstudio train`
does) and scores the fold it did not see, so every pair is scored once per recipe by a model not trained
on it. `accuracy` is the share of all pairs whose chosen side scored strictly higher (ties wrong);
`ci95` its percentile-bootstrap 95% interval (`scoring.metrics.bootstrap_ci`) - about +/-5.5 points on
300 pairs, whatever the fold count. `delta_vs_first` compares each recipe with the first one on the
same pairs: the mean accuracy difference and a paired-bootstrap 95% interval; an interval above 0 is a
gain beyond the noise of which pairs were held out (not of training seeds: each fold trains once).
`minutes` is the mean training wall-clock per fold (training only, not tokenizing or scoring) on this
CPU. Folds run recipe after recipe (interleaved), so load from other processes on a shared machine
falls on every recipe alike; still, read timings as rough.

Recipes: `default` (preset auto: `tiny` for MiniLM), `reference` (TRL's recipe: batch 2, lr 1e-5,
1 epoch, no warmup, 512 tokens for MiniLM), or `NAME:field=value,...` with any `TrainSpec` field
(e.g. `lr5:learning_rate=5e-5,epochs=2`). Progress goes to stderr; the last stdout line is one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from shared_data import DPO_EN_DEMO  # noqa: E402

BUILT_IN = {"default": {}, "reference": {"preset": "reference"}}
FORMATS = ("sharegpt", "hh")


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse_recipe(text: str) -> tuple[str, dict]:
    """`default`, `reference` or `NAME:field=value,...` -> (name, TrainSpec overrides)."""
    from rmstudio.training.spec import TrainSpec

    name, _, rest = text.partition(":")
    if not rest:
        if name not in BUILT_IN:
            raise SystemExit(f"unknown recipe {name!r}: use default, reference or NAME:field=value,...")
        return name, dict(BUILT_IN[name])
    overrides = {}
    for item in rest.split(","):
        key, _, value = item.partition("=")
        if key not in TrainSpec.__dataclass_fields__:
            raise SystemExit(f"recipe {name}: {key!r} is not a TrainSpec field")
        overrides[key] = json.loads(value) if value not in ("", None) and value[0] in "-0123456789.tf[{" else value
    return name, overrides


def as_hh_dialogue(messages: list[dict]) -> str:
    """Messages written as one raw HH-RLHF text: `\\n\\nHuman: ...\\n\\nAssistant: ...`."""
    speaker = {"user": "Human", "assistant": "Assistant", "system": "Human"}
    return "".join(f"\n\n{speaker.get(m['role'], 'Human')}: {m['content']}" for m in messages)


def write_hh(rows: list[dict], path: Path) -> None:
    """The pairs as HH-RLHF's raw public format (one JSONL line of chosen/rejected dialogues per pair)."""
    with open(path, "w", encoding="utf-8") as out:
        for r in rows:
            prompt = r["prompt"] if isinstance(r["prompt"], list) else [{"role": "user", "content": r["prompt"]}]
            sides = {
                side: as_hh_dialogue(prompt + (r[side] if isinstance(r[side], list) else
                                               [{"role": "assistant", "content": r[side]}]))
                for side in ("chosen", "rejected")
            }
            out.write(json.dumps(sides) + "\n")


def load_pairs(path: str, fmt: str, workdir: Path) -> list[dict]:
    """The pairs through rmstudio's own import reader, in `fmt` (hh: rewritten as raw dialogues first)."""
    from rmstudio.data.formats import read_source
    from rmstudio.training.trainset import normalize

    rows = normalize([r for r in read_source(path).rows if "chosen" in r and "rejected" in r])
    if fmt == "hh":
        hh = workdir / "pairs.hh.jsonl"
        write_hh(rows, hh)
        rows = normalize([r for r in read_source(str(hh)).rows if "chosen" in r and "rejected" in r])
    return rows


def fold_of_each_pair(rows: list[dict], folds: int, seed: int) -> list[int]:
    """A fold index per pair: prompts shuffled (seeded) and dealt round-robin, so a prompt stays in one fold."""
    keys = sorted({json.dumps(r["prompt"], sort_keys=True) for r in rows})
    random.Random(seed).shuffle(keys)
    fold_by_key = {k: i % folds for i, k in enumerate(keys)}
    return [fold_by_key[json.dumps(r["prompt"], sort_keys=True)] for r in rows]


def train_and_score(train_rows: list[dict], test_rows: list[dict], overrides: dict, run_dir: Path, seed: int):
    """(margins on test_rows, training seconds, summary) of one real training run on train_rows."""
    from rmstudio.scoring.scorer import RewardScorer
    from rmstudio.training import trainer as training
    from rmstudio.training.trainset import write_parquet

    run_dir.mkdir(parents=True)
    write_parquet(train_rows, run_dir / "data.parquet")  # the frozen snapshot the run trains on
    spec = training.TrainSpec(
        data="bench", eval_fraction=0, seed=seed, save_every_seconds=10**9, **overrides
    )
    with contextlib.redirect_stdout(sys.stderr):  # the trainer's log lines are progress, not results
        summary = training.run(spec, run_dir)
    scorer = RewardScorer.from_pretrained(summary["checkpoint"], precision="fp32", cache=False)
    margins = scorer.margins(
        [r["prompt"] for r in test_rows], [r["chosen"] for r in test_rows], [r["rejected"] for r in test_rows]
    )
    return margins, summary["train_seconds"], summary


def paired_difference(hits, base_hits, *, n_boot: int = 2000, seed: int = 0) -> dict:
    """Mean accuracy difference to the base recipe on the same pairs, with a paired-bootstrap 95% interval."""
    import numpy as np

    diff = np.asarray(hits, dtype=float) - np.asarray(base_hits, dtype=float)
    rng = np.random.default_rng(seed)
    means = diff[rng.integers(0, diff.size, size=(n_boot, diff.size))].mean(axis=1)
    low, high = np.quantile(means, [0.025, 0.975])
    return {"mean": round(float(diff.mean()), 4), "ci95": [round(float(low), 4), round(float(high), 4)]}


def recipe_figures(hits, seconds: list[float], summaries: list[dict]) -> dict:
    from rmstudio.scoring.metrics import bootstrap_ci

    return {
        "accuracy": round(float(sum(hits) / len(hits)), 4),
        "ci95": [round(x, 4) for x in bootstrap_ci(hits)],
        "pairs_scored": len(hits),
        "minutes": round(sum(seconds) / len(seconds) / 60, 2),
        "fold_seconds": [round(s, 1) for s in seconds],
        "preset": summaries[0]["preset"],
        "steps": summaries[0]["steps"],
        "truncated_pairs": sum(s["truncated_pairs"] for s in summaries),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.splitlines()[1:]),
    )
    parser.add_argument("--data", default=str(DPO_EN_DEMO), help="preference pairs in any import schema "
                        "(default: the shared dpo_en_demo.json, 300 ShareGPT pairs)")
    parser.add_argument("--format", choices=FORMATS, default="sharegpt",
                        help="sharegpt: the data as read; hh: the same pairs rewritten as raw HH-RLHF "
                             "'\\n\\nHuman: ... \\n\\nAssistant: ...' dialogues and read back by the importer")
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds (each pair scored once)")
    parser.add_argument("--quick", action="store_true", help="2 folds instead of --folds: a fast, rougher look")
    parser.add_argument("--pairs", type=int, help="use only the first N pairs (a smoke test)")
    parser.add_argument("--recipe", action="append", metavar="RECIPE",
                        help="default, reference or NAME:field=value,... (repeatable; the first is the base of "
                             "delta_vs_first); default: --recipe default --recipe reference")
    parser.add_argument("--seed", type=int, default=42, help="seed of the fold split and of every training run")
    args = parser.parse_args()
    folds = 2 if args.quick else args.folds
    recipes = [parse_recipe(r) for r in (args.recipe or ["default", "reference"])]

    import numpy as np
    import torch

    with tempfile.TemporaryDirectory(prefix="rm-quality-bench-") as tmp:
        work = Path(tmp)
        rows = load_pairs(args.data, args.format, work)[: args.pairs]
        fold = fold_of_each_pair(rows, folds, args.seed)
        say(f"data: {args.data} ({args.format}): {len(rows)} pairs in {folds} folds; torch threads "
            f"{torch.get_num_threads()}; load average {os.getloadavg()[0]:.1f}")
        margins = {name: np.zeros(len(rows)) for name, _ in recipes}
        seconds: dict[str, list[float]] = {name: [] for name, _ in recipes}
        summaries: dict[str, list[dict]] = {name: [] for name, _ in recipes}
        for k in range(folds):
            train_rows = [r for r, f in zip(rows, fold, strict=True) if f != k]
            test_index = [i for i, f in enumerate(fold) if f == k]
            for name, overrides in recipes:
                m, s, summary = train_and_score(
                    train_rows, [rows[i] for i in test_index], overrides, work / f"{name}-fold{k}", args.seed
                )
                margins[name][test_index] = m
                seconds[name].append(s)
                summaries[name].append(summary)
                say(f"fold {k + 1}/{folds} {name}: {len(train_rows)} train pairs, {summary['steps']} steps, "
                    f"{s:.0f}s, fold accuracy {float(np.mean(np.asarray(m) > 0)):.3f}; "
                    f"load {os.getloadavg()[0]:.1f}")
    base = recipes[0][0]
    report = {}
    for name, overrides in recipes:
        hits = margins[name] > 0
        report[name] = {"overrides": overrides, **recipe_figures(hits, seconds[name], summaries[name])}
        if name != base:
            report[name]["delta_vs_first"] = paired_difference(hits, margins[base] > 0)
            report[name]["time_ratio_vs_first"] = round(sum(seconds[name]) / sum(seconds[base]), 2)
        print(f"{name}: accuracy {report[name]['accuracy']:.3f} (95% CI {report[name]['ci95']}), "
              f"{report[name]['minutes']:.2f} min/fold")
    print(json.dumps({"data": Path(args.data).name, "format": args.format, "pairs": len(rows), "folds": folds,
                      "seed": args.seed, "recipes": report}))


if __name__ == "__main__":
    main()
