"""Data tab in a real Chromium: import through the upload widget (preview first), browse, delete, relabel, export."""

from __future__ import annotations

import json

import pytest

from rmstudio.store import PreferenceStore
from tests.browser.pages import open_app, wait_for_text

pytestmark = pytest.mark.browser


def open_data_tab(page, url: str) -> None:
    open_app(page, url)
    page.get_by_role("tab", name="Data").click()
    wait_for_text(page, "#rm-page-info", "matching pair")


def upload(page, path) -> None:
    page.locator("#rm-upload input[type=file]").set_input_files(str(path))


def test_import_a_file_through_the_upload_widget_after_a_preview(server, new_page, tmp_path):
    rows = [{"prompt": f"Upload question {i}?", "chosen": f"A careful answer {i}.", "rejected": f"No idea {i}.",
             "category": "uploaded"} for i in range(7)]
    source = tmp_path / "my_prefs.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in rows))
    store = PreferenceStore(server.home)
    before = store.count_pairs()

    page = new_page()
    open_data_tab(page, server.url)
    upload(page, source)
    wait_for_text(page, "#rm-import-summary", "detected schema explicit")
    summary = page.inner_text("#rm-import-summary")
    assert "my_prefs.jsonl" in summary and "7 rows" in summary and "7 labeled" in summary
    assert "Upload question 0?" in page.locator("#rm-preview-table").text_content()
    assert store.count_pairs() == before, "the preview must not store anything"

    page.locator("#rm-import").click()
    wait_for_text(page, "#rm-import-summary", "Imported 7 pairs")
    assert store.count_pairs() == before + 7
    wait_for_text(page, "#rm-pairs-table", "Upload question 6?")  # the table refreshed after the import

    assert page.locator("#rm-import").is_disabled(), "importing the same preview twice is not offered"


def test_a_bad_file_names_the_row_and_field_and_stores_nothing(server, new_page, tmp_path):
    source = tmp_path / "broken.jsonl"
    source.write_text(json.dumps({"prompt": "p", "chosen": "c", "rejected": "r"}) + "\n"
                      + json.dumps({"prompt": "p2", "chosen": "c2"}) + "\n")
    store = PreferenceStore(server.home)
    before = store.count_pairs()
    page = new_page()
    open_data_tab(page, server.url)
    upload(page, source)
    wait_for_text(page, "#rm-import-summary", "1 invalid")
    assert "row 2" in page.locator("#rm-import-issues textarea").input_value()
    page.locator("#rm-import").click()  # without the skip choice the import refuses the file
    toast = page.locator(".toast-body").filter(has_text="broken.jsonl")
    toast.first.wait_for()
    text = toast.first.inner_text()
    assert "row 2" in text or "line 2" in text
    assert "rejected" in text
    assert store.count_pairs() == before


def test_the_preview_counts_warnings_and_invalid_rows_and_imports_the_valid_ones_on_request(fresh_server, new_page,
                                                                                             tmp_path):
    lines = [json.dumps({"prompt": f"Mixed question {i}?", "chosen": f"Fine answer {i}.", "rejected": f"Bad {i}."})
             for i in range(4)]
    lines.insert(1, json.dumps({"prompt": "Mixed silent?", "chosen": "", "rejected": "a harmful answer"}))
    lines.insert(3, json.dumps({"prompt": "Mixed blank?", "chosen": "an answer", "rejected": "  "}))
    lines.insert(4, '{"prompt": "Mixed broken?", "chosen": ')  # line 5
    source = tmp_path / "mixed.jsonl"
    source.write_text("\n".join(lines) + "\n")
    store = PreferenceStore(fresh_server.home)
    before = store.count_pairs()

    page = new_page()
    open_data_tab(page, fresh_server.url)
    upload(page, source)
    wait_for_text(page, "#rm-import-summary", "1 invalid")
    summary = page.inner_text("#rm-import-summary")
    assert "4 rows fine" in summary and "2 warnings" in summary
    listed = page.locator("#rm-import-issues textarea").input_value()
    assert "row 5: not valid JSON" in listed and "row 2, field 'chosen': empty response" in listed
    choice = page.get_by_label("Import the 6 valid rows (skip the 1 invalid)")

    page.locator("#rm-import").click()
    page.locator(".toast-body").filter(has_text="row 5").first.wait_for()
    assert store.count_pairs() == before, "without the choice nothing is stored"

    choice.check()
    page.locator("#rm-import").click()
    wait_for_text(page, "#rm-import-summary", "Imported 6 pairs")
    summary = page.inner_text("#rm-import-summary")
    assert "0 duplicates" in summary and "2 warnings" in summary and "1 invalid row skipped" in summary
    assert store.count_pairs() == before + 6


def test_browse_select_relabel_and_delete_a_pair(server, new_page):
    store = PreferenceStore(server.home)
    [pair_id] = store.add_candidates([{"prompt": "Which is the zebra-test prompt?", "response_a": "this one",
                                       "response_b": "that one"}])
    page = new_page()
    open_data_tab(page, server.url)
    page.get_by_label("Search prompts and responses").fill("zebra-test")
    page.get_by_label("Search prompts and responses").press("Enter")
    wait_for_text(page, "#rm-page-info", "· 1 matching pair")
    page.locator("#rm-pairs-table [role=gridcell]").filter(has_text="zebra-test").first.click()
    wait_for_text(page, "#rm-pair-detail", f"Pair #{pair_id}")
    assert "this one" in page.inner_text("#rm-pair-detail")

    page.locator("#rm-relabel").click()  # default judgement: response A is better
    wait_for_text(page, "#rm-pair-detail", ": a")
    assert [label["choice"] for label in store.labels_of(pair_id)] == ["a"]

    page.locator("#rm-delete").click()
    wait_for_text(page, "#rm-page-info", "· 0 matching pairs")
    assert store.get_pair(pair_id) is None


def test_export_downloads_the_labeled_pairs_as_jsonl(server, new_page):
    store = PreferenceStore(server.home)
    store.add_candidates([{"prompt": "export me", "chosen": "kept", "rejected": "dropped"}])
    expected = len(store.to_dataset())
    page = new_page()
    open_data_tab(page, server.url)
    page.locator("#rm-export").click()
    wait_for_text(page, "#rm-export-result", f"Exported {expected:,} pairs")
    with page.expect_download() as download_info:
        page.locator("#rm-download a").first.click()
    lines = download_info.value.path().read_text().splitlines()
    assert len(lines) == expected
    assert {"prompt", "chosen", "rejected"} <= set(json.loads(lines[0]))
    assert any(json.loads(line)["chosen"] == "kept" for line in lines)
