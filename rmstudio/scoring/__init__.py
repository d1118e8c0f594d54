"""The one batched reward scorer (also training's final evaluation), its checks and load-time speed-ups, and the
metrics of reward-model evaluation."""
