"""The root conftest puts every test offline before the Hugging Face libraries read their settings."""

from __future__ import annotations


def test_the_hub_libraries_start_offline():
    import datasets
    import transformers.utils.hub
    from huggingface_hub import constants

    assert constants.HF_HUB_OFFLINE and datasets.config.HF_HUB_OFFLINE
    assert transformers.utils.hub.is_offline_mode()
