"""`TrainSpec`: everything a training run was asked to do (saved as RUN_DIR/spec.json).

Like TRL's configs: one dataclass, every option documented where it is declared, with its range and its place
in the Train form (`spec_fields.option`); the `train` command's flags and the form's Advanced fields are generated
from these declarations. Fields left `None` take the value of the chosen preset (see presets.py) or an automatic
choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rmstudio.errors import BadInput
from rmstudio.training.presets import PRESET_NAMES, SCHEDULERS
from rmstudio.training.spec_fields import Spec, option

OPTIMISATION, DATA_AND_LENGTH, RUN, LORA = "Optimisation", "Data and length", "Run", "LoRA"


@dataclass
class TrainSpec(Spec):
    noun = "training"

    # --- what to train on ---------------------------------------------------------------------------
    data: str | None = option(help="a file/dir/Hub id in any import schema; default: the labeled pairs in the store")
    model: str = option("default", help="'default' (the embedded MiniLM), a local model directory or a Hub id")
    preset: str = option("auto", choices=PRESET_NAMES,
                         help="hyperparameter preset: auto picks one by parameter count, reference is TRL's recipe")
    home: str | None = None
    """rmstudio home directory (the store lives there); filled by jobs.submit."""
    data_hash: str | None = None
    """sha256 of the frozen data snapshot (RUN_DIR/data.parquet); filled when the data is frozen."""
    # --- hyperparameters (None = from the preset) ----------------------------------------------------
    epochs: float | None = option(low=0.0, high=1000.0, low_inclusive=False, label="Epochs", group=OPTIMISATION,
                                  help="passes over the training pairs; overrides the preset")
    learning_rate: float | None = option(low=0.0, high=1.0, low_inclusive=False, label="Learning rate",
                                         group=OPTIMISATION, help="peak AdamW learning rate; overrides the preset")
    batch_size: int | None = option(low=1, high=4096, label="Batch size", group=OPTIMISATION,
                                    help="pairs per device per step, each pair two sequences; overrides the preset")
    gradient_accumulation_steps: int | None = option(
        low=1, high=1024, label="Gradient accumulation", group=OPTIMISATION,
        help="micro-steps per optimizer step; effective batch = batch size x this x processes")
    warmup_ratio: float | None = option(low=0.0, high=0.99, label="Warmup ratio", group=OPTIMISATION,
                                        help="share of steps with a linear learning-rate warmup")
    weight_decay: float | None = option(low=0.0, high=1.0, label="Weight decay", group=OPTIMISATION,
                                        help="AdamW weight decay")
    lr_scheduler: str | None = option(choices=SCHEDULERS, label="LR schedule", group=OPTIMISATION,
                                      help="learning-rate schedule after warmup")
    max_length: int | None = option(
        low=8, label="Max length (tokens)", group=DATA_AND_LENGTH,
        help="tokens per prompt + response: longer pairs are cut (the prompt from the left), never dropped; "
             "at most the model's position limit")
    eval_fraction: float = option(0.1, low=0.0, high=0.5, label="Eval fraction", group=DATA_AND_LENGTH,
                                  help="share of pairs held out to measure accuracy; 0 = no eval set")
    max_pairs: int | None = option(low=2, label="Max pairs", group=DATA_AND_LENGTH, zero_means="all",
                                   help="use at most this many pairs, a seeded sample")
    seed: int = option(42, label="Seed", group=DATA_AND_LENGTH,
                       help="seed for the eval split, shuffling and the new reward head")
    max_steps: int | None = option(low=1, label="Max steps", group=RUN, zero_means="by epochs",
                                   help="stop after this many optimizer steps; overrides epochs")
    logging_steps: int | None = option(low=1, label="Logging steps", group=RUN, zero_means="auto",
                                       help="steps between plotted points (metrics.jsonl lines); auto: about 40 per run")
    eval_steps: int | None = option(low=1, label="Eval steps", group=RUN, zero_means="auto",
                                    help="steps between evaluations; auto: about 3 per run, plus a final one")
    center_rewards_coefficient: float | None = option(
        low=0.0, label="Center rewards", group=RUN, zero_means="off",
        help="penalty pulling rewards towards zero mean, as in TRL; 0.01 is the recommended value")
    # --- LoRA ---------------------------------------------------------------------------------------
    lora: bool = option(False, label="LoRA", group=LORA,
                        help="train LoRA adapters + the score head instead of every weight; merged into the saved model")
    lora_r: int = option(16, low=1, high=1024, label="LoRA rank", group=LORA, help="LoRA adapter rank")
    lora_alpha: float = option(32, low=0.0, low_inclusive=False, label="LoRA alpha", group=LORA,
                               help="LoRA scaling numerator: scale = alpha / rank")
    lora_dropout: float = option(0.05, low=0.0, high=0.99, label="LoRA dropout", group=LORA,
                                 help="dropout on the LoRA adapter inputs")
    # --- hardware -----------------------------------------------------------------------------------
    device: str | None = option(help="cuda or cpu; default: CUDA when available. Also names the job queue: "
                                     "one run per device")
    bf16: bool | None = option(help="bfloat16 autocast; default: on with a bf16-capable GPU or CPU "
                                    "(AVX-512 BF16/AMX), else off")
    gradient_checkpointing: bool | None = option(
        help="recompute activations to save memory; default: only for models over 1B parameters on a GPU")
    num_processes: int = option(1, low=1, high=1024,
                                help="processes for data-parallel training, through accelerate launch")
    accelerate_config: str | None = option(
        help="an accelerate config file (e.g. DeepSpeed/FSDP, multi-node); the run goes through accelerate launch")
    # --- run bookkeeping ----------------------------------------------------------------------------
    save_every_seconds: float = option(600.0, low=0.0,
                                       help="save a resumable trainer checkpoint at most this often, in seconds; 0 = after every step")
    output: str | None = option(help="also copy the final checkpoint to this directory")
    resume_from: str | None = None
    """A trainer checkpoint (RUN_DIR/checkpoints/checkpoint-N) to continue from; "last" = the newest one."""

    def check_values(self) -> None:
        super().check_values()
        if self.device not in (None, "cpu", "cuda") and not str(self.device).startswith("cuda:"):
            raise BadInput(f"device must be 'cpu' or 'cuda', got {self.device!r}", field="device")
        if not isinstance(self.model, str) or not self.model.strip():
            raise BadInput("model must be 'default', a local path or a Hub id", field="model")

    def validate(self) -> TrainSpec:
        """Check every value again, and that the accelerate config exists; returns self."""
        super().validate()
        if self.accelerate_config and not Path(self.accelerate_config).is_file():
            raise BadInput(
                f"accelerate config '{self.accelerate_config}' does not exist", field="accelerate_config"
            )
        return self

    @property
    def distributed(self) -> bool:
        """True when the run goes through `accelerate launch`."""
        return self.num_processes > 1 or bool(self.accelerate_config)
