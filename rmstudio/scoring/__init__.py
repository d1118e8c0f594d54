"""The one batched reward scorer, evaluation of checkpoints on pairs, and its metrics."""
