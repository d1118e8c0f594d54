"""The store's SQLite schema and how texts and messages are kept in it."""

from __future__ import annotations

import hashlib
import json

IMPORT_ANNOTATOR = "import"
"""The annotator of the labels that came with imported pairs (reserved: no person may use the name)."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS pairs (
    id          INTEGER PRIMARY KEY,
    prompt      TEXT NOT NULL,             -- plain text, or JSON messages when is_chat
    response_a  TEXT NOT NULL,             -- for imported labeled pairs: the chosen response
    response_b  TEXT NOT NULL,             -- for imported labeled pairs: the rejected response
    is_chat     INTEGER NOT NULL DEFAULT 0,
    category    TEXT,
    source      TEXT,
    margin      REAL,
    external_id TEXT,
    content_hash TEXT NOT NULL UNIQUE,     -- de-duplication: same prompt and same two responses
    swap        INTEGER NOT NULL,          -- 1: response_b is shown on the left (random per pair)
    rank        REAL NOT NULL,             -- random serving order
    n_labels    INTEGER NOT NULL DEFAULT 0,-- current labels that count (skips do not)
    imported    INTEGER NOT NULL DEFAULT 0,-- labeled at import: never served for labeling
    created_at  REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS pairs_serving ON pairs(imported, n_labels, rank);

CREATE TABLE IF NOT EXISTS leases (           -- a pair being shown to an annotator right now
    pair_id     INTEGER NOT NULL REFERENCES pairs(id) ON DELETE CASCADE,
    annotator   TEXT NOT NULL,
    until       REAL NOT NULL,
    PRIMARY KEY (pair_id, annotator)
);
CREATE INDEX IF NOT EXISTS leases_annotator ON leases(annotator, until);
CREATE INDEX IF NOT EXISTS pairs_category ON pairs(category);

CREATE TABLE IF NOT EXISTS labels (           -- append-only judgements; undo marks, never deletes
    id          INTEGER PRIMARY KEY,
    pair_id     INTEGER NOT NULL REFERENCES pairs(id) ON DELETE CASCADE,
    choice      TEXT NOT NULL CHECK (choice IN ('a', 'b', 'tie', 'both_bad', 'skip')),
    annotator   TEXT NOT NULL,
    shown_left  TEXT CHECK (shown_left IN ('a', 'b')),  -- which response was on the left (NULL: imported)
    created_at  REAL NOT NULL,
    undone_at   REAL
);
CREATE INDEX IF NOT EXISTS labels_pair ON labels(pair_id, annotator);
CREATE INDEX IF NOT EXISTS labels_annotator ON labels(annotator, id);

CREATE TABLE IF NOT EXISTS assistant_scores (  -- an assistant checkpoint's view of a pair (model-assisted labeling)
    pair_id     INTEGER NOT NULL REFERENCES pairs(id) ON DELETE CASCADE,
    checkpoint  TEXT NOT NULL,
    margin      REAL NOT NULL,             -- reward(response_a) - reward(response_b)
    abs_margin  REAL NOT NULL,             -- uncertainty: small means the checkpoint hardly prefers either
    scored_at   REAL NOT NULL,
    PRIMARY KEY (checkpoint, pair_id)
);
CREATE INDEX IF NOT EXISTS assistant_uncertainty ON assistant_scores(checkpoint, abs_margin);

CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
"""


def encode_text(value, is_chat: bool = False) -> str:
    """Plain pairs keep their texts as they are; in conversational pairs every field is JSON."""
    return json.dumps(value, ensure_ascii=False) if is_chat or isinstance(value, list) else (value or "")


def decode_text(value: str, is_chat: bool):
    return json.loads(value) if is_chat else value


def content_hash(prompt, response_a, response_b) -> str:
    """Identity of a pair: the prompt and the two responses, in either order."""
    a, b = sorted((encode_text(response_a), encode_text(response_b)))
    payload = json.dumps([encode_text(prompt), a, b], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
