"""Read-only queries over the store: statistics, the paged pair browser, labels, and the training set.

How labels are counted — one definition, used by the Label tab's progress line, the Data tab's statistics
and `python -m rmstudio stats` alike:

- a **label** is a current (not undone) judgement of a pair: "a", "b", "tie" or "both_bad" (an imported
  labeled pair carries one, by the reserved annotator "import");
- a **skip** is recorded but is not a label: the pair stays to label for the others (it still counts in
  "left to label"), and `next_pair` does not offer it again to the annotator who skipped it;
- a pair is **labeled** when it has at least one label (or came labeled with an import);
- **left to label**: pairs not imported with fewer labels than the home's overlap (skips do not count);
- **today**: labels (and, separately, skips) people gave since the start of the UTC day;
- **usable for training**: labeled pairs whose labels have a majority for "a" or "b". Ties and both-bad are
  labels, but they resolve nothing for training: such pairs (and disagreements) are counted as excluded.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator

from rmstudio.store.schema import IMPORT_ANNOTATOR, decode_text

JUDGEMENT = "choice != 'skip'"
"""The SQL condition on `labels` of a label that counts (a judgement, not a skip)."""

_VOTES = f"""
SELECT p.id, p.prompt, p.response_a, p.response_b, p.is_chat, p.category, p.margin, p.external_id,
       SUM(l.choice = 'a') AS votes_a, SUM(l.choice = 'b') AS votes_b, COUNT(*) AS votes
