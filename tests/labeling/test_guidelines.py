"""Labeling guidelines kept in the home."""

from __future__ import annotations

import pytest

from rmstudio.errors import BadInput
from rmstudio.labeling.guidelines import DEFAULT_GUIDELINES, read_guidelines, save_guidelines


def test_guidelines_default_then_saved_in_the_home(tmp_path):
    assert read_guidelines(tmp_path) == DEFAULT_GUIDELINES
    save_guidelines(tmp_path, "Be kind")
    assert read_guidelines(tmp_path) == "Be kind\n" and (tmp_path / "guidelines.md").is_file()
    with pytest.raises(BadInput):
        save_guidelines(tmp_path, "  ")
