"""The one bf16 probe training and scoring share."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from rmstudio.model.hardware import bf16_is_fast

CPUINFO = Path("/proc/cpuinfo")


@pytest.mark.skipif(not CPUINFO.is_file(), reason="reads the CPU flags Linux lists")
def test_cpu_bf16_is_fast_exactly_where_the_cpu_has_avx512_bf16_or_amx():
    flags = set(CPUINFO.read_text().split())
    assert bf16_is_fast("cpu") == bool(flags & {"avx512_bf16", "amx_bf16", "amx_tile"})


def test_cuda_bf16_is_not_fast_without_a_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert bf16_is_fast("cuda") is False
    assert bf16_is_fast("cuda:1") is False
