"""Plain texts as chat messages, so that a set of pairs has one value type per text column.

A `datasets`/Arrow column holds one type, and a chat template needs messages: when any pair of a set is
conversational, every pair's plain texts become single messages. The store's training view and a run's
snapshot both shape their rows this way.
"""

from __future__ import annotations

TEXT_COLUMNS = ("prompt", "chosen", "rejected")


def one_type_per_column(rows: list[dict]) -> list[dict]:
    """The rows with messages in every text column when any row has messages there, else the rows as they are."""
    if not any(isinstance(row.get(column), list) for row in rows for column in TEXT_COLUMNS):
        return rows
    return [with_messages(row) for row in rows]


def with_messages(row: dict) -> dict:
    """The row with its prompt as one user message (none when empty) and each plain response as one assistant
    message; message lists and missing responses stay as they are."""
    prompt = row.get("prompt")
    if not isinstance(prompt, list):
        prompt = [{"role": "user", "content": prompt}] if prompt else []
    responses = {column: [{"role": "assistant", "content": row[column]}] if isinstance(row.get(column), str)
                 else row.get(column) for column in ("chosen", "rejected")}
    return {**row, "prompt": prompt, **responses}
