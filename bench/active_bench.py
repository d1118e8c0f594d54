"""Active learning benchmark: label the pairs the model is least sure about first, or at random?

    python bench/active_bench.py [--seeds 3] [--step 50] [--budget 200] [--pool-shared PATH]

Simulates annotators on a labeled pool (the project's demo pairs + ../shared/data/dpo_en_demo.json):
both strategies start from the same random first `step` labels; every `step` labels a reward model is
retrained from the base MiniLM (rmstudio's training, default preset) and evaluated on a fixed held-out
set; the next `step` pairs are the lowest-|margin| ones under the current model (uncertainty, what
`next_pair(order="uncertainty")` serves) or a random sample (the baseline, run side by side). Prints the
learning curves (held-out accuracy vs labels) averaged over seeds.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from shared_data import DPO_EN_DEMO  # noqa: E402

from rmstudio.data.demo import labeled_pairs  # noqa: E402
from rmstudio.data.formats import read_source  # noqa: E402
from rmstudio.scoring.scorer import RewardScorer, clear_cache  # noqa: E402
from rmstudio.training.spec import TrainSpec  # noqa: E402
from rmstudio.training.trainer import run as train_run  # noqa: E402

MAX_LENGTH = 128  # tokens per text: the end of the prompt and the response; keeps 20+ retrainings affordable


def load_pool(shared: Path) -> list[dict]:
    # one schema for the whole pool: the demo's plain texts become single chat messages like dpo_en's
    rows = [{"prompt": [{"role": "user", "content": r["prompt"]}],
             "chosen": [{"role": "assistant", "content": r["chosen"]}],
             "rejected": [{"role": "assistant", "content": r["rejected"]}], "origin": "demo"}
            for r in labeled_pairs(400, seed=7)]
    if shared.is_file():
        seen = set()
        for r in read_source(str(shared)).rows:
            key = json.dumps([r["prompt"], r["chosen"]])
            if key not in seen:
                seen.add(key)
                rows.append({"prompt": r["prompt"], "chosen": r["chosen"], "rejected": r["rejected"], "origin": "dpo_en"})
    return rows


def train(rows: list[dict], work: Path, seed: int) -> str:
    data = work / f"train-{time.time_ns()}.jsonl"
    data.write_text("".join(json.dumps({k: r[k] for k in ("prompt", "chosen", "rejected")}) + "\n" for r in rows))
    spec = TrainSpec(data=str(data), home=str(work), eval_fraction=0.0, seed=seed, epochs=2, max_length=MAX_LENGTH)
    summary = train_run(spec, work / f"run-{time.time_ns()}")
    return summary["checkpoint"]


def margins(checkpoint: str, rows: list[dict]) -> list[float]:
    scorer = RewardScorer.from_pretrained(checkpoint, cache=False)
    chosen = scorer.score([r["prompt"] for r in rows], [r["chosen"] for r in rows])
    rejected = scorer.score([r["prompt"] for r in rows], [r["rejected"] for r in rows])
    return [c - r for c, r in zip(chosen, rejected, strict=True)]


def accuracy(checkpoint: str, rows: list[dict]) -> float:
    return sum(m > 0 for m in margins(checkpoint, rows)) / len(rows)


def curve(strategy: str, pool: list[dict], start: list[int], held: list[dict], args, work: Path, seed: int,
          first_checkpoint: str) -> dict[int, float]:
    rng = random.Random(seed * 1000 + 1)
    labeled, checkpoint = list(start), first_checkpoint
    points = {len(labeled): accuracy(checkpoint, held)}
    while len(labeled) < args.budget:
        taken = set(labeled)
        rest = [i for i in range(len(pool)) if i not in taken]
        if strategy == "uncertainty":
            m = margins(checkpoint, [pool[i] for i in rest])
            picked = [i for _, i in sorted(zip((abs(x) for x in m), rest, strict=True))[: args.step]]
        else:
            picked = rng.sample(rest, args.step)
        labeled += picked
        checkpoint = train([pool[i] for i in labeled], work, seed)
        points[len(labeled)] = accuracy(checkpoint, held)
        clear_cache()
        print(f"  seed {seed} {strategy:<11} {len(labeled):>4} labels: held-out accuracy {points[len(labeled)]:.3f}",
              file=sys.stderr, flush=True)
    return points


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="repetitions averaged (default 3)")
    parser.add_argument("--step", type=int, default=50, help="labels between retrainings (default 50)")
    parser.add_argument("--budget", type=int, default=200, help="labels simulated per strategy (default 200)")
    parser.add_argument("--held-out", type=int, default=150, help="pairs kept aside for accuracy (default 150)")
    parser.add_argument("--pool-shared", type=Path, default=DPO_EN_DEMO,
                        help="extra labeled pairs added to the pool (default: the shared dpo_en_demo.json)")
    args = parser.parse_args()
    data = load_pool(args.pool_shared)
    print(f"pool: {len(data)} labeled pairs ({sum(r['origin'] == 'dpo_en' for r in data)} from dpo_en_demo)")
    curves = {"uncertainty": [], "random": []}
    started = time.time()
    for seed in range(args.seeds):
        rng = random.Random(seed)
        order = list(range(len(data)))
        rng.shuffle(order)
        held = [data[i] for i in order[: args.held_out]]
        pool = [data[i] for i in order[args.held_out :]]
        start = list(range(args.step))  # the pool is shuffled: the first `step` pairs are a random start
        with tempfile.TemporaryDirectory() as tmp:
            first = train([pool[i] for i in start], Path(tmp), seed)
            for strategy in curves:
                curves[strategy].append(curve(strategy, pool, start, held, args, Path(tmp), seed, first))
    print(f"\nheld-out accuracy vs labels, mean over {args.seeds} seeds ({time.time() - started:.0f} s):")
    print(f"{'labels':>7} {'uncertainty':>12} {'random':>8} {'difference':>11}")
    for n in sorted(curves["random"][0]):
        u = statistics.mean(c[n] for c in curves["uncertainty"])
        r = statistics.mean(c[n] for c in curves["random"])
        print(f"{n:>7} {u:>12.3f} {r:>8.3f} {u - r:>+11.3f}")


if __name__ == "__main__":
    main()
