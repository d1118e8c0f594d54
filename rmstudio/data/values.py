"""Value checks shared by every import schema: texts, messages, numbers and the optional columns.

Problems are raised as `RowError(field, message)`; the reader adds the file and row. Empty or
whitespace-only texts are valid (an empty reply is a real answer, often the preferred one to a harmful
request): `empty_texts` lists them for the import's warnings.
"""

from __future__ import annotations

import math
import re

MAX_FIELD_CHARS = 1_000_000
"""Longest text accepted in one field or message (characters, ~1 MB): larger values are almost always
a broken export (a whole file pasted in a cell) and would stall tokenization and the browser."""


_SURROGATE = re.compile("[\ud800-\udfff]")


class RowError(ValueError):
    """A problem with one field of one record; the reader turns it into BadInput with file and row."""

    def __init__(self, field: str | None, message: str):
        super().__init__(message)
        self.field = field


def text(value, field: str) -> str:
    """A string (possibly empty) of at most MAX_FIELD_CHARS characters."""
    if not isinstance(value, str):
        if value is None:
            raise RowError(field, "missing value")
        raise RowError(field, f"must be a string, got {type(value).__name__}")
    if len(value) > MAX_FIELD_CHARS:
        raise RowError(field, f"text of {len(value):,} characters is over the {MAX_FIELD_CHARS:,} limit")
    return value


def messages(value, field: str, roles: dict | None = None) -> list[dict]:
    """A non-empty list of {role, content} messages (ShareGPT {from, value} when `roles` maps them).

    Empty system messages are dropped (common in exports); other empty contents are kept (see `empty_texts`).
    """
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not value:
        raise RowError(field, "must be a non-empty list of {role, content} messages")
    out = []
    for i, message in enumerate(value, 1):
        if not isinstance(message, dict):
            raise RowError(field, f"message {i} must be an object, got {type(message).__name__}")
        role_key, content_key = ("from", "value") if roles is not None else ("role", "content")
        role = message.get(role_key)
        if roles is not None:
            if role not in roles:
                raise RowError(field, f"message {i} has unknown '{role_key}' {role!r} (expected one of {sorted(roles)})")
            role = roles[role]
        elif not isinstance(role, str) or not role:
            raise RowError(field, f"message {i} needs a '{role_key}' string")
        content = message.get(content_key)
        if role == "system" and isinstance(content, str) and not content.strip():
            continue
        out.append({"role": role, "content": text(content, f"{field}[{i}].{content_key}")})
    if not out:
        raise RowError(field, "no messages besides empty system messages")
    return out


def _is_blank(value) -> bool:
    return isinstance(value, str) and not value.strip()


def empty_texts(row: dict) -> list[tuple[str, str]]:
    """(field, message) for each empty or whitespace-only text of a normalized row: kept, but worth a warning."""
    found = []
    for field in ("prompt", "chosen", "rejected", "response_a", "response_b", "response"):
        value = row.get(field)
        what = "prompt" if field == "prompt" else "response"
        if _is_blank(value):
            found.append((field, f"empty {what}" if value == "" else f"whitespace-only {what}"))
        elif isinstance(value, list):
            found.extend((f"{field}[{i}].content", f"empty message in the {what}")
                         for i, message in enumerate(value, 1) if _is_blank(message.get("content")))
    return found


def margin(value) -> float:
    """A finite float (CSV gives strings)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise RowError("margin", f"must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise RowError("margin", f"must be finite, got {value!r}")
    return number


def _scalar_text(value, field: str) -> str:
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return str(value)
    raise RowError(field, f"must be a string, got {type(value).__name__}")


def extras(record: dict) -> dict:
    """The optional columns kept through import/export: category (or subset/source), margin, id, source."""
    out = {}
    for key in ("category", "subset", "source"):
        if record.get(key) not in (None, ""):
            out["category"] = _scalar_text(record[key], key)
            break
    if record.get("margin") not in (None, ""):
        out["margin"] = margin(record["margin"])
    if record.get("id") not in (None, ""):
        out["id"] = _scalar_text(record["id"], "id")
    if record.get("source") not in (None, ""):
        out["source"] = _scalar_text(record["source"], "source")
    return out


def distinct(first, second, first_field: str, second_field: str) -> None:
    if first == second:
        raise RowError(second_field, f"identical to '{first_field}': a preference pair needs two different responses")


def lone_surrogate(row: dict) -> tuple[str, str] | None:
    """(field, message) for the first text of a normalized row holding a lone UTF-16 surrogate, else None.

    JSON may spell half of a character (`"\\ud83d"`, an emoji cut in two by a truncating exporter); Python
    reads it as a string that cannot be written as UTF-8, so storing it would fail later with a bare
    UnicodeEncodeError. Walks nested messages without recursion (records may be deeply nested)."""
    for key, value in row.items():
        stack = [value]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                found = _SURROGATE.search(item)
                if found:
                    return key, (f"lone surrogate \\u{ord(found.group()):04x} (half of a character, e.g. an emoji "
                                 "cut in two): fix or remove it")
            elif isinstance(item, dict):
                stack.extend(item.values())
            elif isinstance(item, (list, tuple)):
                stack.extend(item)
    return None
