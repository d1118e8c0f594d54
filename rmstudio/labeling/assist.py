"""Model-assisted labeling: an "assistant" checkpoint's view of each pair, and active learning.

The assistant scores the pairs still to label in the background, in batches (never in a request):
`reward(response_a) - reward(response_b)` is stored per pair. The Label tab shows which response the
assistant prefers and how sure it is (sigmoid of the margin), and the "uncertainty" serving order
gives annotators the pairs with the smallest |margin| first — the labels that teach a model most.
The assistant may be "latest": the checkpoint of the newest successful run, so the ranking is
refreshed whenever a new run finishes.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable

from rmstudio.errors import BadInput
from rmstudio.store import PreferenceStore

LATEST = "latest"
SERVING_ORDERS = ("random", "uncertainty")
log = logging.getLogger(__name__)


def configure(store: PreferenceStore, *, assistant: str | None = None, order: str | None = None,
              blind: bool | None = None) -> None:
    """Choose the assistant checkpoint (a path, "latest", or None for none), the serving order and blind mode."""
    if order is not None:
        if order not in SERVING_ORDERS:
            raise BadInput(f"order must be one of {', '.join(SERVING_ORDERS)}, got {order!r}", field="order")
        store.set_labeling_setting("serving_order", order)
    if assistant is not None:
        store.set_labeling_setting("assistant", assistant.strip() or None)
    if blind is not None:
        store.set_labeling_setting("assistant_blind", "1" if blind else "0")
    resolve_assistant(store)


def resolve_assistant(store: PreferenceStore) -> str | None:
    """The checkpoint path the assistant stands for now (resolving "latest"); recorded for `next_pair`."""
    settings = store.labeling_settings()
    checkpoint = latest_checkpoint(store.home) if settings.get("assistant") == LATEST else settings.get("assistant")
    if checkpoint != settings.get("assistant_checkpoint"):
        store.set_labeling_setting("assistant_checkpoint", checkpoint)
    return checkpoint


def is_blind(store: PreferenceStore) -> bool:
    return store.labeling_settings().get("assistant_blind", "1") == "1"


def latest_checkpoint(home) -> str | None:
    from rmstudio.jobs.queue import list_runs

    for run in list_runs(home):  # newest first
        if run["state"] == "succeeded" and run.get("checkpoint"):
            return run["checkpoint"]
    return None


def score_pairs(store: PreferenceStore, checkpoint: str, pair_ids: list[int]) -> dict[int, float]:
    """Score both responses of each pair with the checkpoint and store the margins."""
    from rmstudio.scoring.scorer import RewardScorer

    pairs = [p for p in (store.get_pair(i) for i in pair_ids) if p is not None]
    if not pairs:
        return {}
    scorer = RewardScorer.from_pretrained(checkpoint)
    rewards = scorer.score([p.prompt for p in pairs] * 2, [p.response_a for p in pairs] + [p.response_b for p in pairs],
                           allow_empty=True)
    margins = {p.id: rewards[i] - rewards[i + len(pairs)] for i, p in enumerate(pairs)}
    store.save_assistant_margins(checkpoint, margins)
    return margins


def score_pending(store: PreferenceStore, *, batch_size: int = 64, limit: int | None = None,
                  should_stop: Callable[[], bool] = lambda: False) -> int:
    """Score the pairs the current assistant has not seen, batch by batch; returns how many were scored."""
    checkpoint = resolve_assistant(store)
    done = 0
    while checkpoint and not should_stop() and (limit is None or done < limit):
        batch = batch_size if limit is None else min(batch_size, limit - done)
        ids = store.pairs_without_assistant_margin(checkpoint, batch)
        if not ids:
            break
        done += len(score_pairs(store, checkpoint, ids))
    return done


def suggestion(store: PreferenceStore, pair_id: int, *, compute_missing: bool = True) -> dict | None:
    """Which response the assistant prefers ("a"/"b"), its confidence sigmoid(|margin|), and the margin."""
    checkpoint = resolve_assistant(store)
    if not checkpoint:
        return None
    margin = store.assistant_margin(pair_id, checkpoint)
    if margin is None:
        if not compute_missing:
            return None
        try:
            margin = score_pairs(store, checkpoint, [pair_id]).get(pair_id)
        except BadInput as exc:  # e.g. the assistant checkpoint was deleted while selected
            return {"error": str(exc), "checkpoint": checkpoint}
        if margin is None:
            return None
    return {"prefers": "a" if margin >= 0 else "b", "confidence": 1 / (1 + math.exp(-abs(margin))),
            "margin": margin, "checkpoint": checkpoint}


def assistant_agreement(store: PreferenceStore, checkpoint: str | None = None) -> dict:
    """How often annotators' a/b judgements match what the assistant preferred (pairs it scored)."""
    checkpoint = checkpoint or resolve_assistant(store)
    labels, agree = store.assistant_agreement_counts(checkpoint or "")
    return {"checkpoint": checkpoint, "labels": labels, "agree": agree,
            "agreement": round(agree / labels, 4) if labels else None}


class BackgroundScorer:
    """A daemon thread that keeps the assistant's scores of the pairs to label up to date."""

    def __init__(self, store: PreferenceStore, *, interval: float = 15.0, batch_size: int = 64):
        self.store, self.interval, self.batch_size = store, interval, batch_size
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="rmstudio-assistant", daemon=True)

    def start(self) -> BackgroundScorer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                score_pending(self.store, batch_size=self.batch_size, limit=self.batch_size * 4,
                              should_stop=self._stop.is_set)
            except Exception:  # noqa: BLE001 - a broken checkpoint must not kill the app; retried later
                log.exception("assistant scoring failed")
            self._stop.wait(self.interval)
