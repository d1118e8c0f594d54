"""rmstudio: label preference pairs, train reward models with TRL, compare checkpoints."""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["PreferenceStore", "RewardScorer", "reward_func", "BadInput"]


def __getattr__(name: str):
    # Lazy: `import rmstudio` must stay cheap (no torch/datasets) for the CLI and the worker.
    if name == "PreferenceStore":
        from rmstudio.store import PreferenceStore

        return PreferenceStore
    if name == "RewardScorer":
        from rmstudio.scoring.scorer import RewardScorer

        return RewardScorer
    if name == "reward_func":
        from rmstudio.scoring.scorer import reward_func

        return reward_func
    if name == "BadInput":
        from rmstudio.errors import BadInput

        return BadInput
    raise AttributeError(name)
