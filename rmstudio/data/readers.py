"""Read an import source (file, `save_to_disk` folder or Hub id) into plain records.

Each reader returns (records, rows): `rows[i]` is what error messages call record i's row — the
1-based line for JSON lines and CSV (CSV line 1 is the header, as in a spreadsheet), the 1-based
record for JSON arrays, Parquet and datasets (`rows` is None then). Unreadable input raises BadInput
naming the file and line — or, given a `skipped` list (on_invalid="skip"), an unreadable line or record is
noted there as an issue and left out while the rest is read. A file that cannot be read at all (not JSON,
a bad CSV header, not Parquet) always raises. Nothing here knows about schemas beyond spotting JSON cells
in CSV.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import socket
import sys
from pathlib import Path
from urllib.parse import urlparse

from rmstudio.data.issues import reject
from rmstudio.errors import BadInput

FILE_SUFFIXES = (".json", ".jsonl", ".csv", ".parquet")
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")
_BAD_UTF8 = re.compile("[\udc80-\udcff]")
_HUB_PROBE_SECONDS = 3.0

Records = tuple[list[dict], "list[int] | None"]


def read_records(source: str, split: str | None = None, *, skipped: list | None = None) -> Records:
    """Records of a local file or folder, else of the Hub dataset `source` (`skipped`: see the module doc)."""
    path = Path(source).expanduser()
    if path.is_dir():
        return read_dataset_dir(path, source, split)
    if path.is_file():
        gzipped = path.suffix.lower() == ".gz"  # HH-RLHF's raw files are train.jsonl.gz
        suffix = (path.with_suffix("") if gzipped else path).suffix.lower()
        if suffix not in FILE_SUFFIXES or (gzipped and suffix == ".parquet"):
            raise BadInput(f"unsupported file type '{''.join(path.suffixes[-2:]) if gzipped else suffix}': use "
                           f"{', '.join(FILE_SUFFIXES)} (.json/.jsonl/.csv may be .gz) or a datasets folder",
                           source=source)
        if suffix == ".parquet":
            return read_parquet(path, source)
        data = _gunzip(path.read_bytes(), source) if gzipped else path.read_bytes()
        if not data.strip():
            raise BadInput("empty file", source=source)
        return {".json": read_json, ".jsonl": read_jsonl, ".csv": read_csv}[suffix](data, source, skipped)
    if path.suffix.lower() in (*FILE_SUFFIXES, ".gz") or not _HUB_ID.match(source):
        raise BadInput("no such file or folder", source=source)
    return read_hub(source, split)


# ---- text files ---------------------------------------------------------------------------------

def _gunzip(data: bytes, source: str) -> bytes:
    try:
        return gzip.decompress(data)
    except (OSError, EOFError) as error:
        raise BadInput(f"not a valid gzip file: {error}", source=source) from None


def decode(data: bytes, source: str) -> tuple[str, int | None]:
    """(text, line of the first invalid UTF-8 byte or None). Invalid bytes decode to lone surrogates
    so the readers still parse the file and `check_utf8` can name the record and field. A UTF-16 file
    (Windows tools write it: "Unicode" in Notepad or Excel) is refused by name: read as UTF-8 it would only
    be "not valid JSON" or a one-column CSV."""
    if is_utf16(data):
        raise BadInput("file is UTF-16; save it as UTF-8", source=source)
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        return data.decode("utf-8-sig", errors="surrogateescape"), line


def is_utf16(data: bytes) -> bool:
    """A UTF-16 byte-order mark, or (without one) a NUL byte in at least a third of the even or the odd
    positions of the first KiB: ASCII text in UTF-16 is every other byte NUL, UTF-8 text holds no NUL."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return True
    sample = data[:1024]
    return len(sample) >= 4 and max(sample[0::2].count(0), sample[1::2].count(0)) * 3 >= len(sample) // 2


def too_deep(source: str, row: int | None = None, line: int | None = None) -> BadInput:
    """The error for JSON nested deeper than Python's parser can follow (json raises RecursionError)."""
    where = f" at line {line}" if line is not None else ""
    return BadInput(f"JSON nesting too deep{where}: more levels of [ and {{ than can be read", source=source,
                    row=row)


