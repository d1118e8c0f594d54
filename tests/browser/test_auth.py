"""Auth on: a login page, every page and API endpoint refused without credentials, admin actions refused
server-side for annotators (not just hidden)."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError, AuthenticationError

from rmstudio.store import PreferenceStore
from tests.browser.pages import open_app, shown_pair_id, wait_for_other_pair, wait_for_text
from tests.helpers.app_server import start_server

pytestmark = pytest.mark.browser

LOGINS = {"alice": "alice-pw", "bob": "bob-pw"}


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory):
    """Logins from --auth for alice and RMSTUDIO_AUTH's format via the CLI; only alice is admin."""
    running = start_server(tmp_path_factory.mktemp("auth-home"), auth=[f"{u}:{p}" for u, p in LOGINS.items()],
                           env={"RMSTUDIO_ADMINS": "alice"})
    yield running
    running.stop()


def status_of(url: str, method: str = "GET", data: bytes | None = None) -> int:
    request = urllib.request.Request(url, method=method, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def log_in(page, url: str, user: str, password: str) -> None:
    page.goto(url)
    page.get_by_label("username").fill(user)
    page.get_by_label("password").fill(password)
    page.get_by_role("button", name="Login").click()


def test_the_page_shows_a_login_form_and_wrong_passwords_fail(auth_server, new_page):
    page = new_page()
    page.goto(auth_server.url)
    page.get_by_role("button", name="Login").wait_for()
    assert page.locator("#rm-prompt").count() == 0
    log_in(page, auth_server.url, "bob", "wrong")
    page.get_by_text("Incorrect Credentials", exact=False).wait_for()
    assert page.locator("#rm-prompt").count() == 0


@pytest.mark.parametrize("method,path", [
    ("GET", "/config"), ("GET", "/gradio_api/info"), ("POST", "/gradio_api/call/label_left"),
    ("POST", "/gradio_api/queue/join"), ("POST", "/gradio_api/upload"), ("POST", "/gradio_api/call/import_data"),
    ("GET", "/gradio_api/file=" + "/etc/hostname"),
])
def test_api_endpoints_refuse_anonymous_calls(auth_server, method, path):
    assert status_of(auth_server.url + path, method, b"{}" if method == "POST" else None) == 401


def test_gradio_client_without_credentials_is_refused(auth_server):
    with pytest.raises(AuthenticationError, match="credentials were not provided"):  # the config answered 401
        Client(auth_server.url, verbose=False)


def test_an_annotator_labels_under_their_login_but_admin_actions_are_refused(auth_server, new_page):
    page = new_page()
    log_in(page, auth_server.url, "bob", LOGINS["bob"])
    open_app(page, None)
    assert "Labeling as bob (annotator)" in page.inner_text("#rm-who")
    assert not page.locator("#rm-annotator-name").is_visible(), "with logins, nobody types a name"
    first = shown_pair_id(page)
    page.keyboard.press("1")
    wait_for_other_pair(page, first)
    store = PreferenceStore(auth_server.home)
    assert [label["annotator"] for label in store.labels_of(first)] == ["bob"]

    page.get_by_role("tab", name="Data").click()
    page.get_by_text("Only admins can import", exact=False).wait_for()
    assert not page.locator("#rm-import").is_visible()
    page.wait_for_timeout(1500)  # the tab's refresh events have run by now
    assert page.locator(".toast-body").count() == 0, "opening the tab must not greet an annotator with errors"

    client = Client(auth_server.url, auth=("bob", LOGINS["bob"]), verbose=False)
    for api_name, args in [("/delete_pair", (first,)), ("/stats", ()), ("/export_file", ("JSONL",)),
                           ("/save_guidelines", ("hacked",))]:
        with pytest.raises(AppError, match="only admins"):  # the handler's own refusal, not a transport error
            client.predict(*args, api_name=api_name)
    assert store.get_pair(first) is not None


def test_an_admin_may_administer(auth_server, new_page):
    client = Client(auth_server.url, auth=("alice", LOGINS["alice"]), verbose=False)
    summary = client.predict(api_name="/stats")[0]
    assert "pairs" in summary
    page = new_page()
    log_in(page, auth_server.url, "alice", LOGINS["alice"])
    open_app(page, None)
    assert "Labeling as alice (admin)" in page.inner_text("#rm-who")
    page.get_by_role("tab", name="Data").click()
    wait_for_text(page, "#rm-page-info", "matching pair")
