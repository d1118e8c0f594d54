"""What the device running a model can do, asked once here by training and scoring alike."""

from __future__ import annotations


def bf16_is_fast(device: str = "cpu") -> bool:
    """True where bf16 math runs natively, so it beats fp32: CUDA GPUs with bf16 units (Ampere and
    newer; emulated bf16 on older ones does not count) and CPUs with AVX-512 BF16 or AMX instructions
    (measured ~1.25x for MiniLM training on AVX-512 BF16)."""
    import torch

    if str(device).split(":")[0] == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported(including_emulation=False)
    cpu = getattr(torch, "cpu", None)
    checks = [getattr(cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")]
    return any(check() for check in checks if check is not None)
