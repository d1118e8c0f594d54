"""What the Data tab shows, as plain functions over the store and formats (no Gradio here).

Each returns text (Markdown with user text escaped) or a pandas DataFrame; the tab only places them.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from rmstudio.errors import BadInput
from rmstudio.store import PreferenceStore
from rmstudio.ui.render import markdown_literal, plain_preview

TABLE_COLUMNS = ["id", "category", "prompt", "response A", "response B", "labels", "source"]
PREVIEW_ROWS = 5
EXPORT_SUFFIXES = {"JSONL": ".jsonl", "Parquet": ".parquet"}
STATUSES = ("all", "labeled", "unlabeled")
ALL_CATEGORIES = "(all)"
NO_CATEGORY = "(none)"  # the filter choice for pairs without a category


def read_import(source: str | None, *, split: str | None = None, fmt: str | None = None, skip_invalid: bool = False,
                name: str | None = None):
    """Read and validate a file path or Hub id (formats.read_source). By default an invalid row fails the whole
    source with a BadInput naming file, row and field; `skip_invalid` leaves such rows out (batch.skipped).
    `name`: what to call the source in messages and in the stored pairs' `source` (an upload's own file name)."""
    from rmstudio.data.formats import read_source

    path, split_name, schema = _source_args(source, split, fmt)
    return _under_name(path, name, lambda: read_source(path, split=split_name, fmt=schema,
                                                       on_invalid="skip" if skip_invalid else "error"))


def preview_import(source: str | None, *, split: str | None = None, fmt: str | None = None,
                   name: str | None = None) -> tuple:
    """(batch of the valid rows, counts) for the import preview (formats.preview_source): every row is read,
    so the preview can show how many are fine, have warnings or are invalid before anything is stored."""
    from rmstudio.data.formats import preview_source

    path, split_name, schema = _source_args(source, split, fmt)
    return _under_name(path, name, lambda: preview_source(path, split=split_name, fmt=schema))


def upload_name(source: str | None, upload_folder) -> str | None:
    """The uploaded file's own name when `source` is an upload (Gradio keeps it as <upload folder>/<hash>/<name>),
    so the page and the stored pairs never show the temporary path; None for anything else (a Hub id or a path
    someone typed is shown as typed)."""
    if not source or not upload_folder:
        return None
    path, folder = Path(str(source)).resolve(), Path(upload_folder).resolve()
    return path.name if folder in path.parents else None


def _under_name(path: str, name: str | None, read):
    """`read()` with the source called `name` instead of `path`: in the batch it returns (stored as the pairs'
    `source`) and in the BadInput it raises."""
    if not name or name == path:
        return read()
    try:
        result = read()
    except BadInput as exc:
        raise BadInput(exc.reason.replace(path, name), source=(exc.source or "").replace(path, name) or None,
                       row=exc.row, field=exc.field) from None
    batch = result[0] if isinstance(result, tuple) else result
    batch.source = name
    return result


def _source_args(source: str | None, split: str | None, fmt: str | None) -> tuple[str, str | None, str | None]:
    """The form's source, split and schema as read_source takes them (blank split: the default; "auto": detect)."""
    if not source or not str(source).strip():
        raise BadInput("upload a file or type a Hugging Face dataset id first", field="source")
    return str(source).strip(), (split or "").strip() or None, None if fmt in (None, "", "auto") else fmt


def preview_summary(batch, counts: dict | None = None) -> str:
    """The detected schema and counts (rows fine, warnings, invalid), before anything is stored.

    `counts` is `issues.preview_counts(batch)` (computed here when not given). User text (the file name) is
    escaped; the reasons themselves go to `issues_text`, shown in a text box."""
    from rmstudio.data.issues import preview_counts

    counts = counts if counts is not None else preview_counts(batch)
    text = (f"**{markdown_literal(Path(batch.source).name or batch.source)}**: detected schema "
            f"**{markdown_literal(batch.format)}** · **{len(batch.rows):,}** rows · {batch.labeled:,} labeled "
            f"(chosen/rejected) · {batch.unlabeled:,} unlabeled (to label).\n\n"
            f"**{counts['fine']:,}** rows fine · **{counts['warnings_total']:,}** "
            f"warning{'' if counts['warnings_total'] == 1 else 's'} (in {counts['with_warnings']:,} "
            f"row{'' if counts['with_warnings'] == 1 else 's'}, imported as they are) · "
            f"**{counts['invalid']:,}** invalid.")
    if counts["invalid"]:
        text += (f" The import refuses the file unless you tick **{skip_choice_label(counts)}**; "
                 "the first reasons are listed below.")
    return text + " Nothing is stored until you click **Import**."


