"""The one place that turns (prompt, completion) into token ids, used by training and scoring alike.

Truncation policy (never drops a pair): when prompt + completion exceed `max_length`, the prompt is cut
from the LEFT so the end of the conversation and the whole completion survive; a completion longer than
the limit on its own is cut from the RIGHT (and no prompt tokens remain).

Text format:
- plain strings: ``prompt + SEP + completion`` where SEP is ``"\\n"`` when neither side already has
  whitespace at the join, else nothing (TRL concatenates the two; the newline only keeps words apart).
  `PairEncoder.join_text` returns that text, e.g. for ``pipeline("text-classification")`` users.
- message lists (conversational): the tokenizer's chat template renders prompt + completion; the
  prompt part is what the template renders for the prompt with ``add_generation_prompt=True``.
  A string on one side is wrapped as a user / assistant message.
- special tokens: whatever the tokenizer adds around a single sequence (``[CLS] … [SEP]`` for
  BERT-style, ``<s> …`` for Llama-style); decoders that add nothing at the end get the eos token
  appended to plain text (`append_eos`) so the reward is read at a fixed token, as TRL does; chat-rendered
  text gets no eos (the template closes the turn, as in TRL).

Usage::

    enc = PairEncoder(tokenizer, max_length=512)            # or PairEncoder.from_checkpoint(ckpt)
    ids = enc.encode(prompt, completion)                    # list[int], never longer than max_length
    items = enc.encode_batch(prompts, completions)          # list[Encoded] (fast batched tokenization)

Checkpoints saved by rmstudio hold ``rmstudio.json`` whose ``"encoding"`` entry is `PairEncoder.metadata()`,
so `from_checkpoint` reproduces the exact formatting the model was trained with.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

METADATA_FILE = "rmstudio.json"
ENCODING_VERSION = 1

#: Used for conversational data when the tokenizer has no chat template (e.g. BERT-style encoders).
FALLBACK_CHAT_TEMPLATE = (
    "{% for message in messages %}{{ message['role'] }}: {{ message['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}assistant: {% endif %}"
)


@dataclass
class Encoded:
    """Token ids of one (prompt, completion) and what truncation removed from each side."""

    ids: list[int]
    prompt_tokens_cut: int = 0
    completion_tokens_cut: int = 0

    @property
    def truncated(self) -> bool:
        return bool(self.prompt_tokens_cut or self.completion_tokens_cut)


def is_conversational(value: Any) -> bool:
    """True for a list of {role, content} messages."""
    return isinstance(value, list) and (not value or isinstance(value[0], dict))


def _as_messages(value: Any, role: str) -> list[dict]:
    if is_conversational(value):
        return [{"role": m["role"], "content": m["content"]} for m in value]
    return [{"role": role, "content": value}] if value else []


def _special_tokens_around(tokenizer) -> tuple[list[int], list[int]]:
    """The ids the tokenizer adds before and after one sequence (e.g. [CLS] and [SEP])."""
    core = tokenizer("a", add_special_tokens=False)["input_ids"]
    full = tokenizer("a", add_special_tokens=True)["input_ids"]
    for start in range(len(full) - len(core) + 1):
        if full[start : start + len(core)] == core:
            return list(full[:start]), list(full[start + len(core) :])
    return [], []


class PairEncoder:
    """Formats and tokenizes (prompt, completion) pairs under rmstudio's truncation policy."""

    def __init__(self, tokenizer, max_length: int, *, append_eos: bool | None = None, separator: str = "\n"):
        if max_length < 8:
            raise ValueError(f"max_length must be at least 8 tokens, got {max_length}")
        self.tokenizer = tokenizer
        self.max_length = int(max_length)
        self.separator = separator
        self.prefix, self.suffix = _special_tokens_around(tokenizer)
        if append_eos is None:
            append_eos = not self.suffix and tokenizer.eos_token_id is not None
        self.append_eos = bool(append_eos)

    @classmethod
    def from_checkpoint(cls, path: str | os.PathLike, tokenizer=None) -> PairEncoder:
        """The encoder a checkpoint was trained with (defaults for checkpoints not made by rmstudio)."""
        if tokenizer is None:
            from transformers import AutoTokenizer

            tokenizer = AutoTokenizer.from_pretrained(str(path))
        meta = read_metadata(path).get("encoding", {})
        max_length = meta.get("max_length") or default_max_length(path, tokenizer)
        return cls(
            tokenizer,
            max_length,
            append_eos=meta.get("append_eos"),
            separator=meta.get("separator", "\n"),
        )

    def metadata(self) -> dict:
        """What `from_checkpoint` needs to reproduce this encoder (stored in rmstudio.json)."""
        return {
            "version": ENCODING_VERSION,
            "max_length": self.max_length,
            "append_eos": self.append_eos,
            "separator": self.separator,
            "chat_template": bool(getattr(self.tokenizer, "chat_template", None)),
            "truncation": "prompt cut from the left, completion kept (cut from the right if alone too long)",
        }

    # -- text ---------------------------------------------------------------------------------------
    def render(self, prompt: Any, completion: Any) -> tuple[str, str, bool]:
        """(prompt text, completion text, chat) — the two parts of the text the model reads."""
        if is_conversational(prompt) or is_conversational(completion):
            return (
                *self._render_chat(_as_messages(prompt, "user"), _as_messages(completion, "assistant")),
                True,
            )
        prompt, completion = prompt or "", completion or ""
        if prompt and completion and not prompt[-1].isspace() and not completion[0].isspace():
            prompt += self.separator
        return prompt, completion, False

    def join_text(self, prompt: Any, completion: Any) -> str:
        """The full text of a pair, e.g. to feed a text-classification pipeline."""
        head, tail, _ = self.render(prompt, completion)
        return head + tail

    def _render_chat(self, prompt_msgs: list[dict], completion_msgs: list[dict]) -> tuple[str, str]:
        template = getattr(self.tokenizer, "chat_template", None) or FALLBACK_CHAT_TEMPLATE
        apply = self.tokenizer.apply_chat_template
        full = apply(prompt_msgs + completion_msgs, tokenize=False, chat_template=template)
        if not prompt_msgs:
            return "", full
        head = apply(prompt_msgs, tokenize=False, add_generation_prompt=True, chat_template=template)
        cut = len(os.path.commonprefix([full, head]))
        return full[:cut], full[cut:]

    # -- tokens -------------------------------------------------------------------------------------
    def encode(self, prompt: Any, completion: Any) -> list[int]:
        """Token ids of one pair side, truncated by the policy (never longer than max_length)."""
        return self.encode_batch([prompt], [completion])[0].ids

    def encode_batch(self, prompts: list, completions: list) -> list[Encoded]:
        """Encode many (prompt, completion) at once with batched tokenization."""
        if len(prompts) != len(completions):
            raise ValueError("prompts and completions must have the same length")
        if not prompts:
            return []
        rendered = [self.render(p, c) for p, c in zip(prompts, completions, strict=True)]
        tok = self.tokenizer
        heads = tok([r[0] for r in rendered], add_special_tokens=False, verbose=False)["input_ids"]
        tails = tok([r[1] for r in rendered], add_special_tokens=False, verbose=False)["input_ids"]
        return [self._assemble(h, t, chat) for h, t, (_, _, chat) in zip(heads, tails, rendered, strict=True)]

    def _assemble(self, head: list[int], tail: list[int], chat: bool) -> Encoded:
        prefix = self.prefix
        if prefix and head[: len(prefix)] == prefix:  # a chat template that writes bos itself
            head = head[len(prefix) :]
        eos = [self.tokenizer.eos_token_id] if self.append_eos and not chat else []
        if eos and tail and tail[-1] == eos[0]:
            eos = []
        budget = self.max_length - len(prefix) - len(self.suffix) - len(eos)
        head, tail, cut_head, cut_tail = truncate(head, tail, budget)
        return Encoded(prefix + head + tail + eos + self.suffix, cut_head, cut_tail)


