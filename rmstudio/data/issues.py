"""Row issues of an import: warnings (kept rows worth a look) and skipped rows (invalid, left out on request).

An issue is a plain dict `{row, field, message}`: `row` is the 1-based line for JSON lines and CSV, the
1-based record otherwise; `field` is the column (None when the whole line is unreadable). Reports list
at most `REPORTED_ISSUES` of each kind plus the totals, so a file with a million empty replies still gives
a short answer.
"""

from __future__ import annotations

from rmstudio.errors import BadInput

REPORTED_ISSUES = 100
"""The most warnings (and, separately, skipped rows) an import report lists; the totals count them all."""

ON_INVALID = ("error", "skip")
"""What an import does with an invalid row: fail the whole source (nothing stored), or leave the row out."""


def row_issue(row: int | None, field: str | None, message: str) -> dict:
    return {"row": row, "field": field, "message": message}


def check_on_invalid(on_invalid: str, source: str) -> None:
    if on_invalid not in ON_INVALID:
        raise BadInput(f"unknown on_invalid '{on_invalid}': choose one of {', '.join(ON_INVALID)}",
                       source=source, field="on_invalid")


def reject(error: BadInput, skipped: list | None) -> None:
    """Raise `error`, or with a `skipped` list (on_invalid="skip") note its row there and go on."""
    if skipped is None:
        raise error
    skipped.append(row_issue(error.row, error.field, error.reason))


def duplicate_id(seen: dict, rows: list[dict], row: int) -> dict | None:
    """A warning when the `id` of one record's normalized `rows` was already given to a record with other
    content (`seen` maps id -> (row, content hash), filled here). A warning, not an error: many public sets
    reuse an id for every pair of one prompt (UltraFeedback's prompt_id), and refusing them would help no one;
    the same content again is a duplicate the store already counts."""
    ids = {r["id"] for r in rows if r.get("id") is not None}
    if len(ids) != 1:
        return None
    (pair_id,) = ids
    content = hash(repr([{k: v for k, v in r.items() if k != "id"} for r in rows]))
    first = seen.setdefault(pair_id, (row, content))
    if first[1] == content:
        return None
    return row_issue(row, "id", f"id '{pair_id}' is also row {first[0]}'s, with different content (both kept)")


def issues_report(warnings: list[dict], skipped: list[dict]) -> dict:
    """The import report's issue fields: the first REPORTED_ISSUES of each kind and the totals."""
    return {"warnings": warnings[:REPORTED_ISSUES], "warnings_total": len(warnings),
            "skipped": skipped[:REPORTED_ISSUES], "skipped_total": len(skipped)}


def describe(issue: dict) -> str:
    """One issue as a line a person reads: "row 12, field 'chosen': empty response"."""
    where = ", ".join(part for part in (f"row {issue['row']}" if issue.get("row") is not None else "",
                                        f"field '{issue['field']}'" if issue.get("field") else "") if part)
    return f"{where}: {issue['message']}" if where else issue["message"]


def preview_counts(batch, reasons: int = 5) -> dict:
    """What an import preview shows before anything is stored (a batch read with on_invalid="skip"):
    records read, `valid` ones (the rows an import would store), `fine` ones without warnings, ones
    `with_warnings`, `invalid` ones left out, and the first `reasons` of each kind as readable lines."""
    warned = len({issue["row"] for issue in batch.warnings})
    invalid = len(batch.skipped)
    records = batch.records if batch.records is not None else invalid + len(batch.rows)
    valid = records - invalid
    return {"format": batch.format, "records": records, "valid": valid, "fine": valid - warned,
            "with_warnings": warned, "warnings_total": len(batch.warnings), "invalid": invalid,
            "first_warnings": [describe(issue) for issue in batch.warnings[:reasons]],
            "first_invalid": [describe(issue) for issue in batch.skipped[:reasons]]}
