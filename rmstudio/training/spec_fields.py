"""Declared options: spec dataclass fields that carry their own help, range, choices and place in the Train form.

A spec (`TrainSpec`, `GenerateSpec`) declares each option once, in the style of TRL's configs
(`field(metadata={"help": ...})`): `option(default, help=..., low=..., ...)`. From that one declaration the
spec checks and coerces its values on construction, `rmstudio.cli` generates the command's flags and the
Train form its Advanced fields. Fields declared without `option` are bookkeeping the program fills in.
"""

from __future__ import annotations

import json
import os
import types
import typing
from dataclasses import MISSING, asdict, dataclass, field, fields
from functools import cache
from pathlib import Path
from typing import Any

from rmstudio.errors import BadInput


def option(default: Any = None, *, help: str, low: float | None = None, high: float | None = None,
           low_inclusive: bool = True, choices: tuple[str, ...] = (), label: str | None = None,
           group: str | None = None, zero_means: str | None = None):
    """A spec field users may set. `low`/`high` bound numbers (`low` exclusive unless `low_inclusive`),
    `choices` lists a text option's values; `label` and `group` place it in the Train form's Advanced panel
    (None: not there); `zero_means` says what 0 stands for in a form number box, which shows "not set" as 0."""
    return field(default=default, metadata={"help": help, "low": low, "high": high, "low_inclusive": low_inclusive,
                                            "choices": tuple(choices), "label": label, "group": group,
                                            "zero_means": zero_means})


@dataclass(frozen=True)
class Option:
    """One declared option of a spec: its field's name, type and default plus what `option` declared."""

    name: str
    kind: type
    default: Any
    help: str
    low: float | None
    high: float | None
    low_inclusive: bool
    choices: tuple[str, ...]
    label: str | None
    group: str | None
    zero_means: str | None

    @property
    def flag(self) -> str:
        """The CLI flag that sets it."""
        return "--" + self.name.replace("_", "-")

    @property
    def widget(self) -> str:
        """How the form shows it: checkbox, dropdown, number or text."""
        if self.kind is bool:
            return "checkbox"
        if self.choices:
            return "dropdown"
        return "number" if self.kind in (int, float) else "text"

    @property
    def bounds(self) -> str:
        """The allowed range in words ("≥ 1 and ≤ 4096"); empty when unbounded."""
        parts = []
        if self.low is not None:
            parts.append(f"{'≥' if self.low_inclusive else '>'} {self.low}")
        if self.high is not None:
            parts.append(f"≤ {self.high}")
        return " and ".join(parts)

    def described(self, *notes: str) -> str:
        """The help text with the non-empty `notes` (range, default, ...) in parentheses after it."""
        notes = "; ".join(note for note in notes if note)
        return f"{self.help} ({notes})" if notes else self.help

    def check(self, value):
        """`value` coerced to the option's type (numeric strings become numbers); BadInput names the field."""
        if value is None:
            return value
        if self.choices:
            if value not in self.choices:
                raise BadInput(f"{self.name} must be one of {', '.join(self.choices)}, got {value!r}", field=self.name)
            return value
        return self._checked_number(value) if self.kind in (int, float) else value

    def _checked_number(self, value):
        try:
            if isinstance(value, bool) or (self.kind is int and float(value) != int(float(value))):
                raise ValueError
            coerced = float(value) if self.kind is float else int(float(value))
        except (TypeError, ValueError):
            raise BadInput(f"{self.name} must be a{'n integer' if self.kind is int else ' number'}, got {value!r}",
                           field=self.name) from None
        too_low = self.low is not None and (coerced < self.low if self.low_inclusive else coerced <= self.low)
        if too_low or (self.high is not None and coerced > self.high):
            raise BadInput(f"{self.name} must be {self.bounds}, got {value!r}", field=self.name)
        return coerced


@cache
def options(spec_class: type) -> tuple[Option, ...]:
    """The declared options of a spec class, in field order."""
    hints = typing.get_type_hints(spec_class)
    return tuple(Option(name=f.name, kind=_plain_type(hints[f.name]),
                        default=None if f.default is MISSING else f.default, **f.metadata)
                 for f in fields(spec_class) if "help" in f.metadata)


def _plain_type(hint) -> type:
    """`float` for `float | None`; the hint itself otherwise."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return next(arg for arg in typing.get_args(hint) if arg is not type(None))
    return typing.get_origin(hint) or hint


class Spec:
    """Base of the spec dataclasses: checks the declared options on construction and reads and writes spec.json.

    Subclasses set `noun` (it names the spec in messages) and extend `check_values` with rules the declarations
    cannot express, and `validate` with checks of the world (files that must exist, ...).
    """

    noun = "spec"

    def __post_init__(self) -> None:
        self.check_values()

    def check_values(self) -> None:
        """Coerce every declared option and check its range or choices (BadInput names the field)."""
        for declared in options(type(self)):
            setattr(self, declared.name, declared.check(getattr(self, declared.name)))

    def validate(self):
        """Check the spec again (its fields may have changed since construction) before it is used; returns self."""
        self.check_values()
        return self

    @classmethod
    def from_dict(cls, data: dict):
        """A spec from a dict of field values; an unknown key is BadInput naming it (a typo is not ignored)."""
        if not isinstance(data, dict):
            raise BadInput(f"a {cls.noun} spec must be a JSON object, not {type(data).__name__}")
        unknown = sorted(set(data) - {f.name for f in fields(cls)})
        if unknown:
            raise BadInput(f"unknown {cls.noun} option(s): {', '.join(unknown)}", field=unknown[0])
        return cls(**data)

    @classmethod
    def from_json(cls, path: str | os.PathLike):
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BadInput(f"cannot read the {cls.noun} spec: {exc}", source=str(path)) from exc
        return cls.from_dict(data)

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self, path: str | os.PathLike) -> None:
        """Write the spec atomically: readers see the old file or the whole new one, never a part."""
        path = Path(path)
        text = json.dumps(self.to_dict(), indent=2, ensure_ascii=False)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
