"""Where the benchmarks find real public data: `shared/data/` beside the repository (never copied into it)."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DPO_EN_DEMO = REPO.parent / "shared" / "data" / "dpo_en_demo.json"
"""300 English preference pairs in the ShareGPT schema (LLaMA-Factory's demo data, Apache-2.0)."""
