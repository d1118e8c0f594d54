"""Skip markers shared by the test tree: a test that needs hardware this machine lacks says so here, once.

(Chromium is not among them: the browser tests fail without it, so a CI run cannot pass by skipping them.)
"""

from __future__ import annotations

import pytest


def _bf16_is_fast(device: str) -> bool:
    from rmstudio.model.hardware import bf16_is_fast

    return bf16_is_fast(device)


requires_fast_cpu_bf16 = pytest.mark.skipif(
    not _bf16_is_fast("cpu"), reason="needs a CPU with native bf16 (AVX-512 BF16 or AMX): the default scorer runs in fp32"
)
