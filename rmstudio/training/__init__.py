"""Training specs and presets, the frozen data snapshot, and the TRL RewardTrainer run."""