def deep_nesting_line(text: str) -> int:
    """The line where bracket nesting (outside strings) first goes past half the recursion limit."""
    depth, in_string, escaped, limit = 0, False, False, sys.getrecursionlimit() // 2
    for position, char in enumerate(text):
        if escaped:
            escaped = False
        elif in_string:
            escaped, in_string = char == "\\", char != '"'
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return text.count("\n", 0, position) + 1
        elif char in "]}":
            depth -= 1
    return 1


def _has_bad_bytes(value) -> bool:
    if not isinstance(value, str):
        value = json.dumps(value, ensure_ascii=False, default=str)
    return _BAD_UTF8.search(value) is not None


def check_utf8(records: list[dict], rows: list[int] | None, source: str, bad_line: int | None,
               skipped: list | None = None) -> Records:
    """The records without invalid UTF-8; BadInput names the row and field of the first such byte (with
    `skipped`, every record holding one is noted there instead)."""
    if bad_line is None:
        return records, rows
    kept, kept_rows = [], []
    for i, record in enumerate(records):
        bad = next((field for field, value in record.items() if _has_bad_bytes(field) or _has_bad_bytes(value)), None)
        if bad is None:
            kept.append(record)
            kept_rows.append(rows[i] if rows else i + 1)
        else:
            reject(BadInput("invalid UTF-8 (save the file as UTF-8)", source=source,
                            row=rows[i] if rows else i + 1, field=bad), skipped)
    if skipped is None:
        raise BadInput(f"invalid UTF-8 at line {bad_line} (save the file as UTF-8)", source=source, row=bad_line)
    return kept, kept_rows if rows else None


def read_jsonl(data: bytes, source: str, skipped: list | None = None) -> Records:
    text, bad_line = decode(data, source)
    records, rows = [], []
    loads = json.loads
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            record = loads(line)
        except json.JSONDecodeError as error:
            reject(BadInput(f"not valid JSON (column {error.colno}: {error.msg})", source=source, row=number), skipped)
            continue
        except RecursionError:
            reject(too_deep(source, row=number), skipped)
            continue
        if not isinstance(record, dict):
            reject(BadInput(f"expected a JSON object on each line, got {type(record).__name__}",
                            source=source, row=number), skipped)
            continue
        records.append(record)
        rows.append(number)
    return check_utf8(records, rows, source, bad_line, skipped)


def read_json(data: bytes, source: str, skipped: list | None = None) -> Records:
    """A JSON array of objects, {"data": [...]}-style wrappers, or JSON lines saved as .json."""
    text, bad_line = decode(data, source)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        if error.msg == "Extra data" and text.lstrip().startswith("{"):
            return read_jsonl(data, source, skipped)
        raise BadInput(f"not valid JSON at line {error.lineno}, column {error.colno}: {error.msg}",
                       source=source) from None
    except RecursionError:
        raise too_deep(source, line=deep_nesting_line(text)) from None
    if isinstance(value, dict):
        wrapped = [v for k, v in value.items() if k in ("data", "rows", "train", "examples") and isinstance(v, list)]
        value = wrapped[0] if wrapped else [value]
    if not isinstance(value, list):
        raise BadInput(f"expected a JSON array of objects, got {type(value).__name__}", source=source)
    records, rows = [], []
    for number, record in enumerate(value, 1):
        if isinstance(record, dict):
            records.append(record)
            rows.append(number)
        else:
            reject(BadInput(f"expected a JSON object, got {type(record).__name__}", source=source, row=number), skipped)
    records, rows = check_utf8(records, rows, source, bad_line, skipped)
    return records, None if rows == list(range(1, len(records) + 1)) else rows


def _json_cell(cell: str):
    """A CSV cell holding JSON messages/completions (as our CSV export writes them) as a value, else the text."""
    if not (cell[:1] in "[{" and cell[-1:] in "]}"):
        return cell
    try:
        value = json.loads(cell)
    except (ValueError, RecursionError):  # not JSON after all (or nested past reading): the cell's text
        return cell
    if isinstance(value, dict) and ({"role", "content"} <= value.keys() or {"from", "value"} <= value.keys()):
        return value
    if isinstance(value, list) and value and (all(isinstance(v, dict) for v in value)
                                               or all(isinstance(v, str) for v in value)):
        return value
    return cell


