"""Browser-test fixtures: a real rmstudio server in a subprocess over a temp home, and Chromium pages.

Nothing is installed here: CI installs Chromium (`/usr/bin/chromium`, or $RMSTUDIO_CHROMIUM). One server
per test module keeps the suite quick; tests that need a different setup (auth) start their own with
`start_server`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking"]
START_TIMEOUT = 120


def chromium_path() -> str:
    path = os.environ.get("RMSTUDIO_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.fail(f"Chromium not found at {path}: install it (apt-get install -y chromium) or set RMSTUDIO_CHROMIUM")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """A running `python -m rmstudio serve` process."""

    url: str
    home: Path
    process: subprocess.Popen
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(home: Path, *, auth: list[str] | None = None, env: dict | None = None) -> Server:
    """Start the app on a free port and wait until it answers HTTP."""
    port = free_port()
    command = [sys.executable, "-m", "rmstudio", "serve", "--home", str(home), "--host", "127.0.0.1",
               "--port", str(port)]
    for login in auth or []:
        command += ["--auth", login]
    environment = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False",
                   "PYTHONPATH": str(REPO), **(env or {})}
    for name in ("RMSTUDIO_AUTH", "RMSTUDIO_ADMINS", "SPACE_ID"):
        if name not in (env or {}):
            environment.pop(name, None)
    log = home / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=REPO, env=environment, stdout=out, stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}", home, process, log)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            urllib.request.urlopen(server.url + "/", timeout=2)
            return server
        except urllib.error.HTTPError:
            return server  # answering (e.g. 401 with auth on)
        except OSError:
            time.sleep(0.25)
    server.stop()
    raise RuntimeError(f"the server did not answer within {START_TIMEOUT} s:\n{log.read_text()[-3000:]}")


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
    """One app server (no auth, a fresh home seeded with the demo pairs) for the whole test module."""
    running = start_server(tmp_path_factory.mktemp("home"))
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def server_log_on_failure(request):
    """When a browser test fails, print what the module's server logged (shown in the pytest report)."""
    yield
    if failed(request) and "server" in request.fixturenames:
        log = request.getfixturevalue("server").log
        print(f"--- last lines of {log} ---\n" + "\n".join(log.read_text(errors="replace").splitlines()[-60:]))


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
    When the test fails, each page's visible text and console errors are printed and a screenshot saved."""
    contexts, pages = [], []

    def make(viewport=(1400, 1000)):
        context = chromium.new_context(viewport={"width": viewport[0], "height": viewport[1]})
        context.set_default_timeout(60_000)  # CI machines are small and may be busy: wait, do not flake
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


def open_app(page, url: str | None) -> None:
    """Load the studio (url None: it is loading already) and wait until the first pair or the empty state shows."""
    if url:
        page.goto(url)
    page.wait_for_selector("#rm-progress :text('left to label')", timeout=60_000)


def screenshot(page, name: str) -> Path:
    DOCS.mkdir(exist_ok=True)
    path = DOCS / name
    page.screenshot(path=str(path), full_page=False)
    return path


def wait_for_result(page, selector: str, timeout: float) -> None:
    """Wait until `selector` is visible; fail at once, with its text, when the page shows an error toast
    instead (a failed handler's message vanishes after a few seconds, a time-out would not say why)."""
    error = ".toast-body.error"
    page.wait_for_function("([sel, err]) => { const el = document.querySelector(sel);"
                           " return (el && el.offsetParent !== null) || document.querySelector(err) !== null; }",
                           arg=[selector, error], timeout=timeout)
    toasts = page.locator(error)
    if toasts.count() and not page.locator(selector).is_visible():
        raise AssertionError(f"the page showed an error instead of {selector}: {toasts.all_inner_texts()}")
