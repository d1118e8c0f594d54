"""`TrainSpec`: everything a training run was asked to do (saved as RUN_DIR/spec.json).

Like TRL's configs: one dataclass, every field documented where it is declared. Fields left `None`
take the value of the chosen preset (see rmstudio/presets.py) or an automatic choice.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from rmstudio.errors import BadInput
from rmstudio.training.presets import PRESET_NAMES, RANGES, check_scheduler, check_value


@dataclass
class TrainSpec:
    # --- what to train on ---------------------------------------------------------------------------
    model: str = "default"
    """Backbone: "default" (the embedded MiniLM), a local model directory, or a Hugging Face Hub id."""
    data: str | None = None
    """Training pairs: None = the labeled pairs of the store at `home`; else a file/dir/Hub id in any import schema."""
    home: str | None = None
    """rmstudio home directory (the store lives there); filled by jobs.submit."""
    data_hash: str | None = None
    """sha256 of the frozen data snapshot (RUN_DIR/data.parquet); filled when the data is frozen."""
    max_pairs: int | None = None
    """Use at most this many pairs (a seeded sample); demo mode sets it so a CPU Space stays responsive."""
    eval_fraction: float = 0.1
    """Share of pairs held out for evaluation (at least `MIN_EVAL_PAIRS`); 0 = no eval set."""
    # --- hyperparameters (None = from the preset) ----------------------------------------------------
    preset: str = "auto"
    """"auto" (by parameter count), "tiny", "small", "medium", "large" or "reference" (TRL's recipe)."""
    epochs: float | None = None
    """Passes over the training pairs."""
    learning_rate: float | None = None
    """Peak AdamW learning rate."""
    batch_size: int | None = None
    """Pairs per device per optimizer micro-step (each pair is two sequences)."""
    gradient_accumulation_steps: int | None = None
    """Micro-steps per optimizer step (effective batch = batch_size x this x processes)."""
    max_length: int | None = None
    """Tokens per (prompt + response); longer pairs are truncated (prompt from the left), never dropped.
    Capped by the model's position limit; asking for more than the limit is an error."""
    warmup_ratio: float | None = None
    """Share of steps with a linear learning-rate warmup."""
    weight_decay: float | None = None
    """AdamW weight decay."""
    lr_scheduler: str | None = None
    """Learning-rate schedule after warmup: linear, cosine, constant, ..."""
    center_rewards_coefficient: float | None = None
    """Optional penalty pulling rewards towards zero mean (TRL; 0.01 is the recommended value)."""
    max_steps: int | None = None
    """Stop after this many optimizer steps (overrides epochs); for quick runs and tests."""
    seed: int = 42
    """Seed for the eval split, shuffling and the new reward head."""
    # --- LoRA ---------------------------------------------------------------------------------------
    lora: bool = False
    """Train LoRA adapters (peft) + the full score head instead of all weights; merged into the saved model."""
    lora_r: int = 16
    """LoRA rank."""
    lora_alpha: float = 32
    """LoRA scaling numerator (scale = alpha / r)."""
    lora_dropout: float = 0.05
    """Dropout on the LoRA inputs."""
    # --- hardware -----------------------------------------------------------------------------------
    device: str | None = None
    """"cuda" or "cpu"; None = CUDA when available. Also names the job queue (one run per device)."""
    bf16: bool | None = None
    """bfloat16 autocast; None = on with a bf16-capable GPU or CPU (AVX-512 BF16/AMX), else off."""
    gradient_checkpointing: bool | None = None
    """Recompute activations to save memory; None = only for models over 1B parameters on a GPU."""
    num_processes: int = 1
    """Processes for data-parallel training (`accelerate launch --num_processes N`)."""
    accelerate_config: str | None = None
    """An accelerate config file (e.g. DeepSpeed/FSDP, multi-node); launches through `accelerate launch`."""
    # --- run bookkeeping ----------------------------------------------------------------------------
    logging_steps: int | None = None
    """Steps between metrics.jsonl lines; None = about 40 lines per run."""
    eval_steps: int | None = None
    """Steps between evaluations; None = about 3 per run (plus a final one)."""
    save_every_seconds: float = 600.0
    """Save an intermediate (resumable) trainer checkpoint at most this often (0 = after every step)."""
    resume_from: str | None = None
    """A trainer checkpoint (RUN_DIR/checkpoints/checkpoint-N) to continue from; "last" = the newest one."""
    output: str | None = None
    """Also copy the final checkpoint to this directory (CLI `train --output`)."""

    # --- (de)serialisation ----------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: dict) -> TrainSpec:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise BadInput(f"unknown training option(s): {', '.join(unknown)}", field=unknown[0])
        return cls(**data)

    @classmethod
    def from_json(cls, path: str | os.PathLike) -> TrainSpec:
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, ValueError) as exc:
            raise BadInput(f"cannot read the training spec: {exc}", source=str(path)) from exc
        return cls.from_dict(data)

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self, path: str | os.PathLike) -> None:
        path = Path(path)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=2))
        os.replace(tmp, path)

    def validate(self) -> TrainSpec:
        """Coerce numeric fields and check their ranges (BadInput names the field). Returns self."""
        for name in RANGES:
            if hasattr(self, name):
                setattr(self, name, check_value(name, getattr(self, name)))
        check_scheduler(self.lr_scheduler)
        if self.preset not in PRESET_NAMES:
            raise BadInput(
                f"unknown preset '{self.preset}' (choose one of {', '.join(PRESET_NAMES)})", field="preset"
            )
        if self.device not in (None, "cpu", "cuda") and not str(self.device).startswith("cuda:"):
            raise BadInput(f"device must be 'cpu' or 'cuda', got {self.device!r}", field="device")
        if self.accelerate_config and not Path(self.accelerate_config).is_file():
            raise BadInput(
                f"accelerate config '{self.accelerate_config}' does not exist", field="accelerate_config"
            )
        if not isinstance(self.model, str) or not self.model.strip():
            raise BadInput("model must be 'default', a local path or a Hub id", field="model")
        return self

    @property
    def distributed(self) -> bool:
        """True when the run goes through `accelerate launch`."""
        return self.num_processes > 1 or bool(self.accelerate_config)
