"""Browser-test fixtures: real rmstudio servers over temp homes, and Chromium pages.

Nothing is installed here: CI installs Chromium (`/usr/bin/chromium`, or $RMSTUDIO_CHROMIUM); without it
the browser tests fail (not skip), saying how to install it. `server` is shared by a test module, so its
tests only assert on what they add themselves (counts before and after, their own pairs and annotators);
a test that needs an untouched home takes `fresh_server`, and tests that need another setup (logins) call
`start_server` themselves.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.helpers.app_server import Server, start_server

CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking"]
PAGE_TIMEOUT_MS = 60_000  # CI machines are small and may be busy: wait for a state, do not flake


def chromium_path() -> str:
    path = os.environ.get("RMSTUDIO_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.fail(f"Chromium not found at {path}: install it (apt-get install -y chromium) or set RMSTUDIO_CHROMIUM")
    return path


def pytest_collection_modifyitems(items):
    """Screenshot mode trains the default preset on real pairs: allow it more than the 600 s a test gets
    (one such run took over 10 minutes on a busy shared 2-core CPU)."""
    from tests.browser.pages import screenshot_data

    if screenshot_data():
        for item in items:
            item.add_marker(pytest.mark.timeout(2400))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Remember each phase's report on the test item so fixtures can tell, at teardown, that it failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def failed(request) -> bool:
    report = getattr(request.node, "rep_call", None)
    return report is not None and report.failed


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One app server (no logins, a fresh home seeded with the demo pairs) shared by the test module."""
    running = start_server(tmp_path_factory.mktemp("home"))
    yield running
    running.stop()


@pytest.fixture
def fresh_server(tmp_path):
    """An app server over a home of this test's own, untouched by any other test."""
    running = start_server(tmp_path / "home")
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def server_log_on_failure(request):
    """When a browser test fails, print what its servers logged (shown in the pytest report)."""
    yield
    if failed(request):
        for server in servers_of(request):
            print(f"--- last lines of {server.log} ---\n{server.log_tail()}")


def servers_of(request) -> list[Server]:
    """The servers among the test's fixture values (also inside tuples, like test_compare's `trained`)."""
    values = list(request.node.funcargs.values())  # not getfixturevalue: some are torn down by now
    values += [item for value in values if isinstance(value, tuple) for item in value]
    return [value for value in values if isinstance(value, Server)]


@pytest.fixture(scope="session")
def playwright_instance():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def chromium(playwright_instance):
    browser = playwright_instance.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def new_page(chromium, request):
    """Factory for pages in fresh browser contexts (separate cookies and localStorage, like separate people).
    When the test fails, each page's visible text and console errors are printed and a screenshot saved
    in .pytest-failures/ (git-ignored)."""
    contexts, pages = [], []

    def make(viewport=(1400, 1000)):
        context = chromium.new_context(viewport={"width": viewport[0], "height": viewport[1]})
        context.set_default_timeout(PAGE_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.dialogs = []  # every alert/confirm/prompt the page opens, dismissed and remembered
        page.console_errors = []
        page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
        page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
        pages.append(page)
        return page

    yield make
    if failed(request):
        for number, page in enumerate(pages):
            describe_failed_page(page, request.config.rootpath / ".pytest-failures" / f"{request.node.name}-{number}.png")
    for context in contexts:
        context.close()


def describe_failed_page(page, shot: Path) -> None:
    try:
        shot.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(shot), full_page=True, timeout=10_000)
        text = page.inner_text("body", timeout=10_000)
    except Exception as exc:  # a crashed page must not hide the test's own failure
        print(f"--- page {page.url}: could not capture ({exc}) ---")
        return
    print(f"--- page {page.url} (screenshot {shot}) console errors: {page.console_errors[-10:]} ---\n{text[-4000:]}")
