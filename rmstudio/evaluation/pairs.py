"""Where the pairs of an evaluation come from: a file in any import schema, the store, a run's held-out split,
a `datasets.Dataset`, an `ImportBatch` or normalized rows — always labeled, normalized rows."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from rmstudio.errors import BadInput
from rmstudio.jobs.rundir import DATA_FILE, SPEC_FILE


def load_pairs(
    pairs: Any, *, home: str | os.PathLike | None = None, split: str | None = None, fmt: str | None = None
) -> tuple[list[dict], str]:
    """(labeled normalized rows, description of where they came from) for `evaluate`.

    `pairs` may be: "store" (the labeled pairs of the store at `home`); a run directory (its held-out
    eval split); a file, folder or Hub id in any import schema; an `ImportBatch`; a `datasets.Dataset`;
    or a list of dicts in any import schema. Unlabeled rows are BadInput: accuracy needs a preference.
    """
    from rmstudio.data.formats import ImportBatch, normalize_records, read_source

    if isinstance(pairs, ImportBatch):
        rows, name = pairs.rows, pairs.source
    elif isinstance(pairs, (str, os.PathLike)):
        text = str(pairs)
        if text == "store":
            rows, name = _store_rows(home), "store"
        elif is_run_dir(text):
            rows, name = run_eval_rows(text), f"{text} (eval split)"
        else:
            rows, name = read_source(text, split=split, fmt=fmt, progress=False).rows, text
    elif hasattr(pairs, "to_list") and hasattr(pairs, "column_names"):  # datasets.Dataset
        rows, name = normalize_records(pairs.to_list(), source="<dataset>", fmt=fmt).rows, "<dataset>"
    elif isinstance(pairs, list):
        rows, name = normalize_records(pairs, source="<rows>", fmt=fmt).rows, "<rows>"
    else:
        raise BadInput(
            f"cannot evaluate on a {type(pairs).__name__}; give a file, 'store', a run "
            "directory, a Dataset or a list of rows",
            field="data",
        )
    if not rows:
        raise BadInput("no pairs to evaluate", source=name, field="data")
    for i, row in enumerate(rows):
        if "chosen" not in row:
            raise BadInput(
                "unlabeled pair (no chosen/rejected): evaluation needs labeled pairs",
                source=name,
                row=i + 1,
                field="chosen",
            )
    return rows, name


def _store_rows(home) -> list[dict]:
    """The store's labeled pairs as stored: they were normalized on import (training reads them the same way),
    and normalizing again would refuse a chat pair whose response is not an "assistant" turn (a tool call)."""
    from rmstudio.settings import resolve_home
    from rmstudio.store import PreferenceStore

    dataset = PreferenceStore(resolve_home(home)).to_dataset()
    if len(dataset) == 0:
        raise BadInput("the store has no labeled pairs yet", source="store", field="data")
    return [{k: v for k, v in row.items() if v is not None and k != "pair_id"} for row in dataset.to_list()]


def is_run_dir(path: str | os.PathLike) -> bool:
    """A training run directory: it holds the frozen data snapshot and the spec."""
    folder = Path(path)
    return (folder / DATA_FILE).is_file() and (folder / SPEC_FILE).is_file()


def run_eval_rows(run_dir: str | os.PathLike) -> list[dict]:
    """The pairs a run held out for evaluation: its frozen snapshot split exactly as training split it
    (`trainset.split_pairs` with the run's eval_fraction and seed)."""
    from rmstudio.training.spec import TrainSpec
    from rmstudio.training.trainset import read_frozen, split_pairs

    spec = TrainSpec.from_json(Path(run_dir) / SPEC_FILE)
    _, held_out = split_pairs(read_frozen(run_dir), spec.eval_fraction, spec.seed)
    if not held_out:
        raise BadInput(
            "the run held out no pairs (eval_fraction 0)", source=str(run_dir), field="eval_fraction"
        )
    return [{k: v for k, v in row.items() if v is not None} for row in held_out]
