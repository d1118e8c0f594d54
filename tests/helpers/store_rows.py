"""Small builders shared by the store tests (real stores in temp dirs, rows the tests make up)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Batch:
    """The shape `PreferenceStore.import_batch` reads (as produced by formats.read_source)."""

    rows: list
    source: str = "test.jsonl"
    format: str = "explicit"
    extra: dict = field(default_factory=dict)


def candidates(n: int, start: int = 0) -> Batch:
    return Batch(
        [{"prompt": f"question {i}?", "response_a": f"answer one to {i}", "response_b": f"answer two to {i}",
          "category": "even" if i % 2 == 0 else "odd"} for i in range(start, start + n)],
        format="candidates",
    )


def labeled(n: int, start: int = 0) -> Batch:
    return Batch([{"prompt": f"task {i}", "chosen": f"good {i}", "rejected": f"bad {i}"} for i in range(start, start + n)])
