"""What the Data tab shows: pair pages, the import preview (fine / warned / invalid rows) and summary, statistics,
export — over real files and a real store (no browser)."""

from __future__ import annotations

import json

import pytest

from rmstudio.errors import BadInput
from rmstudio.store import PreferenceStore
from rmstudio.ui.render import markdown_literal
from rmstudio.ui.views import data as data_views
from tests.helpers.studio import make_ctx


def test_pages_come_from_sql_with_filters_and_clamp_past_the_end(tmp_path):
    ctx = make_ctx(tmp_path, n=60)
    table, page, info = data_views.pairs_page(ctx.store, page=2, size=25)
    assert page == 2 and len(table) == 25 and info == "Page 2 of 3 · 60 matching pairs"
    table, page, _ = data_views.pairs_page(ctx.store, page=99, size=25)
    assert page == 3 and len(table) == 10
    table, _, info = data_views.pairs_page(ctx.store, page=1, size=25, search="q17")
    assert list(table["prompt"]) == ["q17"] and info.endswith("1 matching pair")
    assert data_views.category_choices(ctx.store) == [data_views.ALL_CATEGORIES, data_views.NO_CATEGORY, "c"]


def test_the_none_category_filter_shows_the_pairs_without_a_category(tmp_path):
    ctx = make_ctx(tmp_path, n=3)  # category "c"
    ctx.store.add_candidates([{"prompt": f"bare {i}", "response_a": "x", "response_b": f"y {i}"} for i in range(2)])
    table, _, info = data_views.pairs_page(ctx.store, page=1, size=25, category=data_views.NO_CATEGORY)
    assert sorted(table["prompt"]) == ["bare 0", "bare 1"] and info.endswith("2 matching pairs")
    table, _, _ = data_views.pairs_page(ctx.store, page=1, size=25, category="c")
    assert len(table) == 3
    assert len(data_views.pairs_page(ctx.store, page=1, size=25, category=data_views.ALL_CATEGORIES)[0]) == 5


def test_preview_reads_without_storing_and_import_then_stores(tmp_path):
    ctx = make_ctx(tmp_path)
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"prompt": f"p{i}", "chosen": "c", "rejected": f"r{i}"}) + "\n"
                              for i in range(4)))
    before = ctx.store.count_pairs()
    batch = data_views.read_import(str(source))
    assert "schema **explicit**" in data_views.preview_summary(batch) and len(data_views.preview_frame(batch)) == 4
    assert ctx.store.count_pairs() == before
    report = ctx.store.import_batch(data_views.read_import(str(source), fmt="explicit"))
    assert "Imported **4** pairs" in data_views.import_summary(report)
    with pytest.raises(BadInput, match="upload a file"):
        data_views.read_import("  ")


def test_stats_frames_and_export_file(tmp_path):
    ctx = make_ctx(tmp_path)
    ctx.store.add_candidates([{"prompt": "p", "chosen": "good", "rejected": "bad"}])
    frames = data_views.stats_frames(ctx.store.stats(), ctx.store.length_histogram(bins=5))
    assert frames["choice"].to_dict("records") == [{"choice": "a", "labels": 1}]
    assert frames["length"]["responses"].sum() == 2 * ctx.store.count_pairs()
    path, report = data_views.export_file(ctx.store, "JSONL")
    assert report["exported"] == 1 and json.loads(open(path).readline())["chosen"] == "good"
    with pytest.raises(BadInput):
        data_views.export_file(ctx.store, "XML")




def test_push_to_hub_needs_a_repo_id_before_any_network_call(tmp_path):
    ctx = make_ctx(tmp_path)
    for repo in ("", "no-owner"):
        with pytest.raises(BadInput, match="owner/name"):
            data_views.push_export(ctx.store, repo, token=None)


def write_mixed_file(folder, name: str = "mixed.jsonl"):
    """3 fine rows, 2 with an empty reply (warnings, lines 2 and 6) and 1 broken line (line 4)."""
    lines = [json.dumps({"prompt": f"q{i}", "chosen": f"good {i}", "rejected": f"bad {i}"}) for i in range(3)]
    lines.insert(1, json.dumps({"prompt": "silent", "chosen": "", "rejected": "a harmful answer"}))
    lines.insert(3, '{"prompt": "broken", "chosen": ')
    lines.append(json.dumps({"prompt": "blank", "chosen": "an answer", "rejected": "   "}))
    path = folder / name
    path.write_text("\n".join(lines) + "\n")
    return path


def test_the_preview_counts_fine_warned_and_invalid_rows_and_names_the_first_reasons(tmp_path):
    batch, counts = data_views.preview_import(str(write_mixed_file(tmp_path)))
    summary = data_views.preview_summary(batch, counts)
    assert "**3** rows fine" in summary and "**2** warnings" in summary and "**1** invalid" in summary
    assert "**5** rows" in summary and "Import the 5 valid rows (skip the 1 invalid)" in summary
    listed = data_views.issues_text(counts)
    assert "Invalid rows (1):\n  row 4: not valid JSON" in listed
    assert "row 2, field 'chosen': empty response" in listed and "row 6, field 'rejected'" in listed
    assert data_views.skip_choice_label(counts) == "Import the 5 valid rows (skip the 1 invalid)"


