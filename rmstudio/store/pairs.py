"""Pairs in the store: adding them (imports, candidates, restores share one insertion path) and reading one back.

An import is one transaction, so a failing file stores nothing; a pair already stored (same prompt and
same two responses, in either order) is counted as a duplicate, not stored twice.
"""

from __future__ import annotations

import random
import sqlite3
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass

from rmstudio.store.base import StoreBase
from rmstudio.store.schema import IMPORT_ANNOTATOR, content_hash, decode_text, encode_text

PAIR_COLUMNS = ("prompt", "response_a", "response_b", "is_chat", "category", "source", "margin", "external_id",
                "content_hash", "swap", "rank", "n_labels", "imported", "created_at")
"""The order of the values in a pair record (see `pair_record`)."""
_INSERT_PAIR = (f"INSERT OR IGNORE INTO pairs({', '.join(PAIR_COLUMNS)})"
                f" VALUES ({', '.join('?' * len(PAIR_COLUMNS))})")
_INSERT_CHUNK = 5000


@dataclass(frozen=True)
class Pair:
    """One pair as an annotator sees it. `left` says which response ("a" or "b") is shown on the left."""

    id: int
    prompt: str | list
    response_a: str | list
    response_b: str | list
    left: str
    category: str | None = None
    source: str | None = None
    margin: float | None = None
    external_id: str | None = None

    @property
    def left_text(self) -> str | list:
        return self.response_a if self.left == "a" else self.response_b

    @property
    def right_text(self) -> str | list:
        return self.response_b if self.left == "a" else self.response_a

    @property
    def right(self) -> str:
        return "b" if self.left == "a" else "a"


