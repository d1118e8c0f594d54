"""Who may use the studio and who may administer it.

Logins come from `--auth USER:PASS` (repeatable) or `RMSTUDIO_AUTH="alice:pw,bob:pw2"`; admins from
`RMSTUDIO_ADMINS="alice"`. Annotators label; admins may also import, delete, relabel, export, train and
edit the guidelines. The rules:

- Logins configured: every page and API call needs one. Admins are the users named in RMSTUDIO_ADMINS,
  or every user when RMSTUDIO_ADMINS is unset.
- No logins, on Hugging Face Spaces: visitors may label under a name they type (or their HF login, offered
  when the Space has `hf_oauth: true`); admins are the HF users named in RMSTUDIO_ADMINS, else the Space's
  owner (SPACE_AUTHOR_NAME), and they must sign in with Hugging Face.
- No logins, elsewhere (a local single-user studio): the visitor is admin, unless RMSTUDIO_ADMINS is set,
  in which case only an authenticated identity named there is (a typed name is never trusted).

Every event handler of the app declares who may call it (`StudioContext.allows`), checked on the server
for every call; `build_app` refuses to build an app with a handler that declares nothing (deny by default):

- `anonymous`: anyone who reaches the page (switching tabs, showing or hiding a field).
- `annotator`: anyone who may label (a login, or — without logins — any visitor, under the name they type):
  labeling, their own progress, the guidelines.
- `admin`: everything else: import, browse, relabel, export, train, Compare, the playground, the Train form's
  preset values, the run list. Model paths and Hub ids are admin-only inputs.

A public demo (e.g. a Space without logins, where visitors are not admin) may open some admin handlers to
non-admins with `RMSTUDIO_VISITORS`, a comma-separated list of (all off by default):

- `train`: start training runs (default backbone) and watch the run list;
- `compare`: Compare and the playground, on finished runs' checkpoints and an uploaded eval file;
- `labels`: also evaluate on the store's labeled pairs or a run's held-out split (this reveals labels
  and training text through the disagreement view);
- `models`: also load models by local path or Hub id (Compare, playground, Train backbone, preset values).

Cancel, resume, generation, team settings and everything in the Data tab stay admin-only.

A name typed without a login is kept in the browser, encrypted with a secret stored in the home
(`<home>/.browser_secret`, mode 0600; see `browser_secret`), so it survives server restarts.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rmstudio.errors import BadInput
from rmstudio.settings import ENV_ADMINS, ENV_AUTH, ENV_VISITORS

ENV_SPACE_AUTHOR = "SPACE_AUTHOR_NAME"
ANYONE, ANNOTATOR, ADMIN = "anonymous", "annotator", "admin"
ROLES = (ANYONE, ANNOTATOR, ADMIN)
VISITOR_GRANTS = ("train", "compare", "labels", "models")
"""What RMSTUDIO_VISITORS may open to non-admins (see the module docstring)."""


class NotAllowed(PermissionError):
    """The current user may not do this (an annotator asking for an admin action)."""


def parse_logins(specs: str | Iterable[str] | None, *, source: str = "--auth") -> dict[str, str]:
    """`"alice:pw,bob:pw2"` or `["alice:pw", "bob:pw2"]` -> {"alice": "pw", "bob": "pw2"}.

    A password may contain ':' (the name ends at the first one) but not ','.
    """
    if specs is None:
        return {}
    items = [specs] if isinstance(specs, str) else list(specs)
    logins: dict[str, str] = {}
    for item in items:
        for spec in str(item).split(","):
            spec = spec.strip()
            if not spec:
                continue
            user, sep, password = spec.partition(":")
            user = user.strip()
            if not sep or not user or not password:
                raise BadInput(f"expected USER:PASSWORD, got {spec.split(':')[0]!r}… (a login needs a name, "
                               "a colon and a non-empty password)", source=source, field="auth")
            if user in logins:
                raise BadInput(f"user {user!r} is given twice", source=source, field="auth")
            logins[user] = password
    return logins


def parse_names(value: str | None) -> frozenset[str]:
    return frozenset(name.strip() for name in (value or "").split(",") if name.strip())


SECRET_FILE = ".browser_secret"


def browser_secret(home: str | os.PathLike) -> str:
    """The home's secret for values kept in visitors' browsers (their typed name): made once, mode 0600.

    A per-process key would make every saved name unreadable after a restart (labels split across
    identities). The file is untrusted input: anything but 64 hex digits is a BadInput naming it."""
    path = Path(home) / SECRET_FILE
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(descriptor, "w") as out:
            out.write(secrets.token_hex(32))
    value = path.read_text(errors="replace").strip()
    if not re.fullmatch(r"[0-9a-f]{64}", value):
        raise BadInput("not a secret written by rmstudio (64 hex digits); delete it to make a new one "
                       "(visitors then type their names again)", source=str(path))
    return value


def parse_visitors(value: str | None) -> frozenset[str]:
    """RMSTUDIO_VISITORS="train,compare" -> {"train", "compare"}; BadInput naming an unknown grant."""
    grants = parse_names(value)
    unknown = sorted(grants - set(VISITOR_GRANTS))
    if unknown:
        raise BadInput(f"unknown grant {unknown[0]!r}; expected some of {', '.join(VISITOR_GRANTS)}",
                       source=ENV_VISITORS, field="visitors")
    return grants


@dataclass(frozen=True)
class Access:
    """The studio's access rules, resolved once at start-up (see the module docstring)."""

    logins: Mapping[str, str] = field(default_factory=dict, repr=False)
    """Login name -> password. Empty: no login page."""
    admins: frozenset[str] = frozenset()
    """Authenticated names allowed admin actions (ignored when `every_user_admin`)."""
    every_user_admin: bool = False
    """Every logged-in user is admin (logins configured, RMSTUDIO_ADMINS unset)."""
    anonymous_admin: bool = False
    """Visitors without any login are admin (a local single-user studio)."""
    hf_login: bool = False
    """Offer "Sign in with Hugging Face" (only on Spaces, where OAuth works)."""
    visitors: frozenset[str] = frozenset()
    """What non-admins may do beyond labeling (RMSTUDIO_VISITORS; see VISITOR_GRANTS)."""

    @classmethod
    def from_settings(cls, auth: str | Iterable[str] | None = None, *, env: Mapping[str, str] | None = None) -> Access:
        """Resolve the rules from `--auth` values (they win over RMSTUDIO_AUTH) and the environment."""
        env = os.environ if env is None else env
        logins = parse_logins(auth) if auth else parse_logins(env.get(ENV_AUTH) or None, source=ENV_AUTH)
        admins = parse_names(env.get(ENV_ADMINS))
        visitors = parse_visitors(env.get(ENV_VISITORS))
        on_spaces = bool(env.get("SPACE_ID"))
        if logins:
            return cls(logins=logins, admins=admins, every_user_admin=not admins, visitors=visitors)
        if on_spaces:  # OAUTH_CLIENT_ID is set by Spaces when the README front matter has `hf_oauth: true`
            return cls(admins=admins or parse_names(env.get(ENV_SPACE_AUTHOR)),
                       hf_login=bool(env.get("OAUTH_CLIENT_ID")), visitors=visitors)
        return cls(admins=admins, anonymous_admin=not admins, visitors=visitors)

    @property
    def login_required(self) -> bool:
        return bool(self.logins)

    def gradio_auth(self) -> list[tuple[str, str]] | None:
        """The `auth=` argument for `gr.Blocks.launch` (None: no login page)."""
        return sorted(self.logins.items()) or None

    def is_admin(self, user: str | None, *, authenticated: bool = True) -> bool:
        """May `user` (an authenticated login, or a typed name when `authenticated` is False) administer?"""
        if user and authenticated and (self.every_user_admin or user in self.admins):
            return True
        return self.anonymous_admin and not self.login_required

    def require_admin(self, user: str | None, action: str, *, authenticated: bool = True) -> None:
        """Raise NotAllowed unless `user` may administer; `action` says what was refused (e.g. "import data")."""
        if not self.is_admin(user, authenticated=authenticated):
            who = f"'{user}'" if user else "an anonymous visitor"
            raise NotAllowed(f"only admins may {action}; {who} is an annotator (admins: set {ENV_ADMINS})")

    def refusal(self, user: str | None, role: str, action: str, *, grant: str | None = None) -> str | None:
        """Why `user` (authenticated, or None) may not call a handler declared `role`; None when they may.

        `grant`: the RMSTUDIO_VISITORS name that opens an admin handler to every annotator."""
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
        if role == ANYONE:
            return None
        if self.login_required and not user:
            return "log in first"
        if role == ANNOTATOR or self.permits(user, grant):
            return None
        try:
            self.require_admin(user, action)
        except NotAllowed as exc:
            return str(exc)
        return None

    def permits(self, user: str | None, grant: str | None) -> bool:
        """May `user` do what RMSTUDIO_VISITORS' `grant` names: as admin, or because visitors may?"""
        if grant is not None and grant not in VISITOR_GRANTS:
            raise ValueError(f"unknown grant {grant!r}; expected one of {', '.join(VISITOR_GRANTS)}")
        return self.is_admin(user) or (grant in self.visitors and (user is not None or not self.login_required))

    def warnings(self) -> list[str]:
        """Configuration that is probably a mistake, worth printing at start-up."""
        found = []
        if self.logins and not self.every_user_admin and not (self.admins & set(self.logins)):
            found.append(f"{ENV_ADMINS} names none of the login users: nobody can import, export or train")
        elif not self.logins and not self.anonymous_admin and not (self.hf_login and self.admins):
            found.append("nobody can import, export or train: with RMSTUDIO_ADMINS set, admins must log in "
                         "(--auth / RMSTUDIO_AUTH, or Hugging Face login on Spaces)")
        return found
