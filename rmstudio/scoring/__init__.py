"""The one batched reward scorer (also training's final evaluation), its checks and load-time speed-ups,
evaluation of checkpoints on pairs, and the metrics."""
