"""The UI's handler functions and access rules, called directly on a real store (no browser)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import gradio as gr
import pytest

from rmstudio.access import Access, NotAllowed, parse_logins
from rmstudio.errors import BadInput
from rmstudio.labeling.guidelines import DEFAULT_GUIDELINES, read_guidelines, save_guidelines
from rmstudio.store import PreferenceStore
from rmstudio.ui import label_tab
from rmstudio.ui.context import StudioContext
from rmstudio.ui.render import markdown_html, message_html
from rmstudio.ui.views import data as data_views


def make_ctx(tmp_path, access: Access | None = None, n: int = 3) -> StudioContext:
    store = PreferenceStore(tmp_path)
    store.add_candidates([{"prompt": f"q{i}", "response_a": f"first {i}", "response_b": f"second {i}",
                           "category": "c"} for i in range(n)])
    return StudioContext(home=tmp_path, store=store, access=access or Access(anonymous_admin=True))


# -- access --------------------------------------------------------------------------------------------
def test_logins_parse_from_the_cli_and_the_environment_format():
    assert parse_logins(["alice:pw", "bob:p:w"]) == {"alice": "pw", "bob": "p:w"}
    assert parse_logins("alice:pw, bob:x") == {"alice": "pw", "bob": "x"}
    for bad in ("alice", "alice:", ":pw", "a:1,a:2"):
        with pytest.raises(BadInput, match="auth"):
            parse_logins(bad)


def test_roles_follow_rmstudio_admins():
    access = Access.from_settings(None, env={"RMSTUDIO_AUTH": "alice:1,bob:2", "RMSTUDIO_ADMINS": "alice"})
    assert access.login_required and access.gradio_auth() == [("alice", "1"), ("bob", "2")]
    assert access.is_admin("alice") and not access.is_admin("bob") and not access.is_admin(None)
    with pytest.raises(NotAllowed, match="only admins may import data"):
        access.require_admin("bob", "import data")
    assert Access.from_settings(["carol:3"], env={"RMSTUDIO_AUTH": "alice:1"}).logins == {"carol": "3"}
    assert Access.from_settings(None, env={"RMSTUDIO_AUTH": "alice:1"}).is_admin("alice")  # no list: all users


def test_without_logins_a_local_visitor_is_admin_but_a_public_space_visitor_is_not():
    local = Access.from_settings(None, env={})
    assert not local.login_required and local.is_admin(None) and local.gradio_auth() is None
    assert not Access.from_settings(None, env={"SPACE_ID": "me/studio"}).hf_login  # no hf_oauth: no button
    space = Access.from_settings(None, env={"SPACE_ID": "me/studio", "SPACE_AUTHOR_NAME": "me",
                                            "OAUTH_CLIENT_ID": "id"})
    assert space.hf_login and not space.is_admin(None) and not space.is_admin("stranger")
    assert space.is_admin("me")
    assert not space.is_admin("me", authenticated=False), "a typed name never grants admin"
    locked = Access.from_settings(None, env={"RMSTUDIO_ADMINS": "alice"})
    assert not locked.is_admin(None) and locked.warnings()


def test_context_takes_the_login_over_a_typed_name_and_requires_one_or_the_other(tmp_path):
    ctx = make_ctx(tmp_path, Access.from_settings(None, env={"RMSTUDIO_AUTH": "bob:2", "RMSTUDIO_ADMINS": "x"}))
    assert ctx.annotator(SimpleNamespace(username="bob"), "mallory") == "bob"
    with pytest.raises(gr.Error):
        ctx.annotator(SimpleNamespace(username=None), "mallory")  # logins on: a typed name is never trusted
    with pytest.raises(gr.Error, match="only admins"):
        ctx.require_admin(SimpleNamespace(username="bob"), "delete pairs")
    open_ctx = make_ctx(tmp_path / "open")
    assert open_ctx.annotator(None, "  ann  one ") == "ann one"
    with pytest.raises(gr.Error, match="name"):
        open_ctx.annotator(None, "   ")


# -- label handlers ------------------------------------------------------------------------------------
def test_left_and_right_map_to_the_response_shown_there(tmp_path):
    assert label_tab.choice_for("left", "a") == "a" and label_tab.choice_for("left", "b") == "b"
    assert label_tab.choice_for("right", "a") == "b" and label_tab.choice_for("right", "b") == "a"
    assert label_tab.choice_for("tie", "b") == "tie"
    with pytest.raises(BadInput):
        label_tab.choice_for("middle", "a")
    ctx = make_ctx(tmp_path)
    screen = label_tab.show_next(ctx, "ann")
    pair = ctx.store.get_pair(screen.pair_id)
    assert pair.left == screen.left
    assert pair.right_text in screen.right_html and pair.left_text in screen.left_html
    label_tab.judge(ctx, "ann", screen.pair_id, screen.left, "right")
    [label] = ctx.store.labels_of(screen.pair_id)
    assert label["choice"] == pair.right


def test_judge_advances_and_reports_progress_until_the_empty_state(tmp_path):
    ctx = make_ctx(tmp_path, n=3)
    screen = label_tab.show_next(ctx, "ann")
    assert "**3** of 3 pairs left" in label_tab.progress_line(ctx, "ann")
    seen = []
    while not screen.empty:
        seen.append(screen.pair_id)
        screen = label_tab.judge(ctx, "ann", screen.pair_id, screen.left, "left")
    assert len(set(seen)) == 3
    line = label_tab.progress_line(ctx, "ann")
    assert "labeled **3** today" in line and "**0** of 3 pairs left" in line
    assert "labeled **0** today" in label_tab.progress_line(ctx, "other")


def test_undo_shows_the_pair_again_and_removes_the_label(tmp_path):
    ctx = make_ctx(tmp_path)
    assert label_tab.undo(ctx, "ann").notice == "Nothing to undo yet."
    first = label_tab.show_next(ctx, "ann")
    label_tab.judge(ctx, "ann", first.pair_id, first.left, "tie")
    back = label_tab.undo(ctx, "ann")
    assert back.pair_id == first.pair_id and "Undid" in back.notice
    assert ctx.store.labels_of(first.pair_id) == []


def test_a_pair_deleted_while_on_screen_moves_on_with_a_notice(tmp_path):
    ctx = make_ctx(tmp_path)
    screen = label_tab.show_next(ctx, "ann")
    ctx.store.delete_pair(screen.pair_id)
    after = label_tab.judge(ctx, "ann", screen.pair_id, screen.left, "left")
    assert "deleted" in after.notice and after.pair_id != screen.pair_id


def test_user_text_is_escaped_but_markdown_stays_readable():
    out = markdown_html("<img src=x onerror=alert(1)> **bold**\n\n```\n<b>x</b>\n```\n![i](http://e/x.png)")
    assert "<img" not in out and "&lt;img src=x onerror=alert(1)&gt;" in out
    assert "<strong>bold</strong>" in out and "&lt;b&gt;x&lt;/b&gt;" in out
    chat = message_html([{"role": "user", "content": "<script>x</script>"}, {"role": "x\"><b", "content": "y"}])
    assert "<script>" not in chat and "&lt;script&gt;" in chat and 'x"><b' not in chat


def test_guidelines_default_then_saved_in_the_home(tmp_path):
    assert read_guidelines(tmp_path) == DEFAULT_GUIDELINES
    save_guidelines(tmp_path, "Be kind")
    assert read_guidelines(tmp_path) == "Be kind\n" and (tmp_path / "guidelines.md").is_file()
    with pytest.raises(BadInput):
        save_guidelines(tmp_path, "  ")


# -- data views ----------------------------------------------------------------------------------------
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


# -- app shell -----------------------------------------------------------------------------------------
def test_the_app_has_its_four_tabs_and_no_hf_login_button_off_spaces(tmp_path):
    from rmstudio.ui.app import build_app

    app = build_app(tmp_path / "local", access=Access(anonymous_admin=True))
    # (with hf_login, Gradio needs a real Space or an HF token for its OAuth routes: not testable offline)
    assert not app.expects_oauth
    tabs = [b.elem_id for b in app.blocks.values() if isinstance(b, gr.Tab)]
    assert tabs == ["rm-tab-label", "rm-tab-data", "rm-tab-train", "rm-tab-compare"]
    assert PreferenceStore(tmp_path / "local").count_pairs() >= 40, "a fresh home is seeded with demo pairs"


def test_push_to_hub_needs_a_repo_id_before_any_network_call(tmp_path):
    ctx = make_ctx(tmp_path)
    for repo in ("", "no-owner"):
        with pytest.raises(BadInput, match="owner/name"):
            data_views.push_export(ctx.store, repo, token=None)
