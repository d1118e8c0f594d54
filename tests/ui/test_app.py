"""The app shell: its tabs, and a fresh home seeded with demo pairs."""

from __future__ import annotations

import gradio as gr

from rmstudio.access import Access
from rmstudio.store import PreferenceStore


def test_the_app_has_its_four_tabs_and_no_hf_login_button_off_spaces(tmp_path):
    from rmstudio.ui.app import build_app

    app = build_app(tmp_path / "local", access=Access(anonymous_admin=True))
    # (with hf_login, Gradio needs a real Space or an HF token for its OAuth routes: not testable offline)
    assert not app.expects_oauth
    tabs = [b.elem_id for b in app.blocks.values() if isinstance(b, gr.Tab)]
    assert tabs == ["rm-tab-label", "rm-tab-data", "rm-tab-train", "rm-tab-compare"]
    assert PreferenceStore(tmp_path / "local").count_pairs() >= 40, "a fresh home is seeded with demo pairs"
