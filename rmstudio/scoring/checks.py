"""What the scorer checks before any work: that a checkpoint is a reward model whose tokenizer fits it,
and that prompts/completions can be scored. Every problem is a BadInput naming the field (and row)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from rmstudio.errors import BadInput

WEIGHT_FILES = (
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
    "adapter_model.safetensors",
)
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "tokenizer.model")


def check_inputs(prompts: Any, completions: Any, *, allow_empty: bool = False) -> None:
    """BadInput naming the row (counted from 1) and field of the first value that cannot be scored."""
    for name, values in (("prompts", prompts), ("completions", completions)):
        if isinstance(values, (str, bytes, dict)) or not hasattr(values, "__len__"):
            raise BadInput(
                f"{name} must be a list (one entry per pair), got {type(values).__name__}", field=name
            )
    if len(prompts) != len(completions):
        raise BadInput(
            f"got {len(prompts)} prompts but {len(completions)} completions; give one prompt per completion",
            field="completions",
        )
    for row, (prompt, completion) in enumerate(zip(prompts, completions, strict=True), start=1):
        _check_value(prompt, row, "prompt", allow_empty=True)
        _check_value(completion, row, "completion", allow_empty=allow_empty)


def _check_value(value: Any, row: int, field: str, *, allow_empty: bool) -> None:
    if isinstance(value, str):
        if not allow_empty and not value.strip():
            raise BadInput(f"the {field} is empty", row=row, field=field)
        return
    if isinstance(value, list) and all(isinstance(m, dict) for m in value):
        for message in value:
            if not isinstance(message.get("role"), str) or not isinstance(message.get("content"), str):
                raise BadInput(
                    f"each {field} message needs string 'role' and 'content', got {message!r:.80}",
                    row=row,
                    field=field,
                )
        if not allow_empty and not any(m["content"].strip() for m in value):
            raise BadInput(f"the {field} is empty", row=row, field=field)
        return
    raise BadInput(
        f"the {field} must be a string or a list of {{role, content}} messages, got {type(value).__name__}",
        row=row,
        field=field,
    )


def check_checkpoint(checkpoint: str | os.PathLike) -> str:
    """Absolute path of a local reward checkpoint (or the Hub id as given), after cheap checks of its
    files and config; BadInput when it is not a one-output sequence-classification checkpoint."""
    from transformers import AutoConfig

    from rmstudio.model.backbones import resolve_model_path

    text = str(checkpoint)
    if not text.strip() or text == "default":
        raise BadInput(f"'{text}' is not a trained reward checkpoint", field="checkpoint")
    try:
        path = resolve_model_path(text)
    except BadInput as exc:
        raise BadInput(f"checkpoint '{text}' does not exist", field="checkpoint") from exc
    if os.path.exists(path):
        _check_checkpoint_dir(Path(path))
    try:
        config = AutoConfig.from_pretrained(path)
    except (OSError, ValueError) as exc:
        raise BadInput(f"cannot load checkpoint '{text}': {exc}", field="checkpoint") from exc
    architectures = config.architectures or []
    if not any(a.endswith("ForSequenceClassification") for a in architectures) or config.num_labels != 1:
        raise BadInput(
            f"'{text}' is not a reward model (architectures {architectures}, num_labels="
            f"{config.num_labels}); train one with `rmstudio train`",
            field="checkpoint",
        )
    return path


def _check_checkpoint_dir(path: Path) -> None:
    if not path.is_dir():
        raise BadInput(f"'{path}' is a file; a checkpoint is a directory", field="checkpoint")
    missing = [
        what
        for what, files in (
            ("config.json", ("config.json",)),
            ("model weights", WEIGHT_FILES),
            ("tokenizer files", TOKENIZER_FILES),
        )
        if not any((path / f).is_file() for f in files)
    ]
    if missing:
        raise BadInput(f"'{path}' is not a model checkpoint (no {', no '.join(missing)})", field="checkpoint")


def check_tokenizer_fits(model, tokenizer, path: str) -> None:
    """BadInput when the tokenizer cannot drive this model as in training (another tokenizer layout)."""
    from rmstudio.model.encoding import read_metadata

    rows = model.get_input_embeddings().num_embeddings
    if len(tokenizer) > rows:
        raise BadInput(
            f"the tokenizer of '{path}' has {len(tokenizer)} tokens but the model only {rows} "
            "embeddings: the checkpoint holds a tokenizer of another layout",
            field="checkpoint",
        )
    if tokenizer.pad_token_id is None:
        raise BadInput(
            f"the tokenizer of '{path}' has no pad token (rmstudio checkpoints always do)", field="checkpoint"
        )
    config = model.config.get_text_config() if hasattr(model.config, "get_text_config") else model.config
    if config.pad_token_id is not None and config.pad_token_id != tokenizer.pad_token_id:
        raise BadInput(
            f"'{path}': the model reads padding as token {config.pad_token_id} but the tokenizer "
            f"pads with {tokenizer.pad_token_id}: the checkpoint holds a tokenizer of another "
            "layout",
            field="checkpoint",
        )
    recorded = read_metadata(path).get("tokenizer") or {}
    actual = {
        "vocab_size": len(tokenizer),
        "pad_token_id": tokenizer.pad_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        "class": type(tokenizer).__name__,
    }
    for key, value in recorded.items():
        if key in actual and value != actual[key]:
            raise BadInput(
                f"'{path}': the tokenizer's {key} is {actual[key]!r} but the model was trained with "
                f"{value!r}: the checkpoint holds a tokenizer of another layout",
                field="checkpoint",
            )
