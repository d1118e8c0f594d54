"""Labeling guidelines: one Markdown file in the home (`<home>/guidelines.md`) that admins edit in the app."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from rmstudio.errors import BadInput

FILENAME = "guidelines.md"
MAX_CHARS = 50_000

DEFAULT_GUIDELINES = """\
**Pick the response you would rather receive.** Judge, in this order:

1. **Correct and safe** — no factual errors, no harmful advice.
2. **Helpful** — answers what was asked, completely, with the steps or code that work.
3. **Clear** — well organised and no longer than needed; tone polite.

- **Tie** — both are about equally good.
- **Both bad** — neither is acceptable (wrong, harmful, off-topic, or empty).
- **Skip** — you cannot judge this one (topic you don't know, unreadable text).

The two responses appear in random order: the left one is not special.
"""


def guidelines_path(home: str | os.PathLike) -> Path:
    return Path(home) / FILENAME


def read_guidelines(home: str | os.PathLike) -> str:
    """The home's guidelines, or the default ones when no admin has written any yet."""
    path = guidelines_path(home)
    return path.read_text(encoding="utf-8") if path.is_file() else DEFAULT_GUIDELINES


def save_guidelines(home: str | os.PathLike, text: str) -> Path:
    """Replace the guidelines atomically (a reader never sees half a file)."""
    if not isinstance(text, str) or not text.strip():
        raise BadInput("the guidelines are empty", field="guidelines")
    if len(text) > MAX_CHARS:
        raise BadInput(f"the guidelines are {len(text)} characters long; the limit is {MAX_CHARS}",
                       field="guidelines")
    path = guidelines_path(home)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".guidelines-", suffix=".md")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text if text.endswith("\n") else text + "\n")
    os.replace(tmp, path)
    return path
