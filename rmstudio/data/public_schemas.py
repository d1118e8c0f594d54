"""Public preference datasets with their own columns: PKU-SafeRLHF, SHP and HelpSteer2-style scores.

Each is detected from its columns, or forced with `--format NAME` (`NAME:VARIANT` picks which preference
to use, see VARIANTS). PKU-SafeRLHF and SHP give one pair per record; HelpSteer2 rates one response per
record, so its records are validated one by one (as scored responses) and then paired per prompt by
`pair_scored_responses`.
"""

from __future__ import annotations

import itertools
import math

from rmstudio.data.values import RowError, distinct, text

PUBLIC_SCHEMAS = ("pku-saferlhf", "shp", "helpsteer2")

HELPSTEER_ATTRIBUTES = ("helpfulness", "correctness", "coherence", "complexity", "verbosity")

PUBLIC_REQUIRED = {
    "pku-saferlhf": ("prompt", "response_0", "response_1", "better_response_id"),
    "shp": ("history", "human_ref_A", "human_ref_B", "labels"),
    "helpsteer2": ("prompt", "response", "helpfulness"),
}
"""Columns each public schema needs with its default variant."""

VARIANTS = {
    "pku-saferlhf": ("better", "safer"),
    "helpsteer2": HELPSTEER_ATTRIBUTES,
}
"""The preference each schema can use: `pku-saferlhf:safer` pairs by `safer_response_id` instead of
`better_response_id`; `helpsteer2:correctness` by that attribute instead of helpfulness (any numeric
column name works). The first variant is the default."""

SCORED = "_score"
"""Key of a HelpSteer2 record's score in its intermediate (not yet paired) row."""


def split_format(fmt: str) -> tuple[str, str | None]:
    """("helpsteer2", "correctness") for "helpsteer2:correctness"; (fmt, None) without a variant."""
    base, _, variant = fmt.partition(":")
    return base, variant or None


def variant_of(schema: str) -> str:
    base, variant = split_format(schema)
    return variant or VARIANTS[base][0]


def required_columns(schema: str) -> tuple[str, ...]:
    """The columns a public schema (with its variant) needs."""
    base, _ = split_format(schema)
    columns = PUBLIC_REQUIRED[base]
    if base == "pku-saferlhf":
        return (*columns[:3], f"{variant_of(schema)}_response_id")
    if base == "helpsteer2":
        return (*columns[:2], variant_of(schema))
    return columns


def detect_public(present: set) -> str | None:
    """The public schema of a record whose non-empty columns are `present`, or None."""
    for schema, columns in PUBLIC_REQUIRED.items():
        if set(columns) <= present:
            return schema
    return None


def _choice(value, field: str) -> int:
    """0 or 1 (CSV gives "0"/"1"; Parquet may give floats)."""
    if isinstance(value, bool) or value is None:
        raise RowError(field, f"must be 0 or 1, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise RowError(field, f"must be 0 or 1, got {value!r}") from None
    if number not in (0, 1):
        raise RowError(field, f"must be 0 or 1, got {value!r}")
    return int(number)


def _score(value, field: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise RowError(field, f"must be a number, got {value!r}") from None
    if isinstance(value, bool) or not math.isfinite(number):
        raise RowError(field, f"must be a finite number, got {value!r}")
    return number


def pku_saferlhf(r: dict, schema: str) -> list[dict]:
    """PKU-SafeRLHF: the response `better_response_id` (or `safer_response_id`) names is chosen."""
    prompt = text(r.get("prompt"), "prompt")
    responses = [text(r.get("response_0"), "response_0"), text(r.get("response_1"), "response_1")]
    field = f"{variant_of(schema)}_response_id"
    best = _choice(r.get(field), field)
    distinct(responses[0], responses[1], "response_0", "response_1")
    return [{"prompt": prompt, "chosen": responses[best], "rejected": responses[1 - best]}]


def shp(r: dict, schema: str) -> list[dict]:
    """Stanford Human Preferences: `labels` 1 means human_ref_A is preferred, 0 human_ref_B; `domain`
    becomes the category."""
    prompt = text(r.get("history"), "history")
    a, b = text(r.get("human_ref_A"), "human_ref_A"), text(r.get("human_ref_B"), "human_ref_B")
    distinct(a, b, "human_ref_A", "human_ref_B")
    chosen, rejected = (a, b) if _choice(r.get("labels"), "labels") == 1 else (b, a)
    row = {"prompt": prompt, "chosen": chosen, "rejected": rejected}
    if isinstance(r.get("domain"), str) and r["domain"] and not any(r.get(k) for k in ("category", "subset", "source")):
        row["category"] = r["domain"]
    return [row]


def helpsteer2(r: dict, schema: str) -> list[dict]:
    """One scored response (paired later, per prompt, by `pair_scored_responses`)."""
    attribute = variant_of(schema)
    return [{"prompt": text(r.get("prompt"), "prompt"), "response": text(r.get("response"), "response"),
             SCORED: _score(r.get(attribute), attribute)}]


PUBLIC_NORMALIZERS = {"pku-saferlhf": pku_saferlhf, "shp": shp, "helpsteer2": helpsteer2}


def pair_scored_responses(rows: list[dict]) -> list[dict]:
    """Every two responses to the same prompt as a pair, the higher-scored one chosen; ties and identical
    responses give no pair. Optional columns (category, source) come from the chosen response's record."""
    by_prompt: dict[str, list[dict]] = {}
    for row in rows:
        by_prompt.setdefault(row["prompt"], []).append(row)
    pairs = []
    for prompt, group in by_prompt.items():
        for first, second in itertools.combinations(group, 2):
            if first[SCORED] == second[SCORED] or first["response"] == second["response"]:
                continue
            chosen, rejected = (first, second) if first[SCORED] > second[SCORED] else (second, first)
            kept = {k: v for k, v in chosen.items() if k in ("category", "source")}
            pairs.append({"prompt": prompt, "chosen": chosen["response"], "rejected": rejected["response"], **kept})
    return pairs
