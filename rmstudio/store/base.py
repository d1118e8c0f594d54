"""The store's file and connections, and the home's settings kept in it: what every part of the store shares.

Several processes may use the same file at once (the web app, a CLI import, training snapshots): each
thread has its own connection, and writes take SQLite's write lock up front, so concurrent writers queue
instead of failing.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rmstudio.errors import BadInput
from rmstudio.settings import resolve_home
from rmstudio.store.schema import SCHEMA


class StoreBase:
    """`<home>/store.sqlite`, opened per thread, and the home's settings (the `meta` table)."""

    def __init__(self, home: str | Path | None = None, *, overlap: int | None = None):
        """`overlap`: how many distinct annotators label each pair (default: the home's setting, else 1)."""
        self.home = resolve_home(home)
        self.path = self.home / "store.sqlite"
        self._local = threading.local()
        self._db.executescript(f"BEGIN IMMEDIATE; {SCHEMA} COMMIT;")
        self._overlap = overlap

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
        self.set_labeling_setting("overlap", str(overlap))
        self._overlap = None

    def labeling_settings(self) -> dict:
        """The home's labeling settings (overlap, serving_order, assistant_checkpoint, ...) as strings."""
        return {r[0]: r[1] for r in self._db.execute("SELECT key, value FROM meta")}

    def set_labeling_setting(self, key: str, value: str | None) -> None:
        """Store one labeling setting for every process using the home; None removes it."""
        with self._write() as db:
            if value is None:
                db.execute("DELETE FROM meta WHERE key = ?", (key,))
            else:
                db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, str(value)))
