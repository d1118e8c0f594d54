"""The import schemas: recognise a record's schema and turn it into normalized rows.

The six generic schemas live here, the public datasets with their own columns (PKU-SafeRLHF, SHP,
HelpSteer2) in rmstudio.data.public_schemas, the value checks in rmstudio.data.values.

A normalized row (what the store takes) has "prompt" plus either "chosen"/"rejected" (labeled) or
"response_a"/"response_b" (candidates to label). Texts are strings; conversational data stays a list
of {"role", "content"} messages so training can apply a chat template. Optional keys: "category",
"margin", "id", "source". Problems are raised as `RowError(field, message)`; the caller adds the
file and row.
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Callable

from rmstudio.data.public_schemas import (
    PUBLIC_NORMALIZERS,
    PUBLIC_REQUIRED,
    PUBLIC_SCHEMAS,
    detect_public,
    pair_scored_responses,
    required_columns,
    split_format,
)
from rmstudio.data.values import (  # noqa: F401 - MAX_FIELD_CHARS, empty_texts: the schema API formats uses
    MAX_FIELD_CHARS,
    RowError,
    distinct,
    empty_texts,
    extras,
    messages,
    text,
)

SCHEMAS = ("explicit", "implicit", "conversational", "sharegpt", "autotrain", "candidates", *PUBLIC_SCHEMAS)
REQUIRED = {
    "explicit": ("prompt", "chosen", "rejected"),
    "implicit": ("chosen", "rejected"),
    "conversational": ("chosen", "rejected"),
    "sharegpt": ("conversations", "chosen", "rejected"),
    "autotrain": ("text", "rejected_text"),
    "candidates": ("prompt", "response_a", "response_b"),
    **PUBLIC_REQUIRED,
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
                   "response_a", "response_b", "completions",
                   *sorted({c for cols in PUBLIC_REQUIRED.values() for c in cols} - {"prompt"}))


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
    public = detect_public(set(present))
    if public:
        return public
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
    needed = required_columns(schema) if split_format(schema)[0] in PUBLIC_SCHEMAS else REQUIRED[schema]
    return [c for c in needed if c not in present]

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
    """The normalized rows of one record (several for candidates with `completions`; for helpsteer2 one
    scored response, which `finish` pairs with the others)."""
    base = split_format(schema)[0]
    rows = PUBLIC_NORMALIZERS[base](record, schema) if base in PUBLIC_NORMALIZERS else NORMALIZERS[base](record)
    kept = extras(record)
    for row in rows:
        pair = row.pop("_pair", None)
        row.update(kept)
        if pair and "id" in row:
            row["id"] = f"{row['id']}#{pair}"
    return rows


def finish(rows: list[dict], schema: str) -> list[dict]:
    """The normalized rows of a whole source once every record is checked: helpsteer2's scored responses
    paired per prompt; other schemas' rows as they are."""
    return pair_scored_responses(rows) if split_format(schema)[0] == "helpsteer2" else rows
