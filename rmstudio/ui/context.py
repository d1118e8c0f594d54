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

Every handler declares who may call it, as the outermost decorator (see rmstudio.access for the roles):

    @ctx.allows(ADMIN, "start training", visitors="train")
    @shows_errors
    def start_training(spec_json, request: gr.Request): ...

`build_app` ends with `require_declared_roles(blocks)`: an app with an undeclared handler is not built.
"""

from __future__ import annotations

import functools
import html
import inspect
import logging
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr

from rmstudio.access import ADMIN, ROLES, Access, NotAllowed
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
            raise plain_error(str(exc)) from None
        return user

    def allows(self, role: str, action: str | None = None, *, visitors: str | None = None,
               quietly: bool = False) -> Callable[[Callable], Callable]:
        """Declare who may call a handler (ANYONE, ANNOTATOR or ADMIN) and check it on every call.

        `action` names what is refused ("import data"); `visitors` the RMSTUDIO_VISITORS grant that opens an
        admin handler to annotators. A refusal is a gr.Error with a plain message, raised before the handler
        reads its inputs; with `quietly` (page-load, tab-open and timer events, which fire for everyone) the
        refusal instead leaves every output as it is. The caller comes from a `gr.Request` parameter: the
        handler's own, or one the guard adds in front of the others (Gradio fills it by its annotation).
        """
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")

        def declare(fn: Callable) -> Callable:
            index, signature = _request_parameter(fn)
            what = action or fn.__name__.strip("_<>").replace("_", " ")

            @functools.wraps(fn)
            def guarded(*args, **kwargs):
                if index is None:
                    request, args = (args[0], args[1:]) if args else (kwargs.pop(ADDED_REQUEST, None), args)
                else:
                    request = args[index] if len(args) > index else kwargs.get(signature.parameters_names[index])
                refusal = self.access.refusal(self.user(request), role, what, grant=visitors)
                if refusal is not None:
                    if quietly:
                        return gr.skip()  # Gradio leaves every output of the event as it is
                    raise plain_error(refusal)
                return fn(*args, **kwargs)

            if index is None:
                guarded.__signature__ = signature.signature
                guarded.__annotations__ = {ADDED_REQUEST: typing.Optional[gr.Request],  # noqa: UP045 - Gradio matches this
                                           **getattr(fn, "__annotations__", {})}
            setattr(guarded, ROLE_MARK, role)
            _check_gradio_sees_the_request(guarded, fn)
            return guarded

        return declare

    def permits(self, request: gr.Request | None, grant: str) -> bool:
        """Is the caller admin, or may visitors do what `grant` names (RMSTUDIO_VISITORS)?"""
        return self.access.permits(self.user(request), grant)

    def require_grant(self, request: gr.Request | None, grant: str, action: str) -> None:
        """Refuse (gr.Error) an admin-only input, e.g. a model path, unless RMSTUDIO_VISITORS opens it."""
        if not self.permits(request, grant):
            refusal = self.access.refusal(self.user(request), ADMIN, action)
            raise plain_error(refusal or f"only admins may {action}")

    def annotator(self, request: gr.Request | None, typed_name: str | None = None) -> str:
        """Who the labels are recorded for: the authenticated user, else the name typed on the page."""
        user = self.user(request)
        if user:
            return user
        if self.access.login_required:  # Gradio refuses anonymous calls before this; never trust a typed name
            raise plain_error("log in first")
        name = " ".join((typed_name or "").split())
        if not name:
            raise plain_error("type your name above the pair first (it is recorded with your labels)")
        return name[:64]


ROLE_MARK = "__rmstudio_role__"
"""The attribute `StudioContext.allows` sets on a handler: the role it declared."""
ADDED_REQUEST = "rmstudio_request"


@dataclass(frozen=True)
class _Signature:
    signature: inspect.Signature
    parameters_names: tuple


def _request_parameter(fn: Callable) -> tuple[int | None, _Signature]:
    """(position of fn's own gr.Request parameter or None, the signature the guard shows Gradio)."""
    signature = inspect.signature(fn)
    params = list(signature.parameters.values())
    hints = _type_hints(fn)
    for position, param in enumerate(params):
        if param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD) and \
                hints.get(param.name) in (gr.Request, typing.Optional[gr.Request]):  # noqa: UP045
            return position, _Signature(signature, tuple(p.name for p in params))
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        raise TypeError(f"handler {fn.__name__} takes *args: give it a `request: gr.Request` parameter")
    added = inspect.Parameter(ADDED_REQUEST, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                              annotation=typing.Optional[gr.Request])  # noqa: UP045
    new = signature.replace(parameters=[added, *params])
    return None, _Signature(new, tuple(p.name for p in new.parameters.values()))


def _type_hints(fn: Callable) -> dict:
    try:
        return typing.get_type_hints(fn)
    except (NameError, TypeError) as exc:  # a string annotation naming nothing: Gradio would not see gr.Request
        raise TypeError(f"handler {getattr(fn, '__name__', fn)}'s annotations cannot be resolved: {exc}") from None


def _check_gradio_sees_the_request(guarded: Callable, fn: Callable) -> None:
    """Gradio fills parameters by their resolved annotations; a guard whose request it cannot see would check
    nobody. Fail when the handler is declared, not when it is called."""
    from gradio.utils import get_type_hints

    hints = get_type_hints(guarded)
    if not any(hint in (gr.Request, typing.Optional[gr.Request]) for hint in hints.values()):  # noqa: UP045
        raise TypeError(f"handler {getattr(fn, '__name__', fn)}: Gradio would not pass it the request")


def require_declared_roles(blocks: gr.Blocks) -> None:
    """Refuse an app with an event handler that declares no role (deny by default: see StudioContext.allows).

    Gradio's own handlers (e.g. the Hugging Face login button's) are not ours to declare and are skipped."""
    undeclared = []
    for fn_index, dependency in blocks.fns.items():
        fn = dependency.fn
        if fn is None or getattr(fn, ROLE_MARK, None) in ROLES:
            continue
        if (getattr(fn, "__module__", "") or "").split(".")[0] == "gradio":
            continue
        undeclared.append(f"{getattr(fn, '__qualname__', fn)} (fn_index {fn_index})")
    if undeclared:
        raise TypeError("every handler must declare who may call it (ctx.allows): " + ", ".join(undeclared))


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