def skip_choice_label(counts: dict) -> str:
    """The label of the choice that imports only the valid rows (shown when some are invalid)."""
    return f"Import the {counts['valid']:,} valid rows (skip the {counts['invalid']:,} invalid)"


def issues_text(counts: dict) -> str:
    """The first invalid rows and warnings as plain text lines ("row 4: ...") for a text box; "" when none."""
    parts = [_issue_list("Invalid rows", counts["invalid"], counts["first_invalid"]),
             _issue_list("Warnings", counts["warnings_total"], counts["first_warnings"])]
    return "\n\n".join(part for part in parts if part)


def _issue_list(title: str, total: int, first: list[str]) -> str:
    """'Title (total; the first n):' and one indented line per issue, or "" when there is none."""
    if not first:
        return ""
    count = f"{total:,}" if total == len(first) else f"{total:,}; the first {len(first)}"
    return f"{title} ({count}):\n" + "\n".join(f"  {line}" for line in first)


def preview_frame(batch, limit: int = PREVIEW_ROWS) -> pd.DataFrame:
    """The first rows as the preview table shows them: prompt, the two responses, category (in that order,
    one width each in PREVIEW_COLUMN_WIDTHS)."""
    rows = []
    for row in batch.rows[:limit]:
        first, second = ("chosen", "rejected") if "chosen" in row else ("response_a", "response_b")
        rows.append({"prompt": plain_preview(row.get("prompt")), first: plain_preview(row[first]),
                     second: plain_preview(row[second]), "category": row.get("category") or ""})
    return pd.DataFrame(rows)


# The preview table's column widths (prompt, response, response, category): without them the table gives each
# wrapped column about the page's width, so only `prompt` is on screen.
PREVIEW_COLUMN_WIDTHS = ["32%", "28%", "28%", "12%"]


def import_summary(report: dict) -> str:
    """What an import did: pairs imported, duplicates, warnings kept and invalid rows skipped."""
    warnings, skipped = report.get("warnings_total", 0), report.get("skipped_total", 0)
    return (f"Imported **{report['imported']:,}** pairs ({report['labeled']:,} labeled, "
            f"{report['unlabeled']:,} to label) in schema **{markdown_literal(report['format'])}**; "
            f"{report['duplicates']:,} duplicates skipped; {warnings:,} warning{'' if warnings == 1 else 's'} "
            f"(kept as they are); {skipped:,} invalid row{'' if skipped == 1 else 's'} skipped.")