def truncate(head: list[int], tail: list[int], budget: int) -> tuple[list[int], list[int], int, int]:
    """Fit head+tail into budget: cut the head (prompt) from the left first, then the tail from the right."""
    if len(head) + len(tail) <= budget:
        return head, tail, 0, 0
    if len(tail) <= budget:
        keep = budget - len(tail)
        return (head[len(head) - keep :] if keep else []), tail, len(head) - keep, 0
    return [], tail[:budget], len(head), len(tail) - budget


def default_max_length(path_or_config, tokenizer=None, cap: int = 8192) -> int:
    """The longest input the model accepts: its position limit (capped), else the tokenizer's limit."""
    config = path_or_config
    if isinstance(path_or_config, (str, os.PathLike)):
        from transformers import AutoConfig

        config = AutoConfig.from_pretrained(str(path_or_config))
    limit = position_limit(config)
    tok_limit = getattr(tokenizer, "model_max_length", None) if tokenizer is not None else None
    if tok_limit and tok_limit < 10**7:
        limit = min(limit, tok_limit) if limit else tok_limit
    return min(limit or cap, cap)


def position_limit(config) -> int | None:
    """max_position_embeddings (or its aliases) of a model config, None when it has none."""
    text_config = config.get_text_config() if hasattr(config, "get_text_config") else config
    for name in ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length"):
        value = getattr(text_config, name, None)
        if isinstance(value, int) and value > 0:
            # RoBERTa-style models reserve padding_idx + 1 positions.
            if getattr(text_config, "model_type", "") in {"roberta", "xlm-roberta", "camembert"}:
                value -= 2
            return value
    return None


def read_metadata(path: str | os.PathLike) -> dict:
    """rmstudio.json of a checkpoint, {} when absent."""
    file = Path(path) / METADATA_FILE
    if file.is_file():
        return json.loads(file.read_text())
    return {}
