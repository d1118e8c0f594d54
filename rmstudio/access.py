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
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from rmstudio.errors import BadInput
from rmstudio.settings import ENV_ADMINS, ENV_AUTH

ENV_SPACE_AUTHOR = "SPACE_AUTHOR_NAME"


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

    @classmethod
    def from_settings(cls, auth: str | Iterable[str] | None = None, *, env: Mapping[str, str] | None = None) -> Access:
        """Resolve the rules from `--auth` values (they win over RMSTUDIO_AUTH) and the environment."""
        env = os.environ if env is None else env
        logins = parse_logins(auth) if auth else parse_logins(env.get(ENV_AUTH) or None, source=ENV_AUTH)
        admins = parse_names(env.get(ENV_ADMINS))
        on_spaces = bool(env.get("SPACE_ID"))
        if logins:
            return cls(logins=logins, admins=admins, every_user_admin=not admins)
        if on_spaces:  # OAUTH_CLIENT_ID is set by Spaces when the README front matter has `hf_oauth: true`
            return cls(admins=admins or parse_names(env.get(ENV_SPACE_AUTHOR)),
                       hf_login=bool(env.get("OAUTH_CLIENT_ID")))
        return cls(admins=admins, anonymous_admin=not admins)

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

    def warnings(self) -> list[str]:
        """Configuration that is probably a mistake, worth printing at start-up."""
        found = []
        if self.logins and not self.every_user_admin and not (self.admins & set(self.logins)):
            found.append(f"{ENV_ADMINS} names none of the login users: nobody can import, export or train")
        elif not self.logins and not self.anonymous_admin and not (self.hf_login and self.admins):
            found.append("nobody can import, export or train: with RMSTUDIO_ADMINS set, admins must log in "
                         "(--auth / RMSTUDIO_AUTH, or Hugging Face login on Spaces)")
        return found
