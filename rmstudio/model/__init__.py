"""Backbones, the one text encoder (format + truncate), the bf16 probe, and saving checkpoints."""