def test_a_clean_file_offers_no_skip_choice_and_lists_no_issues(tmp_path):
    path = tmp_path / "clean.jsonl"
    path.write_text(json.dumps({"prompt": "p", "chosen": "c", "rejected": "r"}) + "\n")
    batch, counts = data_views.preview_import(str(path))
    assert counts["invalid"] == 0 and data_views.issues_text(counts) == ""
    summary = data_views.preview_summary(batch, counts)
    assert "**1** rows fine" in summary and "**0** invalid" in summary and "skip the" not in summary
    assert data_views.preview_summary(batch) == summary, "the counts are computed when not given"


def test_importing_refuses_an_invalid_row_unless_asked_to_skip_it_and_the_summary_says_what_happened(tmp_path):
    path = write_mixed_file(tmp_path)
    store = PreferenceStore(tmp_path / "home")
    with pytest.raises(BadInput, match=r"mixed\.jsonl, row 4: not valid JSON"):
        store.import_batch(data_views.read_import(str(path)))
    assert store.count_pairs() == 0

    report = store.import_batch(data_views.read_import(str(path), skip_invalid=True))
    assert store.count_pairs() == 5
    assert data_views.import_summary(report) == (
        "Imported **5** pairs (5 labeled, 0 to label) in schema **explicit**; 0 duplicates skipped; "
        "2 warnings (kept as they are); 1 invalid row skipped.")
    again = data_views.import_summary(store.import_batch(data_views.read_import(str(path), skip_invalid=True)))
    assert again.startswith("Imported **0** pairs") and "5 duplicates skipped" in again


def test_user_text_in_the_preview_is_shown_as_text_never_markup(tmp_path):
    path = write_mixed_file(tmp_path, name="<img src=x onerror=alert(1)>_**bold**.jsonl")
    batch, counts = data_views.preview_import(str(path))
    summary = data_views.preview_summary(batch, counts)
    assert "<img" not in summary and "&lt;img src=x onerror=alert\\(1\\)&gt;\\_\\*\\*bold\\*\\*.jsonl" in summary
    assert markdown_literal("a <b> & `c` [d](e) $x$") == "a &lt;b&gt; &amp; \\`c\\` \\[d\\]\\(e\\) \\$x\\$"


def test_the_preview_without_a_source_asks_for_one():
    with pytest.raises(BadInput, match="upload a file"):
        data_views.preview_import("  ")


def test_an_upload_is_named_by_its_file_name_in_errors_the_preview_and_the_stored_source(tmp_path):
    """Gradio keeps an upload as <upload folder>/<hash>/<name>: that temporary path is never shown or stored."""
    ctx = make_ctx(tmp_path / "home")
    folder = tmp_path / "gradio"
    upload = folder / "3f2a9c" / "my_prefs.jsonl"
    upload.parent.mkdir(parents=True)
    upload.write_text(json.dumps({"prompt": "named?", "chosen": "c", "rejected": "r"}) + "\n"
                      + json.dumps({"prompt": "p2", "chosen": "c2"}) + "\n")
    name = data_views.upload_name(str(upload), folder)
    assert name == "my_prefs.jsonl"
    assert data_views.upload_name("owner/dataset", folder) is None  # a Hub id is shown as typed
    assert data_views.upload_name(str(tmp_path / "elsewhere.jsonl"), folder) is None

    batch, _ = data_views.preview_import(str(upload), name=name)
    assert batch.source == "my_prefs.jsonl" and str(folder) not in data_views.preview_summary(batch)
    with pytest.raises(BadInput) as refused:
        data_views.read_import(str(upload), name=name)
    assert "my_prefs.jsonl" in str(refused.value) and "row 2" in str(refused.value)
    assert str(folder) not in str(refused.value)
    ctx.store.import_batch(data_views.read_import(str(upload), name=name, skip_invalid=True))
    table, _, _ = data_views.pairs_page(ctx.store, page=1, size=25, search="named?")
    assert list(table["source"]) == ["my_prefs.jsonl"]


def test_the_preview_table_has_one_width_for_each_of_its_columns(tmp_path):
    source = tmp_path / "wide.jsonl"
    source.write_text(json.dumps({"prompt": "p " * 200, "chosen": "c " * 300, "rejected": "r", "category": "x"}) + "\n")
    batch, _ = data_views.preview_import(str(source))
    frame = data_views.preview_frame(batch)
    assert list(frame.columns) == ["prompt", "chosen", "rejected", "category"]
    assert len(data_views.PREVIEW_COLUMN_WIDTHS) == len(frame.columns)
    assert sum(int(width.rstrip("%")) for width in data_views.PREVIEW_COLUMN_WIDTHS) == 100


def test_length_bins_are_labeled_so_that_they_sort_as_their_numbers():
    labels = data_views.bin_labels([0, 420, 840, 1260, 12600])
    assert [label.strip() for label in labels] == ["0", "420", "840", "1,260", "12,600"]
    assert sorted(labels) == labels and len(set(map(len, labels))) == 1
    assert data_views.bin_labels([]) == []
