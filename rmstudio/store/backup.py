"""A whole store as portable records (pairs with every label), and back: for Hub sync and restores.

Unlike `PreferenceStore.to_dataset()` (the training view), a dump keeps unlabeled pairs, every
annotator's label, undone labels left out, and the left/right order each label was given in.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from rmstudio.store.preference_store import PreferenceStore
from rmstudio.store.schema import content_hash, decode_text, encode_text


def dump_records(store: PreferenceStore) -> Iterator[dict]:
    db = store._db
    labels: dict[int, list[dict]] = {}
    for row in db.execute("SELECT pair_id, choice, annotator, shown_left, created_at FROM labels"
                          " WHERE undone_at IS NULL ORDER BY id"):
        labels.setdefault(row["pair_id"], []).append(
            {k: row[k] for k in ("choice", "annotator", "shown_left", "created_at")})
    for row in db.execute("SELECT * FROM pairs ORDER BY id"):
        chat = bool(row["is_chat"])
        yield {
            "prompt": decode_text(row["prompt"], chat), "response_a": decode_text(row["response_a"], chat),
            "response_b": decode_text(row["response_b"], chat), "category": row["category"],
            "source": row["source"], "margin": row["margin"], "id": row["external_id"],
            "swap": row["swap"], "imported": row["imported"], "created_at": row["created_at"],
            "labels": labels.get(row["id"], []),
        }


def write_dump(store: PreferenceStore, path: Path) -> int:
    """Write the dump as JSON lines atomically (a reader never sees half a file); returns the pair count."""
    tmp = path.with_suffix(".tmp")
    count = 0
    with tmp.open("w", encoding="utf-8") as f:
        for record in dump_records(store):
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    tmp.replace(path)
    return count


def restore_records(store: PreferenceStore, records: Iterable[dict]) -> dict:
    """Add dumped pairs and their labels in one transaction; pairs already present are skipped."""
    restored = skipped = labels = 0
    with store._write() as db:
        for r in records:
            prompt, a, b = r["prompt"], r["response_a"], r["response_b"]
            chat = any(isinstance(x, list) for x in (prompt, a, b))
            cursor = db.execute(
                "INSERT OR IGNORE INTO pairs(prompt, response_a, response_b, is_chat, category, source, margin,"
                " external_id, content_hash, swap, rank, n_labels, imported, created_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,abs(random()) / 9.3e18,?,?,?)",
                (encode_text(prompt, chat), encode_text(a, chat), encode_text(b, chat), int(chat), r.get("category"),
                 r.get("source"), r.get("margin"), r.get("id"), content_hash(prompt, a, b), int(r.get("swap", 0)),
                 sum(lab["choice"] != "skip" for lab in r["labels"]), int(r.get("imported", 0)), r["created_at"]),
            )
            if cursor.rowcount == 0:
                skipped += 1
                continue
            restored += 1
            db.executemany(
                "INSERT INTO labels(pair_id, choice, annotator, shown_left, created_at) VALUES (?,?,?,?,?)",
                [(cursor.lastrowid, lab["choice"], lab["annotator"], lab["shown_left"], lab["created_at"])
                 for lab in r["labels"]],
            )
            labels += len(r["labels"])
    return {"restored_pairs": restored, "restored_labels": labels, "skipped_pairs": skipped}


def read_dump(path: Path) -> Iterator[dict]:
    with Path(path).open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)
