"""Score (prompt, completion) pairs with a trained reward checkpoint, fast and exactly as in training.

`RewardScorer` reads the checkpoint's `rmstudio.json` through `encoding.PairEncoder.from_checkpoint`, so
texts are formatted and truncated by the same code the trainer used. Speed comes from tokenizing every
input up front (batched, in chunks, into compact arrays), running batches of similar length (longest
first, results put back in input order) under `torch.inference_mode`, with weights cast to bf16 once at
load where the hardware has fast bf16 (CUDA, or CPUs with AVX-512 BF16 / AMX; the reward head stays
fp32), and, for BERT-style encoders, a last layer that computes only the token the reward is read from
(`fast_model`). Loaded scorers are kept in a small LRU cache
bounded by the bytes of their weights, so a UI or a GRPO loop does not reload a checkpoint per call.
`RewardScorer.from_model` scores a model still in memory the same way (training's final evaluation).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path

from rmstudio.errors import BadInput
from rmstudio.model.hardware import bf16_is_fast
from rmstudio.scoring.checks import check_checkpoint, check_inputs, check_tokenizer_fits

__all__ = ["RewardScorer", "reward_func", "check_checkpoint", "check_inputs", "plan_batches", "clear_cache"]

ENV_CACHE_MB = "RMSTUDIO_SCORER_CACHE_MB"  # weight bytes kept loaded (default 2048 MB)
ENV_PRECISION = "RMSTUDIO_SCORER_PRECISION"  # "auto" (default), "bf16" or "fp32"
DEFAULT_BATCH_SIZE = 32
DEFAULT_BATCH_TOKENS = 8192  # padded tokens per forward: bounds activation memory for long inputs
CPU_BATCH_TOKENS = 4096  # on CPU, larger batches only spill out of the caches (slower)
TOKENIZE_CHUNK = 512  # texts tokenized per call: bounds the memory of untruncated token lists


class RewardScorer:
    """A loaded reward model that turns (prompt, completion) pairs into one float each."""

    def __init__(self, model, encoder, *, name: str, device: str = "cpu", bf16: bool = False):
        self.model = model
        self.encoder = encoder
        self.name = name
        self.device = device
        self.bf16 = bf16
        self.pad_id = _pad_id(encoder.tokenizer)
        self.nbytes = sum(p.numel() * p.element_size() for p in model.parameters())

    @classmethod
    def from_pretrained(
        cls,
        checkpoint: str | os.PathLike,
        *,
        device: str | None = None,
        precision: str | None = None,
        cache: bool = True,
    ) -> RewardScorer:
        """Load a checkpoint (directory or Hub id) with its tokenizer and rmstudio metadata.

        BadInput when it is not a reward-model checkpoint or its tokenizer does not fit the model.
        With `cache`, a scorer already loaded for the same files is returned (see `clear_cache`).
        """
        device = device or _default_device()
        precision = _checked_precision(precision)
        path = check_checkpoint(checkpoint)
        key = (path, device, precision, _weights_stamp(path))
        if cache:
            hit = _CACHE.get(key)
            if hit is not None:
                return hit
        bf16 = _use_bf16(device, precision)
        scorer = cls(*_load(path, device, bf16), name=str(checkpoint), device=device, bf16=bf16)
        if cache:
            _CACHE.put(key, scorer)
        return scorer

    @classmethod
    def from_model(
        cls, model, encoder, *, name: str, device: str | None = None, precision: str | None = None
    ) -> RewardScorer:
        """A scorer over a model already in memory (the one a training run just finished), scoring as
        `from_pretrained` scores it once saved: same checks, same speed-ups, same precision choice.

        The speed-ups change `model` in place (`fast_path`: a first-token-only last layer, bf16 weights),
        so save the model before handing it over. Not cached: nothing on disk names it yet.
        """
        device = device or str(next(model.parameters()).device)
        bf16 = _use_bf16(device, _checked_precision(precision))
        model = _prepared(model, encoder.tokenizer, name, device, bf16)
        return cls(model, encoder, name=name, device=device, bf16=bf16)

    # -- scoring --------------------------------------------------------------------------------------
    def score(
        self,
        prompts: list,
        completions: list,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        progress: bool = False,
        allow_empty: bool = False,
    ) -> list[float]:
        """One reward per (prompt, completion), in input order.

        Prompts and completions are strings or lists of {role, content} messages. Too-long inputs are
        truncated by the training policy (prompt cut from the left). Empty completions are BadInput
        unless `allow_empty` (a policy may generate them; `reward_func` scores them as they are).
        """
        check_inputs(prompts, completions, allow_empty=allow_empty)
        if batch_size < 1:
            raise BadInput(f"batch_size must be at least 1, got {batch_size}", field="batch_size")
        return self.score_ids(self.tokenize(prompts, completions), batch_size=batch_size, progress=progress)

    def score_ids(
        self, sequences: list, *, batch_size: int = DEFAULT_BATCH_SIZE, progress: bool = False
    ) -> list[float]:
        """One reward per token-id sequence, in input order: inputs already tokenized (by `tokenize`, or
        in another format, such as a baseline trainer's own)."""
        import numpy as np

        encoded = [np.asarray(ids, dtype=np.int64) for ids in sequences]
        rewards = [0.0] * len(encoded)
        for rows, values in self._run(encoded, batch_size, progress):
            for row, value in zip(rows, values, strict=True):
                rewards[row] = value
        return rewards

    def margins(self, prompts: list, chosen: list, rejected: list, **kwargs) -> list[float]:
        """r(prompt, chosen) - r(prompt, rejected) per pair, in input order; both sides are scored in one
        `score` call (keyword arguments go to it), so they share its length-sorted batches."""
        rewards = self.score(list(prompts) * 2, list(chosen) + list(rejected), **kwargs)
        n = len(prompts)
        return [c - r for c, r in zip(rewards[:n], rewards[n:], strict=True)]

    def __call__(self, prompts: list, completions: list, **kwargs) -> list[float]:
        return self.score(prompts, completions, **kwargs)

    def tokenize(self, prompts: list, completions: list) -> list:
        """Token ids of every pair as compact int arrays, tokenized in batched chunks before any forward."""
        import numpy as np

        out = []
        for start in range(0, len(prompts), TOKENIZE_CHUNK):
            stop = start + TOKENIZE_CHUNK
            items = self.encoder.encode_batch(list(prompts[start:stop]), list(completions[start:stop]))
            out.extend(np.asarray(item.ids, dtype=np.int64) for item in items)
        return out

    def _run(self, encoded: list, batch_size: int, progress: bool):
        """Yield (row indices, rewards) per batch; batches hold inputs of similar length, longest first."""
        import torch

        tokens = DEFAULT_BATCH_TOKENS if _device_type(self.device) == "cuda" else CPU_BATCH_TOKENS
        batches = plan_batches([len(ids) for ids in encoded], batch_size, tokens)
        bar = _progress_bar(len(encoded), progress)
        with torch.inference_mode():
            for rows in batches:
                input_ids, attention_mask = self._pad([encoded[r] for r in rows])
                logits = self.model(input_ids=input_ids, attention_mask=attention_mask).logits
                yield rows, logits[:, 0].float().cpu().tolist()
                if bar is not None:
                    bar.update(len(rows))
        if bar is not None:
            bar.close()

    def _pad(self, sequences: list):
        """Right-pad a batch with the pad token (as TRL's collator does in training). A batch without
        padding gets no mask, which lets attention use its fused kernels."""
        import numpy as np
        import torch

        width = max(len(s) for s in sequences)
        if all(len(s) == width for s in sequences):
            return torch.from_numpy(np.stack(sequences)).to(self.device), None
        ids = np.full((len(sequences), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(sequences), width), dtype=np.int64)
        for i, seq in enumerate(sequences):
            ids[i, : len(seq)] = seq
            mask[i, : len(seq)] = 1
        return torch.from_numpy(ids).to(self.device), torch.from_numpy(mask).to(self.device)


def plan_batches(lengths: list[int], batch_size: int, max_tokens: int) -> list[list[int]]:
    """Group row indices into batches of similar length, longest first, each with at most `batch_size`
    rows and (when more than one row) at most `max_tokens` padded tokens."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batches, current = [], []
    for row in order:
        width = lengths[current[0]] if current else lengths[row]  # the first row is the longest
        if current and (len(current) >= batch_size or (len(current) + 1) * width > max_tokens):
            batches.append(current)
            current = []
        current.append(row)
    if current:
        batches.append(current)
    return batches


# -- loading ------------------------------------------------------------------------------------------
def _weights_stamp(path: str) -> float:
    """Last change of the checkpoint's files (0 for Hub ids), so a retrained checkpoint is reloaded."""
    folder = Path(path)
    if not folder.is_dir():
        return 0.0
    return max((f.stat().st_mtime for f in folder.iterdir() if f.is_file()), default=0.0)


def _load(path: str, device: str, bf16: bool):
    """(model, encoder) of a checkpoint, the model `_prepared` for scoring."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from rmstudio.model.encoding import PairEncoder

    try:
        tokenizer = AutoTokenizer.from_pretrained(path)
    except (OSError, ValueError) as exc:
        raise BadInput(
            f"cannot load the tokenizer of checkpoint '{path}': {exc}", field="checkpoint"
        ) from exc
    model = AutoModelForSequenceClassification.from_pretrained(path)
    return _prepared(model, tokenizer, path, device, bf16), PairEncoder.from_checkpoint(path, tokenizer=tokenizer)


def _prepared(model, tokenizer, name: str, device: str, bf16: bool):
    """The model on `device` in eval mode, checked to be a one-output reward model whose tokenizer fits,
    and made faster by `fast_path` (bf16 weights when `bf16`)."""
    from rmstudio.scoring import fast_path as fast_model

    model = model.to(device).eval()
    check_tokenizer_fits(model, tokenizer, name)
    head = fast_model.keep_head_in_fp32(model)
    fast_model.read_first_token_only(model)
    if bf16:
        fast_model.cast_body_to_bf16(model, head)
    return model


def _pad_id(tokenizer) -> int:
    return tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0


def _default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _device_type(device: str) -> str:
    return str(device).split(":")[0]


def _checked_precision(precision: str | None) -> str:
    """The precision asked for (argument, else RMSTUDIO_SCORER_PRECISION, else "auto"); BadInput if unknown."""
    precision = (precision or os.environ.get(ENV_PRECISION) or "auto").lower()
    if precision not in {"auto", "bf16", "fp32"}:
        raise BadInput(f"precision must be auto, bf16 or fp32, got {precision!r}", field="precision")
    return precision


def _use_bf16(device: str, precision: str) -> bool:
    """bf16 weights when asked, or on "auto" when the hardware runs bf16 fast."""
    if precision != "auto":
        return precision == "bf16"
    return bf16_is_fast(device)


def _progress_bar(total: int, enabled: bool):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="scoring", unit="text", file=__import__("sys").stderr)


# -- cache --------------------------------------------------------------------------------------------
class ScorerCache:
    """Least-recently-used scorers, evicted once their weights exceed `budget_bytes` (the newest stays)."""

    def __init__(self, budget_bytes: int):
        self.budget_bytes = budget_bytes
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            scorer = self._items.get(key)
            if scorer is not None:
                self._items.move_to_end(key)
            return scorer

    def put(self, key, scorer: RewardScorer) -> None:
        with self._lock:
            self._items[key] = scorer
            self._items.move_to_end(key)
            while len(self._items) > 1 and self.total_bytes() > self.budget_bytes:
                self._items.popitem(last=False)

    def total_bytes(self) -> int:
        return sum(s.nbytes for s in self._items.values())

    def keys(self) -> list:
        with self._lock:
            return list(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_CACHE = ScorerCache(int(float(os.environ.get(ENV_CACHE_MB, "2048")) * 2**20))


def clear_cache() -> None:
    """Forget every loaded scorer (frees their memory once no one else holds them)."""
    _CACHE.clear()


# -- TRL reward function ------------------------------------------------------------------------------
def reward_func(
    checkpoint: str | os.PathLike, *, batch_size: int = DEFAULT_BATCH_SIZE, device: str | None = None
):
    """A TRL reward function backed by a checkpoint: `f(prompts, completions, **kwargs) -> list[float]`.

    Works in `GRPOTrainer(reward_funcs=[f])` / `RLOOTrainer` with plain-text or conversational data
    (completions as strings or as lists of assistant messages). The checkpoint loads now, so a bad one
    fails before training starts; empty generations get a score instead of stopping the training.
    """
    scorer = RewardScorer.from_pretrained(checkpoint, device=device)

    def reward(prompts, completions, **kwargs) -> list[float]:
        return scorer.score(list(prompts), list(completions), batch_size=batch_size, allow_empty=True)

    reward.__name__ = f"rmstudio_{Path(str(checkpoint)).name or 'reward'}"
    reward.scorer = scorer
    return reward
