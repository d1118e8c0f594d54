"""Import preference data in any schema (rmstudio.data.schemas), and export the store's pairs.

`read_source` reads a .json/.jsonl/.csv/.parquet file, a `datasets` folder or a Hub dataset id, detects
the schema (see rmstudio.data.schemas), validates every record and returns normalized rows — or raises
BadInput naming the file, row and field, so a failing file stores nothing. With `on_invalid="skip"` the
invalid records are left out and listed in the batch's `skipped`; empty texts are kept and listed in its
`warnings` (see rmstudio.data.issues). `write_export` writes a
`datasets.Dataset` to a file or folder that `datasets` loads back with the same rows, or to the Hub.
"""

from __future__ import annotations

import csv
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from rmstudio.data.issues import (
    check_on_invalid,
    duplicate_id,
    issues_report,
    preview_counts,
    reject,
    row_issue,
)
from rmstudio.data.public_schemas import VARIANTS, split_format
from rmstudio.data.readers import hub_unreachable, read_records
from rmstudio.data.schemas import (
    MAX_FIELD_CHARS,
    SCHEMAS,
    RowError,
    detect,
    did_you_mean,
    empty_texts,
    explain_unknown,
    finish,
    missing_columns,
    normalize,
    signature,
)
from rmstudio.data.values import lone_surrogate
from rmstudio.errors import BadInput

__all__ = ["SCHEMAS", "MAX_FIELD_CHARS", "ImportBatch", "read_source", "normalize_records", "preview_source",
           "write_export"]

EXPORT_SUFFIXES = (".jsonl", ".json", ".parquet", ".csv")
"""File exports by suffix; any other destination is written as a `save_to_disk` folder."""


@dataclass
class ImportBatch:
    """Validated, normalized rows from one source, ready for `PreferenceStore.import_batch`."""

    source: str
    """The file, folder or Hub id the rows came from (as the user gave it)."""
    format: str
    """The schema the rows were in: one of SCHEMAS."""
    rows: list[dict] = field(default_factory=list)
    """Normalized rows: prompt + chosen/rejected (labeled) or prompt + response_a/response_b (candidates)."""
    warnings: list[dict] = field(default_factory=list)
    """Every {row, field, message} worth a look in a kept record (an empty response or prompt), in file order."""
    skipped: list[dict] = field(default_factory=list)
    """Every invalid record left out (on_invalid="skip") as {row, field, message}, in file order."""
    records: int | None = None
    """How many records the source held, skipped ones included (None: not counted)."""

    @property
    def labeled(self) -> int:
        return sum("chosen" in row for row in self.rows)

    @property
    def unlabeled(self) -> int:
        return len(self.rows) - self.labeled

    def issues(self) -> dict:
        """warnings, warnings_total, skipped, skipped_total as an import report gives them."""
        return issues_report(self.warnings, self.skipped)


def _check_format(fmt: str | None, source: str) -> None:
    """A known schema, with a variant only where the schema has them (see public_schemas.VARIANTS)."""
    if fmt is None:
        return
    base, variant = split_format(fmt)
    if base not in SCHEMAS:
        raise BadInput(f"unknown format '{fmt}': choose one of {', '.join(SCHEMAS)}", source=source, field="format")
    if variant is not None and (base not in VARIANTS or (base == "pku-saferlhf" and variant not in VARIANTS[base])):
        offered = ", ".join(f"{base}:{v}" for v in VARIANTS.get(base, ())) or "none"
        raise BadInput(f"format '{base}' has no variant '{variant}' (variants: {offered})", source=source,
                       field="format")


def rename_columns(records: list, rename: dict[str, str] | None, source: str, first_row: int = 1) -> list:
    """The records with columns renamed (`--map question=prompt`), so that any layout can be imported.

    A source column absent from the first record, or a target that already exists there, is BadInput.
    """
    if not rename:
        return records
    first = records[0] if records and isinstance(records[0], dict) else {}
    for column, target in rename.items():
        if column not in first:
            raise BadInput(f"--map {column}={target}: no column '{column}' (columns: {sorted(first)})",
                           source=source, row=first_row, field=column)
        if target in first and target not in rename:
            raise BadInput(f"--map {column}={target}: column '{target}' already exists; map it away too "
                           f"(--map {target}=other)", source=source, row=first_row, field=target)
    return [{rename.get(k, k): v for k, v in r.items()} if isinstance(r, dict) else r for r in records]