class PairsMixin(StoreBase):
    """Adding, counting, reading and deleting pairs."""

    def import_batch(self, batch, *, progress: bool = False) -> dict:
        """Store a normalized `formats.ImportBatch` in one transaction; duplicates are counted, not stored.

        The report also gives the batch's warnings and skipped rows (the first 100 of each and the totals)."""
        from rmstudio.data.issues import issues_report

        rows = list(batch.rows)
        labeled = sum(1 for row in rows if "chosen" in row)
        inserted, inserted_labeled = self._insert_rows(rows, source=batch.source, progress=progress)
        return {
            "imported": inserted,
            "duplicates": len(rows) - inserted,
            "format": batch.format,
            "labeled": inserted_labeled,
            "unlabeled": inserted - inserted_labeled,
            "rows": len(rows),
            "labeled_rows": labeled,
            **issues_report(list(getattr(batch, "warnings", ())), list(getattr(batch, "skipped", ()))),
        }

    def add_candidates(self, rows: Iterable[dict], *, source: str = "<rows>") -> list[int]:
        """Add rows in any import schema; returns the ids of the pairs that were new."""
        from rmstudio.data.formats import normalize_records

        batch = normalize_records(list(rows), source=source)
        before = _max_pair_id(self._db)
        self._insert_rows(batch.rows, source=source)
        return [r["id"] for r in self._db.execute("SELECT id FROM pairs WHERE id > ? ORDER BY id", (before,))]

    def seed_demo_if_fresh(self) -> int:
        """On the first start of a new home, add the demo candidate pairs so the Label tab has work."""
        from rmstudio.data.demo import candidate_pairs

        with self._write() as db:
            if db.execute("SELECT 1 FROM meta WHERE key = 'seeded'").fetchone():
                return 0
            db.execute("INSERT INTO meta(key, value) VALUES ('seeded', ?)", (str(time.time()),))
            if db.execute("SELECT 1 FROM pairs LIMIT 1").fetchone():
                return 0
        return len(self.add_candidates(candidate_pairs(), source="demo"))

    def _insert_rows(self, rows: list[dict], *, source: str, progress: bool = False) -> tuple[int, int]:
        """Store normalized rows, labeled ones with their import label; returns (new pairs, new labeled pairs)."""
        now = time.time()
        rng = random.Random()
        records = [_imported_record(row, source, now, rng) for row in rows]
        bar = _progress_bar(len(records), "storing", enabled=progress)
        with self._write() as db:
            before = insert_pairs(db, records, on_chunk=bar.update)
            db.execute(
                "INSERT INTO labels(pair_id, choice, annotator, created_at)"
                " SELECT id, 'a', ?, created_at FROM pairs WHERE id > ? AND imported = 1",
                (IMPORT_ANNOTATOR, before),
            )
            inserted, labeled = db.execute(
                "SELECT COUNT(*), COALESCE(SUM(imported), 0) FROM pairs WHERE id > ?", (before,)
            ).fetchone()
        bar.close()
        return inserted, labeled

    def get_pair(self, pair_id: int) -> Pair | None:
        return read_pair(self._db, pair_id)

    def count_pairs(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM pairs").fetchone()[0]

    def delete_pair(self, pair_id: int) -> bool:
        with self._write() as db:
            return db.execute("DELETE FROM pairs WHERE id = ?", (pair_id,)).rowcount > 0


def insert_pairs(db: sqlite3.Connection, records: list[tuple], *, on_chunk=lambda n: None) -> int:
    """Add pair records (`pair_record`), skipping pairs already stored; returns the largest pair id before them.

    Call it inside a write transaction: the new pairs are then exactly those with a larger id.
    `on_chunk(n)` is told after every chunk of n records (for a progress bar).
    """
    before = _max_pair_id(db)
    for start in range(0, len(records), _INSERT_CHUNK):
        chunk = records[start : start + _INSERT_CHUNK]
        db.executemany(_INSERT_PAIR, chunk)
        on_chunk(len(chunk))
    return before


def _max_pair_id(db: sqlite3.Connection) -> int:
    return db.execute("SELECT COALESCE(MAX(id), 0) FROM pairs").fetchone()[0]


def pair_record(prompt, response_a, response_b, *, swap: int, rank: float, n_labels: int, imported: int,
                created_at: float, category: str | None = None, source: str | None = None,
                margin: float | None = None, external_id: str | None = None) -> tuple:
    """One pair's column values in `PAIR_COLUMNS` order; a pair with messages anywhere is kept as chat."""
    is_chat = any(isinstance(x, list) for x in (prompt, response_a, response_b))
    return (
        encode_text(prompt, is_chat), encode_text(response_a, is_chat), encode_text(response_b, is_chat),
        int(is_chat), category, source, margin, external_id, content_hash(prompt, response_a, response_b),
        swap, rank, n_labels, imported, created_at,
    )


def _imported_record(row: dict, source: str, now: float, rng: random.Random) -> tuple:
    """A normalized row as a new pair: a labeled row stores chosen as response_a, with one import label."""
    labeled = "chosen" in row
    a, b = (row["chosen"], row["rejected"]) if labeled else (row["response_a"], row["response_b"])
    margin = row.get("margin")
    return pair_record(
        row.get("prompt", ""), a, b, swap=rng.randint(0, 1), rank=rng.random(), n_labels=int(labeled),
        imported=int(labeled), created_at=now, category=row.get("category"), source=row.get("source") or source,
        margin=None if margin is None else float(margin), external_id=None if row.get("id") is None else str(row["id"]),
    )


def read_pair(db: sqlite3.Connection, pair_id: int) -> Pair | None:
    row = db.execute("SELECT * FROM pairs WHERE id = ?", (pair_id,)).fetchone()
    if row is None:
        return None
    chat = bool(row["is_chat"])
    return Pair(
        id=row["id"],
        prompt=decode_text(row["prompt"], chat),
        response_a=decode_text(row["response_a"], chat),
        response_b=decode_text(row["response_b"], chat),
        left="b" if row["swap"] else "a",
        category=row["category"],
        source=row["source"],
        margin=row["margin"],
        external_id=row["external_id"],
    )


class _NoBar:
    def update(self, n: int) -> None: ...
    def close(self) -> None: ...


def _progress_bar(total: int, desc: str, *, enabled: bool):
    if not enabled or total < 1000:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="pairs", file=sys.stderr)
