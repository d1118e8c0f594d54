"""Rendering a huge pair: server time, and what it costs another annotator's label calls (issue 11).

    python bench/render_bench.py [--field-mb 1.0] [--rounds 60]

A pair whose prompt and two responses are ~1 MB each (real replies of dpo_en_demo, repeated) is rendered the
way the Label tab does (`label_tab.screen_for`: capped Markdown + "Show all"). Baselines measured in the same
run: a typical pair of the same data, and the same huge pair rendered uncapped (markdown-it over every
character, what the renderer did before the cap).

Then a second annotator labels ordinary pairs (`label_tab.judge`: record, lease the next pair, render it)
while a first one keeps opening the huge pair, in two threads of one process: Gradio runs handlers in a
thread pool of one process, so the GIL the renderer holds is what stalls the other calls. Its latency is
compared with the same calls on an idle server. The last stdout line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.shared_data import DPO_EN_DEMO  # noqa: E402
from rmstudio.access import Access  # noqa: E402
from rmstudio.data.formats import normalize_records  # noqa: E402
from rmstudio.store import PreferenceStore  # noqa: E402
from rmstudio.ui import label_tab, render  # noqa: E402
from rmstudio.ui.context import StudioContext  # noqa: E402


def real_replies() -> list[str]:
    rows = json.loads(DPO_EN_DEMO.read_text(encoding="utf-8"))
    return [side["value"] for row in rows for side in (row["chosen"], row["rejected"])]


def huge_text(replies: list[str], chars: int, offset: int) -> str:
    """About `chars` characters of real Markdown replies, one after another."""
    parts, size, i = [], 0, offset
    while size < chars:
        parts.append(replies[i % len(replies)])
        size += len(parts[-1]) + 2
        i += 1
    return "\n\n".join(parts)[:chars]


def seconds(fn, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18] if len(samples) >= 20 else max(samples)


def uncapped(pair) -> None:
    """What the renderer did before the cap: markdown-it over every character of the three fields."""
    for value in (pair.prompt, pair.left_text, pair.right_text):
        render._markdown().render(value)


def label_latency(ctx: StudioContext, rounds: int, annotator: str, load=None) -> list[float]:
    """Seconds per label call of `annotator`, while `load` (if any) runs over and over in another thread."""
    stop, loaded = threading.Event(), threading.Event()
    worker = None
    if load is not None:
        def keep_loading():
            while not stop.is_set():
                load()
                loaded.set()

        worker = threading.Thread(target=keep_loading, daemon=True)
        worker.start()
        loaded.wait()  # measure while the load is under way, not before it starts
    screen = label_tab.show_next(ctx, annotator)
    samples = []
    for i in range(rounds):
        start = time.perf_counter()
        screen = label_tab.judge(ctx, annotator, screen.pair_id, screen.left, ("left", "right")[i % 2])
        samples.append(time.perf_counter() - start)
    stop.set()
    if worker is not None:
        worker.join()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--field-mb", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=60)
    args = parser.parse_args()
    replies = real_replies()
    chars = int(args.field_mb * 1_000_000)
    with tempfile.TemporaryDirectory() as tmp:
        store = PreferenceStore(tmp)
        ctx = StudioContext(home=Path(tmp), store=store, access=Access(anonymous_admin=True))
        store.import_batch(normalize_records([{"prompt": huge_text(replies, chars, 0),
                                               "response_a": huge_text(replies, chars, 7),
                                               "response_b": huge_text(replies, chars, 13)}], source="huge"))
        huge = store.next_pair("reader")  # leased to the reader: the labeler never gets it
        ordinary = [{"prompt": f"Question {i}: {replies[i][:200]}", "response_a": replies[i],
                     "response_b": replies[i + 1]} for i in range(0, min(len(replies) - 1, 4 * args.rounds + 40))]
        store.import_batch(normalize_records(ordinary, source="ordinary"))
        typical = store.get_pair(huge.id + 1)

        capped = seconds(lambda: label_tab.screen_for(huge), 5)
        small = seconds(lambda: label_tab.screen_for(typical), 50)
        old = seconds(lambda: uncapped(huge), 2)
        print(f"huge pair (3 x {chars:,} chars) rendered capped: median {statistics.median(capped) * 1000:.0f} ms, "
              f"max {max(capped) * 1000:.0f} ms (goal < 2000 ms)")
        print(f"baseline typical pair: median {statistics.median(small) * 1000:.1f} ms; huge pair uncapped "
              f"(markdown-it over everything, the old renderer): median {statistics.median(old) * 1000:.0f} ms")

        idle = label_latency(ctx, args.rounds, "labeler-1")
        busy = label_latency(ctx, args.rounds, "labeler-2", lambda: label_tab.screen_for(store.get_pair(huge.id)))
        busy_old = label_latency(ctx, max(5, args.rounds // 6), "labeler-3", lambda: uncapped(store.get_pair(huge.id)))
        for name, samples in [("idle server (baseline)", idle), ("while another annotator opens the huge pair", busy),
                              ("while it renders uncapped (old renderer)", busy_old)]:
            print(f"label call, {name}, {len(samples)} calls: median {statistics.median(samples) * 1000:.1f} ms, "
                  f"p95 {p95(samples) * 1000:.1f} ms")
        result = {
            "field_chars": chars,
            "huge_pair_render_ms": round(statistics.median(capped) * 1000, 1),
            "huge_pair_render_max_ms": round(max(capped) * 1000, 1),
            "typical_pair_render_ms": round(statistics.median(small) * 1000, 2),
            "huge_pair_uncapped_ms": round(statistics.median(old) * 1000, 1),
            "capped_vs_uncapped": round(statistics.median(capped) / statistics.median(old), 3),
            "label_idle_p95_ms": round(p95(idle) * 1000, 1),
            "label_busy_p95_ms": round(p95(busy) * 1000, 1),
            "label_busy_uncapped_p95_ms": round(p95(busy_old) * 1000, 1),
            "label_busy_vs_idle_p95": round(p95(busy) / p95(idle), 2),
            "label_busy_uncapped_vs_idle_p95": round(p95(busy_old) / p95(idle), 2),
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
