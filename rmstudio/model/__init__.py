"""Backbones, the one text encoder (format + truncate), and saving checkpoints."""
