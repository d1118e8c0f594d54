"""What every test runs under: offline (no Hugging Face Hub, no Gradio analytics).

Set in `pytest_configure`, before any test module is imported, because `huggingface_hub`, `datasets` and
`transformers` read these variables once, when first imported. Subprocesses the tests start inherit them.
The markers (`slow`, `browser`) are declared in pyproject.toml.
"""

from __future__ import annotations

import os

OFFLINE = {
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
}


def pytest_configure(config):
    os.environ.update(OFFLINE)