def page_count(total: int, size: int) -> int:
    return max(1, -(-total // max(1, size)))


def pairs_page(store: PreferenceStore, *, page: int, size: int, search: str = "", category: str | None = None,
               status: str = "all") -> tuple[pd.DataFrame, int, str]:
    """One page of the pair browser (paged in SQL) -> (table, the page actually shown, "page x of y" text)."""
    size = max(1, int(size))
    without_category = category == NO_CATEGORY
    category = None if category in (None, "", ALL_CATEGORIES, NO_CATEGORY) else category
    status = None if status in (None, "", "all") else status
    filters = {"search": search or None, "category": category, "status": status, "without_category": without_category}
    page = max(1, int(page or 1))
    rows, total = store.list_pairs(offset=(page - 1) * size, limit=size, **filters)
    if not rows and page > page_count(total, size):  # past the end (pairs were deleted): show the last page
        page = page_count(total, size)
        rows, total = store.list_pairs(offset=(page - 1) * size, limit=size, **filters)
    table = pd.DataFrame([
        [r["id"], r["category"] or "", plain_preview(r["prompt"], 120), plain_preview(r["response_a"], 120),
         plain_preview(r["response_b"], 120), r["labels"], r["source"] or ""] for r in rows
    ], columns=TABLE_COLUMNS)
    info = f"Page {page} of {page_count(total, size):,} · {total:,} matching pair{'' if total == 1 else 's'}"
    return table, page, info


def category_choices(store: PreferenceStore) -> list[str]:
    """The category filter's choices: every pair, the pairs without a category, then each category."""
    return [ALL_CATEGORIES, NO_CATEGORY, *store.categories()]


def stats_summary(stats: dict) -> str:
    """The store's counts in one line, as store/queries.py defines them (a skip is no label)."""
    skips = f" · {stats['skips']:,} skipped ({stats['skipped_today']:,} today)" if stats["skips"] else ""
    return (f"**{stats['pairs']:,}** pairs · **{stats['labeled_pairs']:,}** labeled · "
            f"**{stats['remaining']:,}** left to label · **{stats['labels']:,}** labels "
            f"({stats['labeled_today']:,} today){skips} · **{stats['training_pairs']:,}** usable for training "
            f"({stats['excluded_pairs']:,} excluded: ties, both bad, disagreements)")


def stats_frames(stats: dict, lengths: list[dict]) -> dict[str, pd.DataFrame]:
    """Data for the four plots: labels by choice, by annotator, pairs by category, response lengths."""
    return {
        "choice": pd.DataFrame({"choice": list(stats["labels_by_choice"]),
                                "labels": list(stats["labels_by_choice"].values())}, columns=["choice", "labels"]),
        "annotator": pd.DataFrame({"annotator": list(stats["annotators"]),
                                   "labels": [a["labels"] for a in stats["annotators"].values()]},
                                  columns=["annotator", "labels"]),
        "category": pd.DataFrame({"category": list(stats["pairs_by_category"]),
                                  "pairs": list(stats["pairs_by_category"].values())}, columns=["category", "pairs"]),
        "length": pd.DataFrame({"characters": bin_labels([b["start"] for b in lengths]),
                                "responses": [b["count"] for b in lengths]}, columns=["characters", "responses"]),
    }


EXPORT_PREFIX = "rmstudio-export-"
EXPORT_KEEP_SECONDS = 600
"""How long an export's temp folder outlives its request: Gradio copies a returned file into its own cache,
so older folders only pile up (one full copy of the training set per click)."""


def remove_old_exports(now: float | None = None) -> int:
    """Delete the export temp folders older than EXPORT_KEEP_SECONDS; returns how many went."""
    import shutil
    import time

    cutoff = (time.time() if now is None else now) - EXPORT_KEEP_SECONDS
    removed = 0
    for folder in Path(tempfile.gettempdir()).glob(f"{EXPORT_PREFIX}*"):
        try:
            if folder.is_dir() and not folder.is_symlink() and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder)
                removed += 1
        except OSError:  # another process removed it first, or it is not ours to remove
            continue
    return removed


def forget_upload(path: str | None, upload_folder: str) -> bool:
    """Delete an uploaded file once imported, when it lies in Gradio's upload folder (never any other path:
    the value comes from the page). Gradio keeps uploads until the server stops; each is a full copy."""
    if not path:
        return False
    file, root = Path(path).resolve(), Path(upload_folder).resolve()
    if root not in file.parents or not file.is_file():
        return False
    file.unlink(missing_ok=True)
    if file.parent != root and not any(file.parent.iterdir()):
        file.parent.rmdir()
    return True


def bin_labels(starts: list[int]) -> list[str]:
    """Bin starts as labels ("420", "1,260") that sort as their numbers do, so the chart needs no `sort=` list
    of this draw's bins (the page applied a new value before a new sort list: the chart kept its old bins
    after an import). Each is left-padded with spaces to one width (a space sorts before any digit; the
    chart does not show leading spaces)."""
    texts = [f"{start:,}" for start in starts]
    width = max(map(len, texts), default=0)
    return [text.rjust(width) for text in texts]


def export_file(store: PreferenceStore, kind: str) -> tuple[str, dict]:
    """Write the training set (store.to_dataset) to a fresh temp file for download -> (path, report)."""
    from rmstudio.data.formats import write_export

    suffix = EXPORT_SUFFIXES.get(kind)
    if suffix is None:
        raise BadInput(f"export format must be one of {', '.join(EXPORT_SUFFIXES)}", field="format")
    remove_old_exports()
    path = Path(tempfile.mkdtemp(prefix=EXPORT_PREFIX)) / f"preferences{suffix}"
    report = write_export(store.to_dataset(), str(path))
    return str(path), report


def push_export(store: PreferenceStore, repo: str, token: str | None) -> dict:
    from rmstudio.data.formats import write_export

    if not repo or "/" not in repo.strip():
        raise BadInput("give the Hub dataset repo as owner/name", field="repo")
    return write_export(store.to_dataset(), None, push_to_hub=repo.strip(), token=(token or "").strip() or None)


def pair_detail(store: PreferenceStore, pair_id) -> tuple[dict | None, list[dict]]:
    """A pair (as stored: response_a / response_b) and its current labels, or (None, []) when it is gone."""
    if pair_id is None:
        return None, []
    pair = store.get_pair(int(pair_id))
    return (pair, store.labels_of(pair.id)) if pair else (None, [])
