"""The model assistant in the Label tab, in a real Chromium with a real trained checkpoint."""

from __future__ import annotations

import pytest

from rmstudio.labeling import assist
from rmstudio.store import PreferenceStore
from tests.browser.pages import open_app, shown_pair_id, wait_for_other_pair, wait_for_text
from tests.helpers.app_server import start_server
from tests.helpers.checkpoints import checkpoint

pytestmark = [pytest.mark.browser, pytest.mark.slow]
MODEL_WAIT_MS = 120_000  # the server loads the checkpoint on first use; generous on a busy 2-core machine


@pytest.fixture(scope="module")
def assisted_server(tmp_path_factory):
    home = tmp_path_factory.mktemp("assisted")
    store = PreferenceStore(home)
    store.seed_demo_if_fresh()
    assist.configure(store, assistant=checkpoint(), order="random", blind=True)
    running = start_server(home)
    yield running
    running.stop()


def test_blind_suggestion_appears_only_after_the_choice(assisted_server, new_page):
    page = new_page()
    open_app(page, assisted_server.url)
    wait_for_text(page, "#rm-suggestion", "Blind mode", timeout=MODEL_WAIT_MS)
    assert "preferred" not in page.inner_text("#rm-suggestion")
    first = shown_pair_id(page)
    page.keyboard.press("1")
    wait_for_other_pair(page, first)
    wait_for_text(page, "#rm-suggestion", f"(#{first})", timeout=MODEL_WAIT_MS)
    text = page.inner_text("#rm-suggestion")
    assert "the assistant preferred" in text and "confident" in text


def test_without_blind_mode_the_suggestion_is_shown_with_the_pair(assisted_server, new_page):
    assist.configure(PreferenceStore(assisted_server.home), blind=False)
    try:
        page = new_page()
        open_app(page, assisted_server.url)
        wait_for_text(page, "#rm-suggestion", "Assistant prefers", timeout=MODEL_WAIT_MS)
        assert "confident" in page.inner_text("#rm-suggestion")
    finally:
        assist.configure(PreferenceStore(assisted_server.home), blind=True)
