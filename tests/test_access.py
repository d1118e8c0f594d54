"""Logins and roles: who may label and who may administer."""

from __future__ import annotations

import pytest

from rmstudio.access import Access, NotAllowed, parse_logins
from rmstudio.errors import BadInput


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


def test_visitors_setting_names_known_grants_only():
    from rmstudio.access import ADMIN, ANNOTATOR

    access = Access.from_settings(None, env={"SPACE_ID": "me/demo", "RMSTUDIO_VISITORS": "train, compare"})
    assert access.visitors == {"train", "compare"}
    assert access.permits(None, "train") and not access.permits(None, "models") and not access.permits(None, None)
    assert access.refusal(None, ANNOTATOR, "label") is None
    assert "only admins may load models" in access.refusal(None, ADMIN, "load models", grant="models")
    assert Access.from_settings(None, env={"SPACE_ID": "me/demo"}).visitors == frozenset()  # off by default
    with pytest.raises(BadInput, match="RMSTUDIO_VISITORS.*unknown grant 'everything'"):
        Access.from_settings(None, env={"RMSTUDIO_VISITORS": "everything"})


def test_the_browser_secret_is_made_once_per_home_readable_by_its_owner_only(tmp_path):
    from rmstudio.access import SECRET_FILE, browser_secret

    first = browser_secret(tmp_path)
    assert browser_secret(tmp_path) == first, "a restart reads the same secret"
    assert (tmp_path / SECRET_FILE).stat().st_mode & 0o777 == 0o600
    other = tmp_path / "other"
    other.mkdir()
    assert browser_secret(other) != first
    (other / SECRET_FILE).write_text("tampered")
    with pytest.raises(BadInput, match=r"\.browser_secret.*64 hex digits"):
        browser_secret(other)
