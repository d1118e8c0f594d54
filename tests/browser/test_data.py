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


def visible_columns(page, elem_id: str) -> list[tuple[str, float]]:
    """(header text, visible width in px) of each column of a Dataframe: its header cell's box clipped to the
    component and to the window (a column scrolled out of view or cut off by the page has a small width)."""
    return page.evaluate(
        """id => { const root = document.getElementById(id); const box = root.getBoundingClientRect();
                   const right = Math.min(box.right, window.innerWidth), left = Math.max(box.left, 0);
                   return Array.from(root.querySelectorAll('thead th')).map(th => {
                     const r = th.getBoundingClientRect();
                     return [th.textContent.replace(/⋮/g, '').trim(), Math.min(r.right, right) - Math.max(r.left, left)]; }); }""",
        elem_id)


def chart_text(page, elem_id: str) -> str:
    """The text a native Gradio plot draws (axis labels, title), from its SVG."""
    return page.evaluate("id => Array.from(document.querySelectorAll('#' + id + ' svg text'))"
                         ".map(t => t.textContent).join(' ')", elem_id)


def test_an_import_shows_every_preview_column_names_the_file_and_refreshes_table_and_chart(server, new_page,
                                                                                            tmp_path):
    rows = [{"prompt": f"Sweep question {i}? " + "Some context. " * 20, "chosen": "A careful answer. " * (300 + 10 * i),
             "rejected": f"No {i}.", "category": "sweep"} for i in range(6)]
    source = tmp_path / "sweep_prefs.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in rows))
    store = PreferenceStore(server.home)
    page = new_page(viewport=(1400, 1000))
    open_data_tab(page, server.url)
    page.locator("#rm-length-plot svg").first.wait_for(state="attached")
    upload(page, source)
    wait_for_text(page, "#rm-import-summary", "detected schema")
    page.locator("#rm-preview-table thead th").first.wait_for()
    columns = visible_columns(page, "rm-preview-table")
    assert [name for name, _ in columns] == ["prompt", "chosen", "rejected", "category"]
    assert all(width >= 80 for _, width in columns), columns

    page.locator("#rm-import").click()
    wait_for_text(page, "#rm-import-summary", "Imported 6 pairs")
    wait_for_text(page, "#rm-pairs-table", "sweep_prefs.jsonl")  # the source column: the file's own name
    assert {row["source"] for row in store.list_pairs(search="Sweep question", limit=10)[0]} == {"sweep_prefs.jsonl"}
    longest = f"{store.length_histogram(bins=15)[-1]['start']:,}"  # the long answers make a new last bin
    page.locator("#rm-length-plot").scroll_into_view_if_needed()
    try:
        page.wait_for_function("([id, label]) => Array.from(document.querySelectorAll('#' + id + ' svg text'))"
                               ".some(t => t.textContent.trim() === label)", arg=["rm-length-plot", longest], timeout=20_000)
    except Exception as exc:
        raise AssertionError(f"the length chart never showed the bin {longest}: {chart_text(page, 'rm-length-plot')}"
                             f" / {page.inner_html('#rm-length-plot')[:1500]}") from exc
    assert "/tmp/" not in page.inner_text("#rm-tab-data")


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
    inline = page.locator("#rm-import-error")  # the reason stays next to the button when the toast is gone
    wait_for_text(page, "#rm-import-error", "broken.jsonl")
    page.locator(".toast-body").first.wait_for(state="detached", timeout=30_000)
    assert "row 2" in inline.inner_text() and "rejected" in inline.inner_text()
    assert "/tmp/" not in inline.inner_text()
    page.locator("#rm-skip-invalid input").check()  # the next action clears it
    page.locator("#rm-import").click()
    wait_for_text(page, "#rm-import-summary", "Imported 1 pairs")
    assert inline.inner_text().strip() == ""


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
