"""A whole store as portable records (pairs with every label), and back: for Hub sync and restores.

Unlike `PreferenceStore.to_dataset()` (the training view), a dump keeps unlabeled pairs, every
annotator's label, undone labels left out, and the left/right order each label was given in.
`PreferenceStore.dump_records()` and `restore_records()` are the entry points; the files are JSON lines.
"""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path

from rmstudio.store.pairs import PAIR_COLUMNS, insert_pairs, pair_record
from rmstudio.store.queries import current_labels
from rmstudio.store.schema import decode_text

_HASH = PAIR_COLUMNS.index("content_hash")
_LABEL_FIELDS = ("choice", "annotator", "shown_left", "created_at")


def dump(db: sqlite3.Connection) -> Iterator[dict]:
    """Every pair, oldest first, with its current labels."""
    labels: dict[int, list[dict]] = {}
    for label in current_labels(db):
        labels.setdefault(label["pair_id"], []).append({k: label[k] for k in _LABEL_FIELDS})
    for row in db.execute("SELECT * FROM pairs ORDER BY id"):
        chat = bool(row["is_chat"])
        yield {
            "prompt": decode_text(row["prompt"], chat), "response_a": decode_text(row["response_a"], chat),
            "response_b": decode_text(row["response_b"], chat), "category": row["category"],
            "source": row["source"], "margin": row["margin"], "id": row["external_id"],
            "swap": row["swap"], "imported": row["imported"], "created_at": row["created_at"],
            "labels": labels.get(row["id"], []),
        }


def restore(db: sqlite3.Connection, records: Iterable[dict]) -> dict:
    """Add dumped pairs and their labels (inside the caller's write transaction); pairs already present are skipped."""
    records = list(records)
    rng = random.Random()
    pairs = [_restored_pair(r, rng) for r in records]
    before = insert_pairs(db, pairs)
    new_ids = {r["content_hash"]: r["id"] for r in db.execute("SELECT id, content_hash FROM pairs WHERE id > ?",
                                                               (before,))}
    labels, restored = [], 0
    for record, pair in zip(records, pairs, strict=True):
        pair_id = new_ids.pop(pair[_HASH], None)  # None: stored before, or twice in the dump (first copy kept)
        if pair_id is None:
            continue
        restored += 1
        labels += [(pair_id, *(label[k] for k in _LABEL_FIELDS)) for label in record["labels"]]
    db.executemany("INSERT INTO labels(pair_id, choice, annotator, shown_left, created_at) VALUES (?,?,?,?,?)",
                   labels)
    return {"restored_pairs": restored, "restored_labels": len(labels), "skipped_pairs": len(records) - restored}


def _restored_pair(record: dict, rng: random.Random) -> tuple:
    """A dumped pair as a pair record: its left/right order and import state as dumped, a fresh serving rank."""
    return pair_record(
        record["prompt"], record["response_a"], record["response_b"], swap=int(record.get("swap", 0)),
        rank=rng.random(), n_labels=sum(lab["choice"] != "skip" for lab in record["labels"]),
        imported=int(record.get("imported", 0)), created_at=record["created_at"], category=record.get("category"),
        source=record.get("source"), margin=record.get("margin"), external_id=record.get("id"),
    )


def write_dump(records: Iterable[dict], path: Path) -> int:
    """Write dump records as JSON lines atomically (a reader never sees half a file); returns the pair count."""
    tmp = path.with_suffix(".tmp")
    count = 0
    with tmp.open("w", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    tmp.replace(path)
    return count


def read_dump(path: Path) -> Iterator[dict]:
    with Path(path).open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)