def read_csv(data: bytes, source: str, skipped: list | None = None) -> Records:
    text, bad_line = decode(data, source)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    limit = csv.field_size_limit()
    csv.field_size_limit(1 << 30)  # over-long cells get our own error naming the field
    try:
        records, rows = _csv_records(reader, source, skipped)
    finally:
        csv.field_size_limit(limit)
    return check_utf8(records, rows, source, bad_line, skipped)


def _csv_records(reader, source: str, skipped: list | None) -> Records:
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise BadInput("empty file", source=source) from None
    except csv.Error as error:
        raise BadInput(f"not valid CSV: {error}", source=source, row=reader.line_num) from None
    duplicated = sorted({n for n in header if header.count(n) > 1})
    if duplicated or "" in header:
        raise BadInput("header has empty or repeated column names", source=source, row=1,
                       field=(duplicated or [""])[0])
    records, rows = [], []
    start = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:  # the reader starts afresh on the next line
            number, start = start, reader.line_num + 1
            reject(BadInput(f"not valid CSV: {error}", source=source, row=number), skipped)
            continue
        number, start = start, reader.line_num + 1
        if not cells:
            continue
        if len(cells) != len(header):
            reject(BadInput(f"not valid CSV: expected {len(header)} fields like the header, found {len(cells)}",
                            source=source, row=number), skipped)
            continue
        records.append({name: _json_cell(cell) for name, cell in zip(header, cells, strict=True)})
        rows.append(number)
    return records, rows


# ---- columnar sources ---------------------------------------------------------------------------

def read_parquet(path: Path, source: str) -> Records:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.read_table(path).to_pylist(), None
    except (pa.ArrowException, OSError) as error:
        raise BadInput(f"not a valid Parquet file: {error}", source=source) from None


def _pick_split(dataset, source: str, split: str | None):
    """One split of a DatasetDict: `split`, else "train", else the only one."""
    import datasets

    if not isinstance(dataset, datasets.DatasetDict):
        return dataset
    names = list(dataset)
    name = split or ("train" if "train" in names else names[0] if len(names) == 1 else None)
    if name not in names:
        raise BadInput(f"choose a split with --split: {names}", source=source, field="split")
    return dataset[name]


def read_dataset_dir(path: Path, source: str, split: str | None) -> Records:
    """A `save_to_disk` folder, or a folder of data files `datasets.load_dataset` understands."""
    import datasets

    try:
        if (path / "dataset_dict.json").exists() or (path / "state.json").exists():
            dataset = _pick_split(datasets.load_from_disk(str(path)), source, split)
        else:
            dataset = datasets.load_dataset(str(path), split=split or "train")
    except BadInput:
        raise
    except Exception as error:
        raise BadInput(f"cannot load this folder with datasets: {type(error).__name__}: {error}", source=source) from None
    return dataset.to_list(), None


def hub_unreachable() -> str | None:
    """Why the Hub cannot be reached (None when it can or offline mode uses the local cache).

    huggingface_hub retries connection errors with back-off for ~25 s; a 3 s probe answers at once.
    """
    import datasets
    from huggingface_hub import constants

    if datasets.config.HF_HUB_OFFLINE:
        return None
    url = urlparse(constants.ENDPOINT)
    try:
        socket.create_connection((url.hostname, url.port or 443), timeout=_HUB_PROBE_SECONDS).close()
    except OSError as error:
        return f"cannot connect to {url.hostname}: {error}"
    return None


def read_hub(dataset_id: str, split: str | None) -> Records:
    """A dataset from the Hugging Face Hub (or its local cache when HF_HUB_OFFLINE=1)."""
    import datasets

    why = hub_unreachable()
    if why is None:
        try:
            dataset = datasets.load_dataset(dataset_id, split=split or "train")
            return dataset.to_list(), None
        except Exception as error:
            why = f"{type(error).__name__}: {error}"
    raise BadInput(f"not a local file or folder, and the Hugging Face Hub dataset '{dataset_id}' cannot be "
                   f"loaded ({why}); for a cached copy set HF_HUB_OFFLINE=1", source=dataset_id)
