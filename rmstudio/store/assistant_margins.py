"""An assistant checkpoint's margins per pair: reward(response_a) - reward(response_b), kept per checkpoint.

`labeling.assist` decides what to score and when; the store keeps the margins, which the
"uncertainty" serving order of `next_pair` reads (smallest |margin| first).
"""

from __future__ import annotations

import time

from rmstudio.store.base import StoreBase
from rmstudio.store.queries import still_to_label
from rmstudio.store.schema import IMPORT_ANNOTATOR


class AssistantMarginsMixin(StoreBase):
    """Storing and reading the margins an assistant checkpoint gave the pairs."""

    def save_assistant_margins(self, checkpoint: str, margins: dict[int, float]) -> None:
        """Store the checkpoint's margin of each pair id, replacing earlier margins of the same checkpoint."""
        now = time.time()
        with self._write() as db:
            db.executemany(
                "INSERT OR REPLACE INTO assistant_scores(pair_id, checkpoint, margin, abs_margin, scored_at)"
                " VALUES (?,?,?,?,?)",
                [(pair_id, checkpoint, margin, abs(margin), now) for pair_id, margin in margins.items()],
            )

    def pairs_without_assistant_margin(self, checkpoint: str, limit: int) -> list[int]:
        """Up to `limit` ids of pairs still to label that the checkpoint has no margin for, in serving order."""
        rows = self._db.execute(
            f"SELECT id FROM pairs p WHERE {still_to_label(self.overlap)} AND NOT EXISTS"
            " (SELECT 1 FROM assistant_scores a WHERE a.pair_id = p.id AND a.checkpoint = ?) ORDER BY rank LIMIT ?",
            (checkpoint, limit),
        )
        return [r[0] for r in rows]

    def assistant_margin(self, pair_id: int, checkpoint: str) -> float | None:
        """The checkpoint's margin of the pair, or None when it has not scored it."""
        row = self._db.execute("SELECT margin FROM assistant_scores WHERE pair_id = ? AND checkpoint = ?",
                               (pair_id, checkpoint)).fetchone()
        return None if row is None else row[0]

    def assistant_agreement_counts(self, checkpoint: str) -> tuple[int, int]:
        """(annotators' current a/b labels of pairs the checkpoint scored, how many of them it agrees with)."""
        labels, agree = self._db.execute(
            "SELECT COUNT(*), SUM((l.choice = 'a') = (a.margin >= 0)) FROM labels l"
            " JOIN assistant_scores a ON a.pair_id = l.pair_id AND a.checkpoint = ?"
            " WHERE l.undone_at IS NULL AND l.choice IN ('a', 'b') AND l.annotator != ?",
            (checkpoint, IMPORT_ANNOTATOR),
        ).fetchone()
        return labels, agree or 0
