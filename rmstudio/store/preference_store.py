"""The preference store: every pair and every label, in one SQLite file (WAL) under the home directory.

It is the single source of truth. Several processes may use the same file at once (the web app, a CLI
import, training snapshots): writes take SQLite's write lock, a label is on disk when `record_label`
returns, and an import is one transaction, so a failing file stores nothing.
"""

from __future__ import annotations

import random
import sqlite3
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rmstudio.errors import BadInput
from rmstudio.settings import resolve_home
from rmstudio.store.schema import SCHEMA, content_hash, decode_text, encode_text

CHOICES = ("a", "b", "tie", "both_bad", "skip")
IMPORT_ANNOTATOR = "import"
DEFAULT_LEASE_SECONDS = 300.0
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


class PreferenceStore:
    """Pairs, labels and leases in `<home>/store.sqlite`. Safe to share across threads and processes."""

    def __init__(self, home: str | Path | None = None, *, overlap: int | None = None):
        """`overlap`: how many distinct annotators label each pair (default: the home's setting, else 1)."""
        self.home = resolve_home(home)
        self.path = self.home / "store.sqlite"
        self._local = threading.local()
        self._db.executescript(f"BEGIN IMMEDIATE; {SCHEMA} COMMIT;")
        self._overlap = overlap

    @property
    def overlap(self) -> int:
        if self._overlap is not None:
            return max(1, int(self._overlap))
        row = self._db.execute("SELECT value FROM meta WHERE key = 'overlap'").fetchone()
        return int(row[0]) if row else 1

    def set_overlap(self, overlap: int) -> None:
        """Store the home's overlap setting (every process using the home follows it)."""
        if not isinstance(overlap, int) or not 1 <= overlap <= 20:
            raise BadInput(f"overlap must be a whole number from 1 to 20, got {overlap!r}", field="overlap")
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('overlap', ?)", (str(overlap),))
        self._overlap = None

    # -- connections -------------------------------------------------------------------------------
    @property
    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")  # a label is durable when record_label returns
            db.execute("PRAGMA foreign_keys=ON")
            db.execute("PRAGMA busy_timeout=60000")
            self._local.db = db
        return db

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taking the write lock up front so concurrent writers queue, not fail."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    # -- adding pairs ------------------------------------------------------------------------------
    def import_batch(self, batch, *, progress: bool = False) -> dict:
        """Store a normalized `formats.ImportBatch` in one transaction; duplicates are counted, not stored."""
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
        }

    def add_candidates(self, rows: Iterable[dict], *, source: str = "<rows>") -> list[int]:
        """Add rows in any import schema; returns the ids of the pairs that were new."""
        from rmstudio.data.formats import normalize_records

        batch = normalize_records(list(rows), source=source)
        before = self._max_pair_id()
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

    def _max_pair_id(self) -> int:
        return self._db.execute("SELECT COALESCE(MAX(id), 0) FROM pairs").fetchone()[0]

    def _insert_rows(self, rows: list[dict], *, source: str, progress: bool = False) -> tuple[int, int]:
        now = time.time()
        rng = random.Random()
        records = [_pair_record(row, source, now, rng) for row in rows]
        bar = _progress_bar(len(records), "storing", enabled=progress)
        with self._write() as db:
            before = db.execute("SELECT COALESCE(MAX(id), 0) FROM pairs").fetchone()[0]
            for start in range(0, len(records), _INSERT_CHUNK):
                chunk = records[start : start + _INSERT_CHUNK]
                db.executemany(
                    "INSERT OR IGNORE INTO pairs(prompt, response_a, response_b, is_chat, category, source, margin,"
                    " external_id, content_hash, swap, rank, n_labels, imported, created_at)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    chunk,
                )
                bar.update(len(chunk))
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

    # -- labeling ----------------------------------------------------------------------------------
    def next_pair(self, annotator: str, *, lease_seconds: float = DEFAULT_LEASE_SECONDS,
                  order: str | None = None) -> Pair | None:
        """Lease a pair this annotator has not labeled yet, or None when nothing is left.

        A pair is served to at most `overlap` annotators in all (labels plus live leases), never twice to
        the same one. A pair the annotator already holds (a page reload, an undo) comes back first; a lease
        that is not labeled in time expires and the pair returns to the pool. `order`: "random" (default)
        or "uncertainty" — the pairs the assistant checkpoint is least sure about first (the home's
        `serving_order` setting when not given; pairs not scored yet follow in random order).
        """
        annotator = _check_annotator(annotator)
        now = time.time()
        with self._write() as db:
            row = db.execute(
                "SELECT pair_id AS id FROM leases WHERE annotator = ? AND until >= ? ORDER BY until DESC LIMIT 1",
                (annotator, now),
            ).fetchone()
            overlap = self.overlap
            open_pair = (
                f"p.imported = 0 AND p.n_labels IN ({_open_counts(overlap)})"
                " AND p.n_labels + (SELECT COUNT(*) FROM leases s WHERE s.pair_id = p.id AND s.until >= :now) < :overlap"
                " AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.pair_id = p.id AND l.annotator = :annotator"
                " AND l.undone_at IS NULL)"
            )
            args = {"now": now, "overlap": overlap, "annotator": annotator}
            settings = self.settings()
            if row is None and (order or settings.get("serving_order")) == "uncertainty":
                row = db.execute(
                    "SELECT p.id FROM assistant_scores a JOIN pairs p ON p.id = a.pair_id"
                    f" WHERE a.checkpoint = :checkpoint AND {open_pair} ORDER BY a.abs_margin LIMIT 1",
                    {**args, "checkpoint": settings.get("assistant_checkpoint", "")},
                ).fetchone()
            if row is None:
                row = db.execute(f"SELECT id FROM pairs p WHERE {open_pair} ORDER BY rank LIMIT 1", args).fetchone()
            if row is None:
                return None
            self._lease(db, row["id"], annotator, now + lease_seconds)
        return self.get_pair(row["id"])

    def settings(self) -> dict:
        """The home's labeling settings (overlap, serving_order, assistant_checkpoint, ...) as strings."""
        return {r[0]: r[1] for r in self._db.execute("SELECT key, value FROM meta")}

    def set_setting(self, key: str, value: str | None) -> None:
        with self._write() as db:
            if value is None:
                db.execute("DELETE FROM meta WHERE key = ?", (key,))
            else:
                db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, str(value)))

    @staticmethod
    def _lease(db: sqlite3.Connection, pair_id: int, annotator: str, until: float) -> None:
        db.execute("DELETE FROM leases WHERE annotator = ?", (annotator,))  # one pair on screen per annotator
        db.execute("INSERT INTO leases(pair_id, annotator, until) VALUES (?,?,?)", (pair_id, annotator, until))

    def release(self, pair_id: int, annotator: str) -> None:
        """Give a leased pair back to the pool (the annotator left)."""
        with self._write() as db:
            db.execute("DELETE FROM leases WHERE pair_id = ? AND annotator = ?", (pair_id, annotator))

    def record_label(self, pair_id: int, choice: str, annotator: str) -> int:
        """Record a judgement ("a"/"b" name response_a/response_b). Durable when it returns; returns the label id.

        Labeling the same pair twice replaces the annotator's earlier label instead of counting twice.
        """
        annotator = _check_annotator(annotator)
        if choice not in CHOICES:
            raise BadInput(f"choice must be one of {', '.join(CHOICES)}, got {choice!r}", field="choice")
        now = time.time()
        with self._write() as db:
            pair = db.execute("SELECT swap FROM pairs WHERE id = ?", (pair_id,)).fetchone()
            if pair is None:
                raise BadInput(f"pair {pair_id} does not exist (deleted?)", field="pair_id")
            self._retract(db, pair_id, annotator, now)
            cursor = db.execute(
                "INSERT INTO labels(pair_id, choice, annotator, shown_left, created_at) VALUES (?,?,?,?,?)",
                (pair_id, choice, annotator, "b" if pair["swap"] else "a", now),
            )
            db.execute("UPDATE pairs SET n_labels = n_labels + ? WHERE id = ?", (0 if choice == "skip" else 1, pair_id))
            db.execute("DELETE FROM leases WHERE pair_id = ? AND annotator = ?", (pair_id, annotator))
        return cursor.lastrowid

    def undo_last(self, annotator: str, *, lease_seconds: float = DEFAULT_LEASE_SECONDS) -> int | None:
        """Retract the annotator's latest label; the pair is leased back to them. Returns its id, or None."""
        annotator = _check_annotator(annotator)
        now = time.time()
        with self._write() as db:
            row = db.execute(
                "SELECT pair_id FROM labels WHERE annotator = ? AND undone_at IS NULL ORDER BY id DESC LIMIT 1",
                (annotator,),
            ).fetchone()
            if row is None:
                return None
            self._retract(db, row["pair_id"], annotator, now)
            self._lease(db, row["pair_id"], annotator, now + lease_seconds)
        return row["pair_id"]

    @staticmethod
    def _retract(db: sqlite3.Connection, pair_id: int, annotator: str, now: float) -> None:
        counted = db.execute(
            "SELECT COUNT(*) FROM labels WHERE pair_id = ? AND annotator = ? AND undone_at IS NULL AND choice != 'skip'",
            (pair_id, annotator),
        ).fetchone()[0]
        db.execute("UPDATE labels SET undone_at = ? WHERE pair_id = ? AND annotator = ? AND undone_at IS NULL",
                   (now, pair_id, annotator))
        if counted:
            db.execute("UPDATE pairs SET n_labels = MAX(0, n_labels - ?) WHERE id = ?", (counted, pair_id))

    def relabel(self, pair_id: int, choice: str, annotator: str) -> int:
        """Replace every current label of a pair by one new judgement (an admin's correction)."""
        now = time.time()
        with self._write() as db:
            db.execute("UPDATE labels SET undone_at = ? WHERE pair_id = ? AND undone_at IS NULL", (now, pair_id))
            db.execute("UPDATE pairs SET n_labels = 0, imported = 0 WHERE id = ?", (pair_id,))
        return self.record_label(pair_id, choice, annotator)

    def delete_pair(self, pair_id: int) -> bool:
        with self._write() as db:
            return db.execute("DELETE FROM pairs WHERE id = ?", (pair_id,)).rowcount > 0

    # -- reading -----------------------------------------------------------------------------------
    def get_pair(self, pair_id: int) -> Pair | None:
        row = self._db.execute("SELECT * FROM pairs WHERE id = ?", (pair_id,)).fetchone()
        return _to_pair(row) if row else None

    def count_pairs(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM pairs").fetchone()[0]

    def labels_of(self, pair_id: int) -> list[dict]:
        """Current (not undone) labels of a pair, oldest first."""
        rows = self._db.execute(
            "SELECT id, choice, annotator, shown_left, created_at FROM labels WHERE pair_id = ? AND undone_at IS NULL"
            " ORDER BY id",
            (pair_id,),
        )
        return [dict(r) for r in rows]

    def iter_labels(self) -> Iterator[dict]:
        """Every current label with its pair id, oldest first (for agreement statistics and exports)."""
        rows = self._db.execute(
            "SELECT pair_id, choice, annotator, shown_left, created_at FROM labels WHERE undone_at IS NULL ORDER BY id"
        )
        for row in rows:
            yield dict(row)

    def stats(self) -> dict:
        from rmstudio.store.queries import compute_stats

        return compute_stats(self._db, overlap=self.overlap)

    def progress(self, annotator: str | None = None) -> dict:
        """Cheap counts for a labeling progress line (pairs, remaining, labeled today by `annotator`).

        Milliseconds even with 100k pairs, unlike `stats()`, so the Label tab can show it after every click.
        """
        from rmstudio.store.queries import label_progress

        return label_progress(self._db, annotator, overlap=self.overlap)

    def categories(self) -> list[str]:
        """The distinct categories of stored pairs (for filters), sorted; pairs without one are left out."""
        return [r[0] for r in self._db.execute(
            "SELECT DISTINCT category FROM pairs WHERE category IS NOT NULL ORDER BY category")]

    def length_histogram(self, bins: int = 20) -> list[dict]:
        """Response lengths in characters, binned: [{"start", "end", "count"}] (for the Data tab's stats)."""
        from rmstudio.store.queries import length_histogram

        return length_histogram(self._db, bins=bins)

    def list_pairs(self, *, offset: int = 0, limit: int = 50, search: str | None = None,
                   category: str | None = None, status: str | None = None) -> tuple[list[dict], int]:
        from rmstudio.store.queries import list_pairs

        return list_pairs(self._db, offset=offset, limit=limit, search=search, category=category, status=status)

    def to_dataset(self):
        """The training set TRL's RewardTrainer accepts: prompt, chosen, rejected (+ category, margin, id, pair_id).

        A pair becomes a training pair when its labels have a majority for "a" or "b"; ties, both-bad,
        skips and disagreements never do.
        """
        from rmstudio.store.queries import training_rows

        return _rows_to_dataset(training_rows(self._db))


def _rows_to_dataset(rows: list[dict]):
    import datasets

    columns = ("prompt", "chosen", "rejected")
    chat = any(isinstance(row[c], list) for row in rows for c in columns)
    if chat:  # one column type per column: plain strings become single messages
        for row in rows:
            if not isinstance(row["prompt"], list):
                row["prompt"] = [{"role": "user", "content": row["prompt"]}] if row["prompt"] else []
            for c in ("chosen", "rejected"):
                if not isinstance(row[c], list):
                    row[c] = [{"role": "assistant", "content": row[c]}]
    names = [*columns, "category", "margin", "id", "pair_id"]
    features = None
    if not rows:
        features = datasets.Features({n: datasets.Value("float64" if n == "margin" else "int64" if n == "pair_id"
                                                       else "string") for n in names})
    return datasets.Dataset.from_dict({n: [row[n] for row in rows] for n in names}, features=features)


def _pair_record(row: dict, source: str, now: float, rng: random.Random) -> tuple:
    labeled = "chosen" in row
    a, b = (row["chosen"], row["rejected"]) if labeled else (row["response_a"], row["response_b"])
    prompt = row.get("prompt", "")
    is_chat = any(isinstance(x, list) for x in (prompt, a, b))
    margin = row.get("margin")
    return (
        encode_text(prompt, is_chat), encode_text(a, is_chat), encode_text(b, is_chat), int(is_chat),
        row.get("category"), row.get("source") or source, float(margin) if margin is not None else None,
        None if row.get("id") is None else str(row["id"]),
        content_hash(prompt, a, b), rng.randint(0, 1), rng.random(), 1 if labeled else 0, int(labeled), now,
    )


def _to_pair(row: sqlite3.Row) -> Pair:
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


def _open_counts(overlap: int) -> str:
    return ",".join(str(n) for n in range(overlap))


def _check_annotator(annotator: str) -> str:
    if not isinstance(annotator, str) or not annotator.strip():
        raise BadInput("an annotator name is required", field="annotator")
    if annotator.strip() == IMPORT_ANNOTATOR:
        raise BadInput(f"'{IMPORT_ANNOTATOR}' is reserved for imported labels", field="annotator")
    return annotator.strip()


class _NoBar:
    def update(self, n: int) -> None: ...
    def close(self) -> None: ...


def _progress_bar(total: int, desc: str, *, enabled: bool):
    if not enabled or total < 1000:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="pairs", file=sys.stderr)

