"""What the tabs show, as plain functions over core results (no gradio here)."""
