"""Labeling: which pair an annotator sees next (leases), and their judgements (durable, undoable, correctable).

A label is on disk when `record_label` returns. Labels are append-only: an undo or a correction marks
the earlier label undone instead of deleting it.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator

from rmstudio.errors import BadInput
from rmstudio.store.base import StoreBase
from rmstudio.store.pairs import Pair, read_pair
from rmstudio.store.queries import JUDGEMENT, current_labels, still_to_label
from rmstudio.store.schema import IMPORT_ANNOTATOR

CHOICES = ("a", "b", "tie", "both_bad", "skip")
DEFAULT_LEASE_SECONDS = 300.0


class LabelingMixin(StoreBase):
    """Serving pairs to annotators and recording what they judged."""

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
                f"{still_to_label(overlap)}"
                " AND p.n_labels + (SELECT COUNT(*) FROM leases s WHERE s.pair_id = p.id AND s.until >= :now) < :overlap"
                " AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.pair_id = p.id AND l.annotator = :annotator"
                " AND l.undone_at IS NULL)"
            )
            args = {"now": now, "overlap": overlap, "annotator": annotator}
            settings = self.labeling_settings()
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
            _lease(db, row["id"], annotator, now + lease_seconds)
        return read_pair(self._db, row["id"])

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
            _retract(db, pair_id, annotator, now)
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
            _retract(db, row["pair_id"], annotator, now)
            _lease(db, row["pair_id"], annotator, now + lease_seconds)
        return row["pair_id"]

    def relabel(self, pair_id: int, choice: str, annotator: str) -> int:
        """Replace every current label of a pair by one new judgement (an admin's correction)."""
        now = time.time()
        with self._write() as db:
            db.execute("UPDATE labels SET undone_at = ? WHERE pair_id = ? AND undone_at IS NULL", (now, pair_id))
            db.execute("UPDATE pairs SET n_labels = 0, imported = 0 WHERE id = ?", (pair_id,))
        return self.record_label(pair_id, choice, annotator)

    def labels_of(self, pair_id: int) -> list[dict]:
        """Current (not undone) labels of a pair, oldest first."""
        rows = self._db.execute(
            "SELECT id, choice, annotator, shown_left, created_at FROM labels WHERE pair_id = ? AND undone_at IS NULL"
            " ORDER BY id",
            (pair_id,),
        )
        return [dict(r) for r in rows]

    def latest_label(self, annotator: str) -> dict | None:
        """The annotator's latest current label (the one `undo_last` would take back), or None."""
        row = self._db.execute(
            "SELECT id, pair_id, choice, annotator, shown_left, created_at FROM labels"
            " WHERE annotator = ? AND undone_at IS NULL ORDER BY id DESC LIMIT 1",
            (_check_annotator(annotator),),
        ).fetchone()
        return None if row is None else dict(row)

    def iter_labels(self) -> Iterator[dict]:
        """Every current label with its pair id, oldest first (for agreement statistics and exports)."""
        return current_labels(self._db)


def _lease(db: sqlite3.Connection, pair_id: int, annotator: str, until: float) -> None:
    db.execute("DELETE FROM leases WHERE annotator = ?", (annotator,))  # one pair on screen per annotator
    db.execute("INSERT INTO leases(pair_id, annotator, until) VALUES (?,?,?)", (pair_id, annotator, until))


def _retract(db: sqlite3.Connection, pair_id: int, annotator: str, now: float) -> None:
    """Mark the annotator's current labels of the pair undone, and stop counting them."""
    counted = db.execute(
        f"SELECT COUNT(*) FROM labels WHERE pair_id = ? AND annotator = ? AND undone_at IS NULL AND {JUDGEMENT}",
        (pair_id, annotator),
    ).fetchone()[0]
    db.execute("UPDATE labels SET undone_at = ? WHERE pair_id = ? AND annotator = ? AND undone_at IS NULL",
               (now, pair_id, annotator))
    if counted:
        db.execute("UPDATE pairs SET n_labels = MAX(0, n_labels - ?) WHERE id = ?", (counted, pair_id))


def _check_annotator(annotator: str) -> str:
    if not isinstance(annotator, str) or not annotator.strip():
        raise BadInput("an annotator name is required", field="annotator")
    if annotator.strip() == IMPORT_ANNOTATOR:
        raise BadInput(f"'{IMPORT_ANNOTATOR}' is reserved for imported labels", field="annotator")
    return annotator.strip()
