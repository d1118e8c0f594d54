"""What every tab builder receives: the home, the store, the access rules, and who is asking.

A tab module exposes `build_<name>_tab(ctx: StudioContext) -> None`. `rmstudio.ui.app.build_app` calls it
inside an open `gr.Tab`, so the builder just creates components and wires events. Handlers that need the
user take a `request: gr.Request` parameter (Gradio fills it in) and ask the context:

    def start_training(spec_json, request: gr.Request):
        ctx.require_admin(request, "start training")     # raises gr.Error for annotators, server-side
        ...

`ctx.blocks` is the enclosing `gr.Blocks`, for `ctx.blocks.load(...)` (re-attach on page load);
`ctx.tabs` is the `gr.Tabs`, so a handler can switch tab by returning `gr.Tabs(selected="train")`
(tab ids: "label", "data", "train", "compare"); `ctx.tab_blocks[tab_id]` is the tab itself (for `.select`).
Every handler that can fail is wrapped in `shows_errors`, which shows the message in the page.
"""

from __future__ import annotations

import functools
import html
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr

from rmstudio.access import Access, NotAllowed
from rmstudio.errors import BadInput
from rmstudio.store import PreferenceStore

_log = logging.getLogger(__name__)


@dataclass
class StudioContext:
    """Shared by all tabs of one app. Holds no per-user state (that lives in gr.State / the request)."""

    home: Path
    store: PreferenceStore
    access: Access
    blocks: Any = None
    """The enclosing gr.Blocks (set by build_app before the tabs are built)."""
    tabs: Any = None
    """The gr.Tabs holding the tabs (set by build_app)."""
    tab_blocks: dict = field(default_factory=dict)
    """Tab id -> its gr.Tab, e.g. `ctx.tab_blocks["train"].select(...)` to refresh when the tab is opened."""
    extras: dict = field(default_factory=dict)
    """Free room for tabs to share objects (e.g. a scorer cache) without module globals."""

    def user(self, request: gr.Request | None) -> str | None:
        """The authenticated user: the login name, or the Hugging Face login on Spaces; None if anonymous."""
        if request is None:
            return None
        if getattr(request, "username", None):
            return request.username
        return _hf_username(request) if self.access.hf_login else None

    def is_admin(self, request: gr.Request | None) -> bool:
        return self.access.is_admin(self.user(request))

    def require_admin(self, request: gr.Request | None, action: str) -> str | None:
        """Refuse (gr.Error, shown in the page) unless the caller is admin; returns the user name."""
        user = self.user(request)
        try:
            self.access.require_admin(user, action)
        except NotAllowed as exc:
            raise gr.Error(str(exc)) from None
        return user

    def annotator(self, request: gr.Request | None, typed_name: str | None = None) -> str:
        """Who the labels are recorded for: the authenticated user, else the name typed on the page."""
        user = self.user(request)
        if user:
            return user
        if self.access.login_required:  # Gradio refuses anonymous calls before this; never trust a typed name
            raise gr.Error("log in first")
        name = " ".join((typed_name or "").split())
        if not name:
            raise gr.Error("type your name above the pair first (it is recorded with your labels)")
        return name[:64]


def _hf_username(request: gr.Request) -> str | None:
    """The Hugging Face user logged in through gr.LoginButton (Spaces OAuth), read from the session."""
    try:
        info = request.session.get("oauth_info") or {}
    except (AttributeError, AssertionError, KeyError):
        return None
    userinfo = info.get("userinfo") or {}
    return userinfo.get("preferred_username") or None


def shows_errors(fn: Callable | None = None, *, failure: str | None = None) -> Callable:
    """Show what a handler raises as an error toast in the page, never a stack trace.

    BadInput and NotAllowed show their message and log one line on the server (expected input, no
    traceback); gr.Error passes as raised. With `failure` (e.g. "Comparison failed") any other exception
    shows as "<failure>: <its message>" (its traceback logged): handlers that load models or start jobs can
    fail in ways no check foresees. Messages quote user text (file and column names), and Gradio renders a
    gr.Error's message as HTML, so they go through `plain_error`. Use as `@shows_errors` or
    `@shows_errors(failure="...")`.
    """
    if fn is None:
        return functools.partial(shows_errors, failure=failure)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except (BadInput, NotAllowed) as exc:
            _log.warning("%s refused: %s", fn.__name__, exc)
            raise plain_error(str(exc)) from None
        except Exception as exc:
            if failure is None:
                raise
            _log.exception("%s failed", fn.__name__)
            raise plain_error(f"{failure}: {exc}") from None

    return wrapper


def plain_error(message: str) -> gr.Error:
    """A gr.Error showing `message` as the characters written: Gradio inserts an error's message as HTML
    (its docs: "Can be HTML"), so a column named `<img src=x onerror=...>` would load its URL. Not printed
    as a traceback by Gradio (the caller logs what is worth logging)."""
    return gr.Error(html.escape(message, quote=False), print_exception=False)
