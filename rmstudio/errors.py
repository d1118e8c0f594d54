"""Errors the user can fix. The CLI maps `BadInput` to exit code 2, the UI shows its message."""

from __future__ import annotations


class BadInput(ValueError):
    """Input that cannot be used as given: the message names the file, the row/line and the field.

    Raised before anything is stored, so a failed import or request leaves stored data untouched.
    """

    def __init__(self, message: str, *, source: str | None = None, row: int | None = None, field: str | None = None):
        self.source, self.row, self.field = source, row, field
        self.reason = message
        """What is wrong, without the file, row and field (which the full message leads with)."""
        where = ", ".join(
            part
            for part in (
                f"{source}" if source else "",
                f"row {row}" if row is not None else "",
                f"field '{field}'" if field else "",
            )
            if part
        )
        super().__init__(f"{where}: {message}" if where else message)
