"""A no-login annotator's typed name survives a server restart (issue 11): the browser keeps it encrypted with
a secret stored in the home, not a per-process key; back on the restarted server, the same annotator gets on
with the pair they held, never the one they already labeled."""

from __future__ import annotations

import re

import pytest

from rmstudio.store import PreferenceStore
from tests.browser.pages import open_app, shown_pair_id, wait_for_other_pair
from tests.helpers.app_server import launch, start_server

pytestmark = pytest.mark.browser
NAME = "restart-ann7"


def annotator_of(page) -> str:
    return re.search(r"Labeling as (\S+)", page.inner_text("#rm-who")).group(1)


def test_a_typed_name_and_its_progress_survive_a_server_restart(tmp_path, new_page):
    home = tmp_path / "home"
    first_server = start_server(home)
    port = int(first_server.url.rsplit(":", 1)[1])
    page = new_page()
    try:
        open_app(page, first_server.url)
        name_box = page.locator("#rm-annotator-name textarea, #rm-annotator-name input").first
        name_box.fill(NAME)
        name_box.press("Enter")
        page.wait_for_function(f"() => document.querySelector('#rm-who').textContent.includes('{NAME}')")
        labeled = shown_pair_id(page)
        page.locator("body").click(position={"x": 5, "y": 5})  # keys go to the page, not the name box
        page.keyboard.press("1")
        held = wait_for_other_pair(page, labeled)
    finally:
        first_server.stop()
    assert [label["annotator"] for label in PreferenceStore(home).labels_of(labeled)] == [NAME]
    second_server = launch(home, port, [], {})  # same home, same port: the same browser origin
    try:
        page.reload()
        open_app(page, None)
        assert annotator_of(page) == NAME, "the name typed before the restart is still this browser's"
        shown = shown_pair_id(page)
        assert shown != labeled, "never the same pair twice to one person"
        assert shown == held, "the pair this annotator held comes back to them, not blocked by the old lease"
    finally:
        second_server.stop()
