"""Checkpoints compared on the same pairs (files, the store, a run's held-out split) and on typed completions."""
