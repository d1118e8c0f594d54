"""The context every tab handler asks: who is calling (a login over a typed name, admin or not), and shows_errors,
which shows what a handler raises as a message in the page, never a stack trace."""

from __future__ import annotations

import inspect
from types import SimpleNamespace

import gradio as gr
import pytest

from rmstudio.access import Access, NotAllowed
from rmstudio.errors import BadInput
from rmstudio.ui.context import shows_errors
from tests.helpers.studio import make_ctx


def fails_with(exc: Exception):
    def handler(value, request: gr.Request = None):
        raise exc

    return handler


def shown(handler) -> str:
    """The message the page's error toast shows when `handler` runs."""
    with pytest.raises(gr.Error) as caught:
        handler(1)
    return caught.value.message


def test_bad_input_and_refusals_show_their_message():
    assert shown(shows_errors(fails_with(BadInput("no pairs", source="store")))) == "store: no pairs"
    refusal = fails_with(NotAllowed("only admins may train"))
    assert shown(shows_errors(failure="Could not start the run")(refusal)) == "only admins may train"


def test_unforeseen_errors_show_the_failure_and_their_message_only_when_asked():
    assert shown(shows_errors(failure="Comparison failed")(fails_with(OSError("disk full")))) == \
        "Comparison failed: disk full"
    with pytest.raises(OSError):
        shows_errors(fails_with(OSError("disk full")))(1)


def test_messages_raised_as_gr_error_pass_unchanged_and_the_signature_stays_for_gradio():
    assert shown(shows_errors(failure="Scoring failed")(fails_with(gr.Error("Type a prompt first.")))) == \
        "Type a prompt first."
    wrapped = shows_errors(failure="Scoring failed")(fails_with(ValueError()))
    assert list(inspect.signature(wrapped).parameters) == ["value", "request"]


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

