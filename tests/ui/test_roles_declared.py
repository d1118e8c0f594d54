"""Deny by default: every handler declares who may call it (`ctx.allows`), the guard checks the caller Gradio
passes on every call, and an app with an undeclared handler is not built."""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr
import pytest
from gradio.helpers import special_args

from rmstudio.access import ADMIN, ANNOTATOR, ANYONE, Access
from rmstudio.ui.context import ROLE_MARK, require_declared_roles
from tests.helpers.studio import make_ctx

TEAM = {"RMSTUDIO_AUTH": "alice:1,bob:2", "RMSTUDIO_ADMINS": "alice"}
ALICE, BOB, NOBODY = SimpleNamespace(username="alice"), SimpleNamespace(username="bob"), SimpleNamespace(username=None)


def team_ctx(tmp_path, **env):
    return make_ctx(tmp_path, Access.from_settings(None, env={**TEAM, **env}))


def test_an_admin_handler_refuses_annotators_and_anonymous_callers_with_a_plain_message(tmp_path):
    ctx = team_ctx(tmp_path)
    delete = ctx.allows(ADMIN, "delete pairs")(lambda pair_id: f"deleted {pair_id}")
    assert delete(ALICE, 7) == "deleted 7"
    with pytest.raises(gr.Error, match="only admins may delete pairs; 'bob' is an annotator"):
        delete(BOB, 7)
    with pytest.raises(gr.Error, match="log in first"):
        delete(NOBODY, 7)
    label = ctx.allows(ANNOTATOR)(lambda pair_id: pair_id)
    assert label(BOB, 3) == 3
    with pytest.raises(gr.Error, match="log in first"):
        label(NOBODY, 3)
    assert ctx.allows(ANYONE)(lambda: "tab")(NOBODY) == "tab"


def test_a_quiet_refusal_leaves_every_output_unchanged(tmp_path):
    ctx = team_ctx(tmp_path)
    refresh = ctx.allows(ADMIN, "see the runs", quietly=True)(lambda run_id: ["runs"])
    assert refresh(BOB, "r1") == gr.skip(), "Gradio leaves every output of the event as it is"
    assert refresh(ALICE, "r1") == ["runs"]


def test_gradio_fills_the_request_the_guard_adds_or_the_handler_s_own(tmp_path):
    ctx = team_ctx(tmp_path)

    def own(text, progress=gr.Progress(), request: gr.Request = None):  # noqa: B008 - the Gradio idiom
        return request

    def plain(text, evt: gr.SelectData):
        return text

    request = gr.Request(username="alice")
    guarded_own = ctx.allows(ADMIN)(own)
    inputs, *_ = special_args(guarded_own, ["t"], request=request)
    assert inputs[0] == "t" and inputs[2] is request
    assert guarded_own(*inputs) is request
    guarded_plain = ctx.allows(ADMIN)(plain)
    selected = gr.EventData(None, {"index": 0, "value": "t"})
    inputs, *_ = special_args(guarded_plain, ["t"], request=request, event_data=selected)
    assert inputs[0] is request, "the added request comes first, whatever else Gradio fills"
    assert isinstance(inputs[2], gr.SelectData) and guarded_plain(*inputs) == "t"
    assert getattr(guarded_plain, ROLE_MARK) == ADMIN and getattr(guarded_own, ROLE_MARK) == ADMIN


def test_visitors_setting_opens_only_the_named_admin_handlers(tmp_path):
    ctx = team_ctx(tmp_path, RMSTUDIO_VISITORS="compare")
    play = ctx.allows(ADMIN, "score completions", visitors="compare")(lambda: "scored")
    train = ctx.allows(ADMIN, "start training", visitors="train")(lambda: "queued")
    assert play(BOB) == "scored"
    with pytest.raises(gr.Error, match="only admins may start training"):
        train(BOB)
    with pytest.raises(gr.Error, match="log in first"):
        play(NOBODY)
    assert not ctx.permits(BOB, "models") and ctx.permits(ALICE, "models")
    with pytest.raises(gr.Error, match="only admins may load a model by path"):
        ctx.require_grant(BOB, "models", "load a model by path or Hub id")


def test_an_app_with_an_undeclared_handler_is_not_built(tmp_path):
    ctx = team_ctx(tmp_path)
    with gr.Blocks() as blocks:
        box = gr.Textbox()
        box.change(ctx.allows(ANYONE)(lambda text: text), box, box)
        box.submit(lambda text: text.upper(), box, box)
        box.blur(None, box, box, js="(text) => text")  # no server function: nothing to declare
    with pytest.raises(TypeError, match=r"declare who may call it.*<lambda> \(fn_index 1\)"):
        require_declared_roles(blocks)


def test_the_real_app_declares_every_handler(tmp_path):
    from rmstudio.ui.app import build_app

    blocks = build_app(tmp_path, access=Access.from_settings(None, env=TEAM))  # raises if one is undeclared
    roles = [getattr(dependency.fn, ROLE_MARK) for dependency in blocks.fns.values() if dependency.fn]
    assert roles.count(ADMIN) > roles.count(ANNOTATOR) > 0
