"""A run's data: frozen snapshot (data.parquet + hash), eval split, and tokenization that drops nothing silently.

Rows are normalized pairs (prompt, chosen, rejected, + category, margin, id). When any row is
conversational, every row becomes message lists (one type per column), as the store does.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from dataclasses import dataclass, field
from pathlib import Path

from rmstudio.data.messages import one_type_per_column
from rmstudio.errors import BadInput
from rmstudio.jobs.rundir import DATA_FILE

MIN_EVAL_PAIRS = 4
MIN_TRAIN_PAIRS = 8


def load_rows(spec) -> list[dict]:
    """The labeled pairs a spec names: the store at spec.home (data=None) or an import source."""
    if spec.data is None:
        from rmstudio.settings import resolve_home
        from rmstudio.store import PreferenceStore

        rows = PreferenceStore(resolve_home(spec.home)).to_dataset().to_list()
        where = "the store"
    else:
        from rmstudio.data.formats import read_source

        rows = [r for r in read_source(spec.data).rows if "chosen" in r and "rejected" in r]
        where = spec.data
    if not rows:
        raise BadInput(
            f"no labeled pairs in {where}: label some pairs or import a preference file first",
            source=None if spec.data is None else spec.data,
            field="data",
        )
    return rows


def normalize(rows: list[dict]) -> list[dict]:
    """Keep the training columns; one value type per column (messages everywhere when any row has them)."""
    out = []
    for r in rows:
        margin = r.get("margin")
        out.append({
            "prompt": "" if r.get("prompt") is None else r["prompt"],
            "chosen": r.get("chosen"),
            "rejected": r.get("rejected"),
            "category": None if r.get("category") is None else str(r["category"]),
            "margin": None if margin is None or margin != margin else float(margin),
            "id": None if r.get("id") is None else str(r["id"]),
        })
    return one_type_per_column(out)


def data_hash(rows: list[dict]) -> str:
    """sha256 over the canonical JSON of the rows (stable across parquet writers)."""
    digest = hashlib.sha256()
    for row in rows:
        digest.update(json.dumps(row, sort_keys=True, ensure_ascii=False).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def freeze_data(spec, run_dir) -> str:
    """Write run_dir/data.parquet once (the run's snapshot) and return its hash; later calls only read it."""
    path = Path(run_dir) / DATA_FILE
    if path.exists():
        digest = data_hash(read_frozen(run_dir))
    else:
        rows = normalize(load_rows(spec))
        if spec.max_pairs and len(rows) > spec.max_pairs:
            rows = random.Random(spec.seed).sample(rows, spec.max_pairs)
        check_enough(len(rows), spec.eval_fraction)
        write_parquet(rows, path)
        digest = data_hash(rows)
    if getattr(spec, "data_hash", None) is None:
        spec.data_hash = digest
    return digest


def write_parquet(rows: list[dict], path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    pq.write_table(pa.Table.from_pylist(rows), tmp)
    os.replace(tmp, path)


def read_frozen(run_dir) -> list[dict]:
    import pyarrow.parquet as pq

    return pq.read_table(Path(run_dir) / DATA_FILE).to_pylist()


def eval_size(n: int, fraction: float) -> int:
    return 0 if not fraction else max(MIN_EVAL_PAIRS, round(n * fraction))


def check_enough(n: int, fraction: float) -> None:
    """BadInput when n pairs cannot give MIN_TRAIN_PAIRS training pairs plus the eval split."""
    needed = MIN_TRAIN_PAIRS + (MIN_EVAL_PAIRS if fraction else 0)
    if n - eval_size(n, fraction) < MIN_TRAIN_PAIRS:
        raise BadInput(
            f"only {n} labeled pair(s): training needs at least {needed} "
            f"({MIN_TRAIN_PAIRS} to train{f' + {MIN_EVAL_PAIRS} held out for evaluation' if fraction else ''})",
            field="data",
        )


def split_pairs(rows: list[dict], fraction: float, seed: int) -> tuple[list[dict], list[dict]]:
    """(train, eval): eval holds whole prompt groups when it can (no prompt in both), ~fraction of pairs."""
    check_enough(len(rows), fraction)
    want = eval_size(len(rows), fraction)
    if not want:
        return list(rows), []
    groups: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        groups.setdefault(json.dumps(row["prompt"], sort_keys=True), []).append(i)
    keys = sorted(groups)
    random.Random(seed).shuffle(keys)
    held: list[int] = []
    for key in keys:
        if len(held) >= want:
            break
        if len(held) + len(groups[key]) <= want + max(2, want // 4):
            held.extend(groups[key])
    if len(held) < want or len(rows) - len(held) < MIN_TRAIN_PAIRS:  # few, large prompt groups
        order = list(range(len(rows)))
        random.Random(seed).shuffle(order)
        held = order[:want]
    chosen = set(held)
    return [r for i, r in enumerate(rows) if i not in chosen], [rows[i] for i in sorted(chosen)]


@dataclass
class TokenizedPairs:
    """Token ids ready for RewardTrainer, plus what truncation and dropping did."""

    columns: dict  # chosen_ids, rejected_ids, length (+ margin), one entry per kept pair
    rows: list[dict]  # the kept rows, aligned with columns
    truncated: int = 0
    dropped: dict[str, int] = field(default_factory=dict)  # reason -> count

    @property
    def dropped_total(self) -> int:
        return sum(self.dropped.values())

    def dataset(self):
        from datasets import Dataset

        return Dataset.from_dict(self.columns)


def _unusable(row: dict) -> str | None:
    for c in ("chosen", "rejected"):
        if not isinstance(row.get(c), (str, list)):
            return f"{c} is missing"
    if json.dumps(row["chosen"], sort_keys=True) == json.dumps(row["rejected"], sort_keys=True):
        return "chosen and rejected are identical"
    return None


def tokenize_pairs(encoder, rows: list[dict]) -> TokenizedPairs:
    """Encode every pair under the truncation policy; only truly unusable pairs are dropped (with reasons)."""
    dropped: dict[str, int] = {}
    usable = []
    for row in rows:
        reason = _unusable(row)
        if reason is None:
            try:
                encoder.render(row["prompt"], row["chosen"])
                encoder.render(row["prompt"], row["rejected"])
            except Exception as exc:  # noqa: BLE001 - a chat template rejecting this conversation
                reason = f"cannot be rendered with the chat template ({type(exc).__name__})"
        if reason:
            dropped[reason] = dropped.get(reason, 0) + 1
        else:
            usable.append(row)
    prompts = [r["prompt"] for r in usable]
    chosen = encoder.encode_batch(prompts, [r["chosen"] for r in usable])
    rejected = encoder.encode_batch(prompts, [r["rejected"] for r in usable])
    columns: dict[str, list] = {"chosen_ids": [], "rejected_ids": [], "length": []}
    kept, truncated = [], 0
    same_after_cut = f"identical after truncation to max_length={encoder.max_length}"
    for row, c, r in zip(usable, chosen, rejected, strict=True):
        if c.ids == r.ids:
            dropped[same_after_cut] = dropped.get(same_after_cut, 0) + 1
            continue
        truncated += c.truncated or r.truncated
        columns["chosen_ids"].append(c.ids)
        columns["rejected_ids"].append(r.ids)
        columns["length"].append(len(c.ids) + len(r.ids))
        kept.append(row)
    if any(r.get("margin") is not None for r in kept):
        columns["margin"] = [r.get("margin") or 0.0 for r in kept]
    return TokenizedPairs(columns=columns, rows=kept, truncated=truncated, dropped=dropped)
