"""Store benchmark: import of 100k generated pairs, and labeling latency with 100k pairs stored.

    python bench/store_bench.py [--pairs 100000] [--rounds 500]

Prints the import time (goal < 20 s), the p50/p95 of `next_pair` + `record_label` (goal p95 < 50 ms),
and, as a baseline measured in the same run, the p50/p95 of a bare SQLite insert+commit on the same disk.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rmstudio.data.formats import read_source  # noqa: E402
from rmstudio.store import PreferenceStore  # noqa: E402


def write_pairs(path: Path, n: int) -> None:
    with path.open("w") as f:
        for i in range(n):
            f.write(json.dumps({"prompt": f"Question number {i}: how do I sort a list of {i % 97} items?",
                                "response_a": f"Use sorted(items) - answer {i}.", "response_b": f"Not sure, sorry ({i}).",
                                "category": f"topic{i % 7}"}) + "\n")


def percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100)
    return cuts[49] * 1000, cuts[94] * 1000


def bare_sqlite_commit(home: Path, rounds: int) -> list[float]:
    db = sqlite3.connect(home / "baseline.sqlite", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE t (x INTEGER)")
    samples = []
    for i in range(rounds):
        start = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO t VALUES (?)", (i,))
        db.execute("COMMIT")
        samples.append(time.perf_counter() - start)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        source = home / "pairs.jsonl"
        write_pairs(source, args.pairs)

        start = time.perf_counter()
        report = PreferenceStore(home).import_batch(read_source(str(source)))
        import_seconds = time.perf_counter() - start
        print(f"import: {report['imported']} pairs in {import_seconds:.1f} s "
              f"({report['imported'] / import_seconds:,.0f} pairs/s; goal < 20 s)")

        store = PreferenceStore(home)
        samples = []
        for _ in range(args.rounds):
            start = time.perf_counter()
            pair = store.next_pair("bench")
            store.record_label(pair.id, "a", "bench")
            samples.append(time.perf_counter() - start)
        p50, p95 = percentiles(samples)
        b50, b95 = percentiles(bare_sqlite_commit(home, args.rounds))
        print(f"next_pair + record_label with {store.count_pairs()} pairs: p50 {p50:.2f} ms, p95 {p95:.2f} ms "
              f"(goal p95 < 50 ms)")
        print(f"baseline bare SQLite insert+commit (WAL, synchronous=FULL): p50 {b50:.2f} ms, p95 {b95:.2f} ms; "
              f"ratio p95 {p95 / b95:.1f}x")


if __name__ == "__main__":
    main()