def read_source(source, *, split: str | None = None, fmt: str | None = None, progress: bool = False,
                on_invalid: str = "error", rename: dict[str, str] | None = None) -> ImportBatch:
    """Read, detect (or force with `fmt`) and validate a whole source.

    `on_invalid="error"` (default) raises BadInput on the first invalid record or unreadable line;
    `"skip"` leaves those out and lists them in the batch's `skipped`. `split` picks a split of a datasets
    folder or Hub dataset (default "train"); `progress` shows a bar on stderr while normalizing; `rename`
    maps source columns to schema columns before detection ({"question": "prompt"}).
    """
    source = str(source)
    _check_format(fmt, source)
    check_on_invalid(on_invalid, source)
    skipped = [] if on_invalid == "skip" else None
    records, rows = read_records(source, split, skipped=skipped)
    if skipped and not records:
        raise no_valid_rows(skipped, source)
    if skipped and rows is None:
        rows = list(range(1, len(records) + 1))
    batch = normalize_records(records, source=source, fmt=fmt, rows=rows, progress=progress, on_invalid=on_invalid,
                              counted=len(skipped or ()), rename=rename)
    if skipped:
        batch.skipped = sorted(skipped + batch.skipped, key=lambda issue: issue["row"] or 0)
    return batch


def preview_source(source, *, split: str | None = None, fmt: str | None = None, rename: dict[str, str] | None = None,
                   reasons: int = 5) -> tuple:
    """(batch of the valid rows, preview counts) for a source, before anything is stored: the Data tab shows
    the counts (rmstudio.data.issues.preview_counts) and, on request, imports the batch."""
    batch = read_source(source, split=split, fmt=fmt, on_invalid="skip", rename=rename)
    return batch, preview_counts(batch, reasons)


def _present(record: dict) -> list[str]:
    return [key for key, value in record.items() if value is not None]


def _schema_of_first(record, fmt: str | None, source: str, row: int) -> str:
    """The schema of a whole source: forced by `fmt` (its columns must be there) or detected from row 1."""
    if not isinstance(record, dict):
        raise BadInput(f"expected an object, got {type(record).__name__}", source=source, row=row)
    if fmt is None:
        schema = detect(signature(record))
        if schema is None:
            missing, message = explain_unknown(_present(record))
            raise BadInput(message, source=source, row=row, field=missing)
        return schema
    present = _present(record)
    missing = missing_columns(fmt, present)
    if missing:
        raise BadInput(f"format '{fmt}' needs column '{missing[0]}'; missing {did_you_mean(missing, present)} "
                       f"among columns {sorted(present)}", source=source, row=row, field=missing[0])
    return fmt


def _schema_of_source(records: list, fmt: str | None, source: str, row_of, skipped: list | None) -> tuple[str, int]:
    """(schema, index of the record it comes from): the first record's, or when skipping, the first record
    that has one (the records before it are skipped)."""
    first_error = None
    for i, record in enumerate(records):
        try:
            return _schema_of_first(record, fmt, source, row_of(i)), i
        except BadInput as error:
            if skipped is None:
                raise
            first_error = first_error or error
            skipped.append(row_issue(error.row, error.field, error.reason))
    raise first_error


def _mixed(first: tuple, this: tuple, schema: str, row_schema: str, first_row: int) -> tuple[str, str]:
    """(field, message) for a record whose schema differs from the first record's."""
    a, b = dict(first), dict(this)
    differing = [key for key in (*a, *b) if a.get(key, "absent") != b.get(key, "absent")]
    name = differing[0]
    how = "is missing here" if name in a and name not in b else (
        "is not in the first row" if name not in a else "is a message list in only one of them")
    return name, (f"mixed schemas: this row is '{row_schema}' but row {first_row} is '{schema}' ('{name}' {how}); "
                  "a file must use one schema")


