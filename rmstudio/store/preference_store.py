"""The preference store: every pair and every label, in one SQLite file (WAL) under the home directory.

It is the single source of truth. Several processes may use the same file at once (the web app, a CLI
import, training snapshots): writes take SQLite's write lock, a label is on disk when `record_label`
returns, and an import is one transaction, so a failing file stores nothing.

`PreferenceStore` is one class assembled from one part per concern: `base` (the file, its connections, the
home's settings), `pairs` (adding and reading pairs), `labeling` (leases and labels) and `assistant_margins`
(an assistant checkpoint's view of each pair); read-only queries live in `queries`, dumps in `backup`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import rmstudio.store.queries as queries
from rmstudio.data.messages import one_type_per_column
from rmstudio.store.assistant_margins import AssistantMarginsMixin
from rmstudio.store.backup import dump, restore
from rmstudio.store.labeling import LabelingMixin
from rmstudio.store.pairs import PairsMixin


class PreferenceStore(PairsMixin, LabelingMixin, AssistantMarginsMixin):
    """Pairs, labels and leases in `<home>/store.sqlite`. Safe to share across threads and processes."""

    def stats(self) -> dict:
        return queries.compute_stats(self._db, overlap=self.overlap)

    def progress(self, annotator: str | None = None) -> dict:
        """Cheap counts for a labeling progress line (pairs, remaining, labeled today by `annotator`).

        Milliseconds even with 100k pairs, unlike `stats()`, so the Label tab can show it after every click.
        """
        return queries.label_progress(self._db, annotator, overlap=self.overlap)

    def categories(self) -> list[str]:
        """The distinct categories of stored pairs (for filters), sorted; pairs without one are left out."""
        return queries.categories(self._db)

    def length_histogram(self, bins: int = 20) -> list[dict]:
        """Response lengths in characters, binned: [{"start", "end", "count"}] (for the Data tab's stats)."""
        return queries.length_histogram(self._db, bins=bins)

    def list_pairs(self, *, offset: int = 0, limit: int = 50, search: str | None = None,
                   category: str | None = None, status: str | None = None,
                   without_category: bool = False) -> tuple[list[dict], int]:
        return queries.list_pairs(self._db, offset=offset, limit=limit, search=search, category=category,
                                  status=status, without_category=without_category)

    def to_dataset(self):
        """The training set TRL's RewardTrainer accepts: prompt, chosen, rejected (+ category, margin, id, pair_id).

        A pair becomes a training pair when its labels have a majority for "a" or "b"; ties, both-bad,
        skips and disagreements never do.
        """
        import datasets

        rows = one_type_per_column(queries.training_rows(self._db))
        names = ["prompt", "chosen", "rejected", "category", "margin", "id", "pair_id"]
        features = None
        if not rows:
            features = datasets.Features({n: datasets.Value("float64" if n == "margin" else "int64" if n == "pair_id"
                                                           else "string") for n in names})
        return datasets.Dataset.from_dict({n: [row[n] for row in rows] for n in names}, features=features)

    def dump_records(self) -> Iterator[dict]:
        """Every pair with its current labels, as portable records (`backup`: Hub sync, restores)."""
        return dump(self._db)

    def restore_records(self, records: Iterable[dict]) -> dict:
        """Add dumped pairs and their labels in one transaction; pairs already present are skipped."""
        with self._write() as db:
            return restore(db, records)