FROM pairs p JOIN labels l ON l.pair_id = p.id AND l.undone_at IS NULL AND l.{JUDGEMENT}
GROUP BY p.id ORDER BY p.id
"""


def resolve(votes_a: int, votes_b: int, votes: int) -> str | None:
    """The majority judgement of a pair: "a" or "b" with more than half of the votes, else None."""
    if votes_a * 2 > votes:
        return "a"
    if votes_b * 2 > votes:
        return "b"
    return None


def training_rows(db: sqlite3.Connection) -> list[dict]:
    rows = []
    for r in db.execute(_VOTES):
        winner = resolve(r["votes_a"], r["votes_b"], r["votes"])
        if winner is None:
            continue
        chat = bool(r["is_chat"])
        a, b = decode_text(r["response_a"], chat), decode_text(r["response_b"], chat)
        chosen, rejected = (a, b) if winner == "a" else (b, a)
        rows.append({
            "prompt": decode_text(r["prompt"], chat), "chosen": chosen, "rejected": rejected,
            "category": r["category"], "margin": r["margin"], "id": r["external_id"], "pair_id": r["id"],
        })
    return rows


def resolution_counts(db: sqlite3.Connection) -> dict:
    """How labeled pairs resolve for training: a clear winner, or excluded (tie/both bad/disagreement)."""
    counts = {"training_pairs": 0, "excluded_pairs": 0}
    for r in db.execute(_VOTES):
        counts["training_pairs" if resolve(r["votes_a"], r["votes_b"], r["votes"]) else "excluded_pairs"] += 1
    return counts


def compute_stats(db: sqlite3.Connection, *, overlap: int = 1) -> dict:
    """Counts of pairs and labels as the module docstring defines them, by choice, annotator and category."""
    one = lambda sql, *args: db.execute(sql, args).fetchone()[0]  # noqa: E731
    by_choice = {r[0]: r[1] for r in db.execute(
        "SELECT choice, COUNT(*) FROM labels WHERE undone_at IS NULL GROUP BY choice ORDER BY choice")}
    skips = by_choice.pop("skip", 0)
    annotators = {}
    for r in db.execute(
        f"SELECT annotator, SUM({JUDGEMENT}) AS labels, SUM(choice = 'skip') AS skips,"
        " SUM(choice = shown_left) AS left_picks, SUM(choice IN ('a', 'b')) AS decisive"
        " FROM labels WHERE undone_at IS NULL GROUP BY annotator ORDER BY annotator"
    ):
        decisive = r["decisive"] or 0
        annotators[r["annotator"]] = {
            "labels": r["labels"], "skips": r["skips"],
            "left_share": round(r["left_picks"] / decisive, 4) if decisive and r["left_picks"] is not None else None,
        }
    by_category = {(r[0] or "(none)"): r[1] for r in db.execute(
        "SELECT category, COUNT(*) FROM pairs GROUP BY category ORDER BY COUNT(*) DESC")}
    return {
        "pairs": one("SELECT COUNT(*) FROM pairs"),
        "labeled_pairs": one("SELECT COUNT(*) FROM pairs WHERE imported = 1 OR n_labels > 0"),
        "remaining": one(f"SELECT COUNT(*) FROM pairs p WHERE {still_to_label(overlap)}"),
        "labels": sum(by_choice.values()),
        "skips": skips,
        **todays_labels(db),
        "labels_by_choice": by_choice,
        "annotators": annotators,
        "pairs_by_category": by_category,
        **resolution_counts(db),
    }


def todays_labels(db: sqlite3.Connection, annotator: str | None = None) -> dict:
    """Labels and skips given today (UTC day) by `annotator`, or by every person when None (imports left out)."""
    who, args = ("annotator = ?", annotator) if annotator else ("annotator != ?", IMPORT_ANNOTATOR)
    row = db.execute(f"SELECT SUM({JUDGEMENT}), SUM(choice = 'skip') FROM labels"
                     f" WHERE undone_at IS NULL AND {who} AND created_at >= ?", (args, day_start())).fetchone()
    return {"labeled_today": row[0] or 0, "skipped_today": row[1] or 0}


def day_start() -> float:
    """When today began (UTC), as a timestamp: the start of the "labeled today" counts."""
    now = time.time()
    return now - now % 86400


def label_progress(db: sqlite3.Connection, annotator: str | None, *, overlap: int = 1) -> dict:
    """Pairs in the store, pairs left to label, and the labels and skips `annotator` gave today (UTC day)."""
    one = lambda sql, *args: db.execute(sql, args).fetchone()[0]  # noqa: E731
    return {
        "pairs": one("SELECT COUNT(*) FROM pairs"),
        "remaining": one(f"SELECT COUNT(*) FROM pairs p WHERE {still_to_label(overlap)}"),
        **(todays_labels(db, annotator) if annotator else {"labeled_today": 0, "skipped_today": 0}),
    }


def still_to_label(overlap: int) -> str:
    """The SQL condition on `pairs p` of a pair still to label: not imported, fewer counted labels than `overlap`.

    `n_labels IN (0, 1, ...)` makes lookups in the serving index (imported, n_labels, rank) exact, so with
    overlap 1 the pairs come in rank order without a sort, unlike `n_labels < overlap`.
    """
    counts = ",".join(str(n) for n in range(max(1, int(overlap))))
    return f"p.imported = 0 AND p.n_labels IN ({counts})"


def current_labels(db: sqlite3.Connection) -> Iterator[dict]:
    """Every label not undone, with its pair id, oldest first."""
    for row in db.execute("SELECT pair_id, choice, annotator, shown_left, created_at FROM labels"
                          " WHERE undone_at IS NULL ORDER BY id"):
        yield dict(row)


def categories(db: sqlite3.Connection) -> list[str]:
    """The distinct categories of stored pairs, sorted; pairs without one are left out."""
    return [r[0] for r in db.execute("SELECT DISTINCT category FROM pairs WHERE category IS NOT NULL ORDER BY category")]


def length_histogram(db: sqlite3.Connection, *, bins: int = 20) -> list[dict]:
    """Response lengths (characters) of every pair, in `bins` equal-width bins from 0 to the longest."""
    lengths = [n for row in db.execute("SELECT length(response_a), length(response_b) FROM pairs") for n in row]
    if not lengths:
        return []
    width = max(1, -(-max(lengths) // bins))
    counts = [0] * bins
    for n in lengths:
        counts[min(n // width, bins - 1)] += 1
    return [{"start": i * width, "end": (i + 1) * width, "count": c} for i, c in enumerate(counts)]


def list_pairs(db: sqlite3.Connection, *, offset: int = 0, limit: int = 50, search: str | None = None,
               category: str | None = None, status: str | None = None,
               without_category: bool = False) -> tuple[list[dict], int]:
    """One page of pairs with their current labels, newest first, and the number of matching pairs.
    `without_category`: only the pairs that have no category (most imported data has none)."""
    where, args = ["1=1"], []
    if without_category:
        where.append("(p.category IS NULL OR p.category = '')")
    if search:
        where.append("(p.prompt LIKE ? OR p.response_a LIKE ? OR p.response_b LIKE ?)")
        args += [f"%{search}%"] * 3
    if category:
        where.append("p.category = ?")
        args.append(category)
    if status == "labeled":
        where.append("(p.imported = 1 OR p.n_labels > 0)")
    elif status == "unlabeled":
        where.append("p.imported = 0 AND p.n_labels = 0")
    clause = " AND ".join(where)
    total = db.execute(f"SELECT COUNT(*) FROM pairs p WHERE {clause}", args).fetchone()[0]
    rows = db.execute(
        f"SELECT p.id, p.prompt, p.response_a, p.response_b, p.is_chat, p.category, p.source, p.created_at,"
        f" (SELECT GROUP_CONCAT(l.annotator || ':' || l.choice, ', ') FROM labels l"
        f"  WHERE l.pair_id = p.id AND l.undone_at IS NULL) AS labels"
        f" FROM pairs p WHERE {clause} ORDER BY p.id DESC LIMIT ? OFFSET ?",
        [*args, int(limit), int(offset)],
    )
    page = []
    for r in rows:
        chat = bool(r["is_chat"])
        page.append({
            "id": r["id"], "prompt": decode_text(r["prompt"], chat), "response_a": decode_text(r["response_a"], chat),
            "response_b": decode_text(r["response_b"], chat), "category": r["category"], "source": r["source"],
            "labels": r["labels"] or "", "created_at": r["created_at"],
        })
    return page, total
