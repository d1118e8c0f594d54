"""What the Data tab shows: pair pages, import preview, statistics, export (no browser)."""

from __future__ import annotations

import json

import pytest

from rmstudio.errors import BadInput
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
    assert data_views.category_choices(ctx.store) == [data_views.ALL_CATEGORIES, "c"]


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
