"""Label-tab latency: what one click costs on the server with 100k pairs stored.

    python bench/label_bench.py [--pairs 100000] [--rounds 300]

Times `rmstudio.ui.label_tab.judge` — record the label, lease the next pair, render both responses to
safe HTML — i.e. the server handler behind a button or key press, after which the next pair is on screen
(goal: p95 < 50 ms); then `progress_line`, the follow-up request that refreshes the counts, and the sum
of both. As a baseline measured in the same run, it times the bare store calls the handler builds on
(`next_pair` + `record_label`), so the ratio shows what the UI layer adds.

It also times the Data tab's pair browser (`data_views.pairs_page`: first page, last page, a text search)
against reading every pair at once (what an unpaged table would have to do).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rmstudio.access import Access  # noqa: E402
from rmstudio.data.formats import ImportBatch  # noqa: E402
from rmstudio.store import PreferenceStore  # noqa: E402
from rmstudio.ui import label_tab  # noqa: E402
from rmstudio.ui.context import StudioContext  # noqa: E402
from rmstudio.ui.views import data as data_views  # noqa: E402

RESPONSE = ("Here is how to do it:\n\n1. Open the file.\n2. Sort the list with `sorted(items)`.\n\n"
            "```python\nitems = sorted(items, key=len)\nprint(items[:3])\n```\n") * 3


def candidate_rows(n: int) -> list[dict]:
    return [{"prompt": f"Question {i}: how do I sort a list of {i % 97} items?", "response_a": f"{RESPONSE} ({i})",
             "response_b": f"Not sure, sorry ({i}).", "category": f"topic{i % 7}"} for i in range(n)]


def percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100)
    return cuts[49] * 1000, cuts[94] * 1000


def time_handler(ctx: StudioContext, rounds: int, annotator: str) -> tuple[list[float], list[float]]:
    """(seconds until the next pair is ready, seconds for the follow-up progress line) per click."""
    screen = label_tab.show_next(ctx, annotator)
    judged, counted = [], []
    for i in range(rounds):
        side = ("left", "right", "tie", "both_bad", "skip")[i % 5]
        start = time.perf_counter()
        screen = label_tab.judge(ctx, annotator, screen.pair_id, screen.left, side)
        middle = time.perf_counter()
        label_tab.progress_line(ctx, annotator)
        judged.append(middle - start)
        counted.append(time.perf_counter() - middle)
    return judged, counted


def time_store(store: PreferenceStore, rounds: int, annotator: str) -> list[float]:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        pair = store.next_pair(annotator)
        store.record_label(pair.id, "a", annotator)
        samples.append(time.perf_counter() - start)
    return samples


def time_browser(store: PreferenceStore) -> None:
    def median_ms(fn, repeat: int = 5) -> float:
        samples = []
        for _ in range(repeat):
            start = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - start)
        return statistics.median(samples) * 1000

    everything = median_ms(lambda: store.list_pairs(offset=0, limit=10**9), repeat=2)
    last = data_views.page_count(store.count_pairs(), 25)
    for name, kwargs in [("first page", {"page": 1}), ("last page", {"page": last}),
                         ("search 'Question 4242:'", {"page": 1, "search": "Question 4242:"})]:
        ms = median_ms(lambda kwargs=kwargs: data_views.pairs_page(store, size=25, **kwargs))
        print(f"data browser, {name}: {ms:.1f} ms (reading all pairs: {everything:.0f} ms; {everything / ms:.0f}x faster)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = PreferenceStore(tmp)
        start = time.perf_counter()
        store.import_batch(ImportBatch(source="bench", format="candidates", rows=candidate_rows(args.pairs)))
        print(f"stored {store.count_pairs():,} pairs in {time.perf_counter() - start:.1f} s")
        ctx = StudioContext(home=Path(tmp), store=store, access=Access(anonymous_admin=True))
        # interleave the two measurements so machine noise hits both alike
        judged, counted, baseline = [], [], []
        for block in range(5):
            more_judged, more_counted = time_handler(ctx, args.rounds // 5, f"ui-{block}")
            judged += more_judged
            counted += more_counted
            baseline += time_store(store, args.rounds // 5, f"store-{block}")
        total = [a + b for a, b in zip(judged, counted, strict=True)]
        b50, b95 = percentiles(baseline)
        for name, samples in [("label handler (record + next pair + render; next pair on screen)", judged),
                              ("progress line (follow-up request)", counted), ("both together", total)]:
            p50, p95 = percentiles(samples)
            print(f"{name}, {len(samples)} clicks: p50 {p50:.2f} ms, p95 {p95:.2f} ms; "
                  f"p95 vs baseline {p95 / b95:.2f}x")
        print(f"baseline store next_pair + record_label: p50 {b50:.2f} ms, p95 {b95:.2f} ms (goal for the label "
              "handler: p95 < 50 ms)")
        time_browser(store)


if __name__ == "__main__":
    main()
