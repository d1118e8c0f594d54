"""The six import schemas: recognise a record's schema and turn it into a normalized row.

A normalized row (what the store takes) has "prompt" plus either "chosen"/"rejected" (labeled) or
"response_a"/"response_b" (candidates to label). Texts are strings; conversational data stays a list
of {"role", "content"} messages so training can apply a chat template. Optional keys: "category",
"margin", "id", "source". Problems are raised as `RowError(field, message)`; the caller adds the
file and row. Empty or whitespace-only texts are valid (an empty reply is a real answer, often the
preferred one to a harmful request): `empty_texts` lists them for the import's warnings.
"""

from __future__ import annotations

import difflib
import itertools
import math
from collections.abc import Callable

SCHEMAS = ("explicit", "implicit", "conversational", "sharegpt", "autotrain", "candidates")

MAX_FIELD_CHARS = 1_000_000
"""Longest text accepted in one field or message (characters, ~1 MB): larger values are almost always
a broken export (a whole file pasted in a cell) and would stall tokenization and the browser."""

REQUIRED = {
    "explicit": ("prompt", "chosen", "rejected"),
    "implicit": ("chosen", "rejected"),
    "conversational": ("chosen", "rejected"),
    "sharegpt": ("conversations", "chosen", "rejected"),
    "autotrain": ("text", "rejected_text"),
    "candidates": ("prompt", "response_a", "response_b"),
}
"""Columns each schema needs (candidates may give `completions` instead of response_a/response_b)."""

OPTIONAL = ("category", "subset", "source", "margin", "id", "system")
KNOWN_COLUMNS = frozenset(c for cols in REQUIRED.values() for c in cols) | {"completions", *OPTIONAL}

ASSISTANT_TURN = "\n\nAssistant:"
SHAREGPT_ROLES = {
    "human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant", "system": "system",
    "observation": "tool", "tool": "tool", "function_call": "assistant",
}
_SIGNATURE_KEYS = ("prompt", "chosen", "rejected", "conversations", "text", "rejected_text",
                   "response_a", "response_b", "completions")


class RowError(ValueError):
    """A problem with one field of one record; the reader turns it into BadInput with file and row."""

    def __init__(self, field: str | None, message: str):
        super().__init__(message)
        self.field = field


def signature(record: dict) -> tuple:
    """The schema-relevant shape of a record: which known columns hold a value, and which hold lists.

    Records of one file share a handful of signatures, so detection is cached per signature.
    """
    return tuple(
        (key, isinstance(record[key], list))
        for key in _SIGNATURE_KEYS
        if record.get(key) is not None
    )


def detect(sig: tuple) -> str | None:
    """The schema a record with this signature is in, or None when it matches none."""
    present = dict(sig)
    if {"conversations", "chosen", "rejected"} <= present.keys():
        return "sharegpt"
    if {"text", "rejected_text"} <= present.keys():
        return "autotrain"
    if {"chosen", "rejected"} <= present.keys():
        if any(present.get(key) for key in ("prompt", "chosen", "rejected")):
            return "conversational"
        return "explicit" if "prompt" in present else "implicit"
    if "prompt" in present and ("completions" in present or {"response_a", "response_b"} <= present.keys()):
        return "candidates"
    return None


def did_you_mean(missing: list[str], columns) -> str:
    """The missing columns, each with the present unknown column it is probably a misspelling of."""
    unknown = [c for c in columns if c not in KNOWN_COLUMNS]
    hints = []
    for column in missing:
        close = difflib.get_close_matches(column, unknown, n=1, cutoff=0.6)
        hints.append(f"'{column}'" + (f" (found '{close[0]}': did you mean '{column}'?)" if close else ""))
    return ", ".join(hints)


def explain_unknown(columns: list[str]) -> tuple[str, str]:
    """(field, message) for columns that match no schema: the nearest schema's missing columns."""
    nearest = min(SCHEMAS, key=lambda s: (len(missing_columns(s, columns)), -len(REQUIRED[s])))
    missing = missing_columns(nearest, columns)
    expected = "; ".join(f"{s}: {', '.join(REQUIRED[s])}" for s in SCHEMAS)
    message = (
        f"columns {sorted(columns)} match no known schema; closest is '{nearest}', which is missing "
        f"{did_you_mean(missing, columns)}. Expected columns — {expected} (candidates may use 'completions')"
    )
    return missing[0], message