def normalize_records(records: list[dict], *, source: str = "<rows>", fmt: str | None = None,
                      rows: list[int] | None = None, progress: bool = False, on_invalid: str = "error",
                      counted: int = 0, rename: dict[str, str] | None = None) -> ImportBatch:
    """Validate and normalize records in one schema (detected from the first, or forced by `fmt`).

    `rows[i]` is record i's row/line number for messages (default i + 1). Every record is checked
    before returning: with `on_invalid="error"` any problem raises BadInput naming source, row and field;
    with `"skip"` the record is left out and listed in `skipped`. Empty texts are kept and listed in
    `warnings`. `counted`: records the reader already left out (for the batch's `records`). `rename`:
    see `rename_columns`.
    """
    _check_format(fmt, source)
    check_on_invalid(on_invalid, source)
    if not records:
        raise BadInput("no rows", source=source)

    def row_of(i: int) -> int:
        return rows[i] if rows else i + 1

    records = rename_columns(records, rename, source, row_of(0))

    skipped: list[dict] | None = [] if on_invalid == "skip" else None
    schema, first = _schema_of_source(records, fmt, source, row_of, skipped)
    first_sig = signature(records[first])
    schema_of = {first_sig: schema}
    items = enumerate(records[first:], first)
    if progress:
        from tqdm.auto import tqdm

        items = tqdm(items, total=len(records) - first, desc=f"checking {Path(source).name}", unit="row",
                     file=sys.stderr, mininterval=0.5)
    out: list[dict] = []
    warnings: list[dict] = []
    ids: dict = {}
    for i, record in items:
        try:
            normalized = _normalize_one(record, schema, fmt, first_sig, schema_of, row_of(first))
        except RowError as error:
            reject(BadInput(str(error), source=source, row=row_of(i), field=error.field), skipped)
            continue
        out.extend(normalized)
        reused = duplicate_id(ids, normalized, row_of(i))
        if reused:
            warnings.append(reused)
        seen = set()
        for row in normalized:
            for field_name, message in empty_texts(row):
                if field_name not in seen:
                    seen.add(field_name)
                    warnings.append(row_issue(row_of(i), field_name, message))
    out = finish(out, schema)
    if not out:
        if skipped:
            raise no_valid_rows(skipped, source)
        raise BadInput("no pairs: no prompt has two responses with different scores" if schema.startswith("helpsteer2")
                       else "no rows", source=source)
    return ImportBatch(source=source, format=schema, rows=out, warnings=warnings, skipped=skipped or [],
                       records=len(records) + counted)


def no_valid_rows(skipped: list[dict], source: str) -> BadInput:
    """The error of a source whose every row is invalid (on_invalid="skip"), naming the first."""
    first = skipped[0]
    return BadInput(f"no valid rows ({len(skipped)} invalid; the first: {first['message']})", source=source,
                    row=first["row"], field=first["field"])


def _normalize_one(record, schema: str, fmt: str | None, first_sig: tuple, schema_of: dict, first_row: int) -> list:
    """The normalized rows of one record; RowError when it is not an object, in another schema, or invalid."""
    if not isinstance(record, dict):
        raise RowError(None, f"expected an object, got {type(record).__name__}")
    if fmt is None:
        sig = signature(record)
        row_schema = schema_of[sig] if sig in schema_of else schema_of.setdefault(sig, detect(sig))
        if row_schema is not None and row_schema != schema:
            raise RowError(*_mixed(first_sig, sig, schema, row_schema, first_row))
    rows = normalize(record, schema)
    for row in rows:
        surrogate = lone_surrogate(row)
        if surrogate:
            raise RowError(*surrogate)
    return rows


# ---- export -------------------------------------------------------------------------------------

def _csv_cell(value) -> str:
    """CSV has no lists: messages and lists go in as JSON text (read back by the importer)."""
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _write_csv(rows: list[dict], columns: list[str], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        writer.writerows([_csv_cell(row[c]) for c in columns] for row in rows)


def _write_json_lines(rows: list[dict], path: Path) -> None:
    """JSON lines also for .json, like `Dataset.to_json`: `datasets` reads JSON arrays through pandas,
    which rounds floats, but JSON lines exactly."""
    with path.open("w", encoding="utf-8") as f:
        f.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def _push(dataset, repo: str, token: str | None) -> None:
    why = hub_unreachable()
    if why is None:
        try:
            dataset.push_to_hub(repo, token=token)
            return
        except Exception as error:
            why = f"{type(error).__name__}: {error}"
    raise BadInput(f"cannot push to the Hugging Face Hub ({why}); check the repo id, the token (HF_TOKEN) "
                   "and the network", source=repo)


def write_export(dataset, dest: str | None, *, push_to_hub: str | None = None, token: str | None = None) -> dict:
    """Write `dataset` to `dest` (.jsonl/.json as JSON lines, .parquet, .csv, else a `save_to_disk` folder) and/or
    push it to the Hub repo `push_to_hub`. Returns {"exported": rows, "path": dest or the repo}."""
    if not dest and not push_to_hub:
        raise BadInput("give a destination path or a Hub repo to push to", field="dest")
    if dest:
        path = Path(dest).expanduser()
        suffix = path.suffix.lower()
        path.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".parquet":
            dataset.to_parquet(str(path))
        elif suffix in EXPORT_SUFFIXES:
            rows = dataset.to_list()
            if suffix == ".csv":
                _write_csv(rows, dataset.column_names, path)
            else:
                _write_json_lines(rows, path)
        else:
            dataset.save_to_disk(str(path))
    if push_to_hub:
        _push(dataset, push_to_hub, token)
    return {"exported": len(dataset), "path": str(dest) if dest else push_to_hub}
