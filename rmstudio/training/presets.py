"""Training presets by model size: the hyperparameters a run uses unless its spec sets them.

Reference table (reward-model recipes): < 1B: lr 2e-5, batch 4-8, 1-2 epochs; 1-7B: lr 1e-5, batch 2-4,
1 epoch; 7-13B: lr 5e-6, batch 1-2, 1 epoch. The `tiny` preset is for encoders like the embedded MiniLM
(22M parameters) on a CPU: with the reference lr 1e-5 and batch 2 MiniLM stays at chance, while a higher
lr (1e-4), batch 16, a 10% warmup and 256-token inputs learn the demo pairs to ~100% held-out accuracy in
one epoch (measured: 132 s on a busy 2-core CPU; fp32 took 1.25x as long as bf16 autocast).

On real conversational pairs it learns little (`bench/quality_bench.py --folds 3`, dpo_en_demo.json, 300
ShareGPT pairs, 3-fold cross-validation, ~200 training pairs a fold): tiny 56.7% held-out accuracy
(95% CI 51.3-62.0%), 0.55 min/fold; TRL's reference recipe 48.7% (43.0-54.0%), 1.18 min/fold; batch 8 +
cosine schedule 55.3% (no gain). 526 of the ~600 training pairs (all folds) are cut at 256 tokens.

Longer inputs do not help (issue 10, measured 2026-12-02, 5 folds, same run, same splits:
`python bench/quality_bench.py --folds 5 --recipe default --recipe 'ml384:max_length=384'`): tiny (256 tokens)
62.0% (95% CI 56.7-67.3%); max_length 384 57.3% (52.0-62.7%), paired delta -4.7 points (95% CI -10.7 to +1.7)
at ~1.8x the training time (74 s vs 41 s per fold on the folds the shared CPU was quiet). So 256 stays; the
+3-point goal is still open (untested candidates: center_rewards_coefficient 0.01, 1.5 epochs).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from rmstudio.errors import BadInput


@dataclass(frozen=True)
class Preset:
    """Hyperparameters a preset fixes; every one can be overridden by the `TrainSpec` field of the same name."""

    name: str
    learning_rate: float
    batch_size: int  # pairs per device per step
    epochs: float
    max_length: int  # tokens per (prompt + response); capped by the model's position limit
    gradient_accumulation_steps: int = 1
    warmup_ratio: float = 0.1
    weight_decay: float = 0.0
    lr_scheduler: str = "linear"

    def as_dict(self) -> dict:
        return asdict(self)


PRESETS: dict[str, Preset] = {
    # 256 tokens: the end of the prompt + the response (start) — half the CPU time of MiniLM's full 512.
    "tiny": Preset("tiny", learning_rate=1e-4, batch_size=16, epochs=1, max_length=256),
    "small": Preset("small", learning_rate=2e-5, batch_size=8, epochs=1, max_length=1024),
    "medium": Preset(
        "medium", learning_rate=1e-5, batch_size=2, epochs=1, max_length=2048, gradient_accumulation_steps=4
    ),
    "large": Preset(
        "large", learning_rate=5e-6, batch_size=1, epochs=1, max_length=2048, gradient_accumulation_steps=8
    ),
    # TRL's documented recipe (RewardConfig batch 2, lr 1e-5, 1 epoch): the baseline in bench/train_bench.py.
    "reference": Preset(
        "reference", learning_rate=1e-5, batch_size=2, epochs=1, max_length=1024, warmup_ratio=0.0
    ),
}
PRESET_NAMES = ("auto", *PRESETS)
# The learning-rate schedules a spec may ask for (transformers' SchedulerType names).
SCHEDULERS = ("linear", "cosine", "constant", "constant_with_warmup", "cosine_with_restarts", "polynomial")

TINY_MAX_PARAMETERS = 200_000_000
SMALL_MAX_PARAMETERS = 1_000_000_000
MEDIUM_MAX_PARAMETERS = 7_000_000_000


def auto_preset_name(num_parameters: int) -> str:
    """The preset `auto` picks for a model with this many parameters."""
    if num_parameters < TINY_MAX_PARAMETERS:
        return "tiny"
    if num_parameters < SMALL_MAX_PARAMETERS:
        return "small"
    if num_parameters < MEDIUM_MAX_PARAMETERS:
        return "medium"
    return "large"


def get_preset(name: str | None, num_parameters: int) -> Preset:
    """A preset by name (`auto` or None: by parameter count)."""
    name = name or "auto"
    if name == "auto":
        name = auto_preset_name(num_parameters)
    if name not in PRESETS:
        raise BadInput(f"unknown preset '{name}' (choose one of {', '.join(PRESET_NAMES)})", field="preset")
    return PRESETS[name]