def missing_columns(schema: str, columns) -> list[str]:
    """Required columns of `schema` absent from `columns`."""
    present = set(columns)
    if schema == "candidates" and "completions" in present:
        return [c for c in ("prompt",) if c not in present]
    return [c for c in REQUIRED[schema] if c not in present]


# ---- value checks -------------------------------------------------------------------------------

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
    for field in ("prompt", "chosen", "rejected", "response_a", "response_b"):
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


# ---- splitting shared prompts -------------------------------------------------------------------

def common_prefix_length(a, b) -> int:
    """Length of the longest common prefix of two strings or lists (bisection on C-speed slices)."""
    n = min(len(a), len(b))
    if a[:n] == b[:n]:
        return n
    lo, hi = 0, n  # a[:lo] == b[:lo], a[:hi] != b[:hi]
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid
    return lo


def _last_whitespace_end(s: str, before: int) -> int:
    """Index just after the last whitespace character in s[:before], or 0."""
    return max(s.rfind(c, 0, before) for c in " \n\t\r") + 1


def split_implicit(chosen: str, rejected: str) -> tuple[str, str, str]:
    """(prompt, chosen, rejected) from two full texts sharing a prompt; lossless: prompt + chosen == input.

    Dialogues (both texts hold `\\n\\nAssistant:`) are cut at the last assistant-turn marker the two share
    (see `split_dialogues`). Other texts are cut after the last whitespace of the common prefix, so the
    prompt never ends mid-word and both responses stay non-empty.
    """
    if ASSISTANT_TURN in chosen and ASSISTANT_TURN in rejected:
        return split_dialogues(chosen, rejected)
    shared = common_prefix_length(chosen, rejected)
    cut = _last_whitespace_end(chosen, shared)
    while cut and cut >= min(len(chosen), len(rejected)):
        cut = _last_whitespace_end(chosen, cut - 1)
    if not chosen[:cut].strip():
        raise RowError("chosen", "'chosen' and 'rejected' share no prompt prefix (implicit schema needs full "
                                 "texts that start with the same prompt; give a 'prompt' column otherwise)")
    return chosen[:cut], chosen[cut:], rejected[cut:]


def split_dialogues(chosen: str, rejected: str) -> tuple[str, str, str]:
    """(prompt, chosen, rejected) of two `\\n\\nHuman: … \\n\\nAssistant: …` dialogues: the prompt is the
    shared text up to and including the last `\\n\\nAssistant:` both hold at the same place; the responses
    are the rest — the final reply, possibly empty, or several turns when the versions diverge earlier.
    The prompt always ends with the marker and no response starts with it."""
    shared = common_prefix_length(chosen, rejected)
    end = shared
    while True:
        turn = chosen.rfind(ASSISTANT_TURN, 0, end)
        if turn < 0:
            raise RowError("chosen", "'chosen' and 'rejected' differ before their first '\\n\\nAssistant:' turn, so "
                                     "they share no prompt (give a 'prompt' column otherwise)")
        cut = turn + len(ASSISTANT_TURN)
        if not (chosen.startswith(ASSISTANT_TURN, cut) or rejected.startswith(ASSISTANT_TURN, cut)):
            return chosen[:cut], chosen[cut:], rejected[cut:]
        end = turn  # an empty turn followed by another assistant turn: cut at the turn before


def split_messages(chosen: list[dict], rejected: list[dict]) -> tuple[list, list, list]:
    """(prompt, chosen, rejected) from two conversations: the prompt is every message both share before
    their diverging final assistant replies."""
    shared = common_prefix_length(chosen, rejected)
    cut = min(shared, len(chosen) - 1, len(rejected) - 1)
    while cut > 0 and not chosen[cut]["role"] == rejected[cut]["role"] == "assistant":
        cut -= 1
    if cut == 0:
        raise RowError("chosen", "'chosen' and 'rejected' share no prompt messages; give a 'prompt' column")
    return chosen[:cut], chosen[cut:], rejected[cut:]


# ---- one normalizer per schema ------------------------------------------------------------------

def _explicit(r: dict) -> list[dict]:
    row = {"prompt": text(r.get("prompt"), "prompt"), "chosen": text(r.get("chosen"), "chosen"),
           "rejected": text(r.get("rejected"), "rejected")}
    distinct(row["chosen"], row["rejected"], "chosen", "rejected")
    return [row]


def _implicit(r: dict) -> list[dict]:
    chosen, rejected = text(r.get("chosen"), "chosen"), text(r.get("rejected"), "rejected")
    distinct(chosen, rejected, "chosen", "rejected")
    prompt, chosen, rejected = split_implicit(chosen, rejected)
    return [{"prompt": prompt, "chosen": chosen, "rejected": rejected}]


def _as_messages(value, field: str, role: str) -> list[dict]:
    if isinstance(value, str):
        return [{"role": role, "content": text(value, field)}]
    return messages(value, field)


def _conversational(r: dict) -> list[dict]:
    """Explicit prompt + replies, or whole conversations (chosen/rejected holding the prompt messages too,
    as in UltraFeedback, whose `prompt` column then only repeats the first user message)."""
    chosen = _as_messages(r.get("chosen"), "chosen", "assistant")
    rejected = _as_messages(r.get("rejected"), "rejected", "assistant")
    distinct(chosen, rejected, "chosen", "rejected")
    whole = isinstance(r.get("chosen"), list) and isinstance(r.get("rejected"), list)
    if whole and (r.get("prompt") is None or chosen[0]["role"] != "assistant"):
        prompt, chosen, rejected = split_messages(chosen, rejected)
    elif r.get("prompt") is not None:
        prompt = _as_messages(r["prompt"], "prompt", "user")
    else:
        raise RowError("prompt", "missing: chosen/rejected-only conversational rows need message lists")
    return [{"prompt": prompt, "chosen": chosen, "rejected": rejected}]


def _sharegpt(r: dict) -> list[dict]:
    prompt = messages(r.get("conversations"), "conversations", SHAREGPT_ROLES)
    if r.get("system") not in (None, ""):
        prompt.insert(0, {"role": "system", "content": text(r["system"], "system")})
    chosen = messages(r.get("chosen"), "chosen", SHAREGPT_ROLES)
    rejected = messages(r.get("rejected"), "rejected", SHAREGPT_ROLES)
    distinct(chosen, rejected, "chosen", "rejected")
    return [{"prompt": prompt, "chosen": chosen, "rejected": rejected}]


def _autotrain(r: dict) -> list[dict]:
    chosen, rejected = text(r.get("text"), "text"), text(r.get("rejected_text"), "rejected_text")
    distinct(chosen, rejected, "text", "rejected_text")
    if r.get("prompt") is None:
        prompt, chosen, rejected = split_implicit(chosen, rejected)
        return [{"prompt": prompt, "chosen": chosen, "rejected": rejected}]
    prompt = text(r["prompt"], "prompt")
    if chosen.startswith(prompt) and rejected.startswith(prompt):
        chosen, rejected = text(chosen[len(prompt):], "text"), text(rejected[len(prompt):], "rejected_text")
    return [{"prompt": prompt, "chosen": chosen, "rejected": rejected}]


def _response(value, field: str):
    return messages(value, field) if isinstance(value, list) else text(value, field)


def _candidates(r: dict) -> list[dict]:
    prompt = r.get("prompt")
    prompt = messages(prompt, "prompt") if isinstance(prompt, list) else text(prompt, "prompt")
    if r.get("completions") is not None:
        completions = r["completions"]
        if not isinstance(completions, list) or len(completions) < 2:
            raise RowError("completions", "must be a list of at least 2 responses")
        responses = [_response(c, f"completions[{i}]") for i, c in enumerate(completions, 1)]
        rows = []
        for (i, a), (j, b) in itertools.combinations(enumerate(responses, 1), 2):
            distinct(a, b, f"completions[{i}]", f"completions[{j}]")
            rows.append({"prompt": prompt, "response_a": a, "response_b": b, "_pair": f"{i}-{j}"})
        return rows
    a, b = _response(r.get("response_a"), "response_a"), _response(r.get("response_b"), "response_b")
    distinct(a, b, "response_a", "response_b")
    return [{"prompt": prompt, "response_a": a, "response_b": b}]


NORMALIZERS: dict[str, Callable[[dict], list[dict]]] = {
    "explicit": _explicit, "implicit": _implicit, "conversational": _conversational,
    "sharegpt": _sharegpt, "autotrain": _autotrain, "candidates": _candidates,
}


def normalize(record: dict, schema: str) -> list[dict]:
    """The normalized rows of one record (several for candidates with `completions`)."""
    rows = NORMALIZERS[schema](record)
    kept = extras(record)
    for row in rows:
        pair = row.pop("_pair", None)
        row.update(kept)
        if pair and "id" in row:
            row["id"] = f"{row['id']}#{pair}"
    return rows
