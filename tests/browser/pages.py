"""What browser tests do on the studio's pages: open it, read which pair is shown, wait for a page state,
and (only when asked) save screenshots.

Screenshots: `RMSTUDIO_SCREENSHOTS=docs python -m pytest -q tests/browser` redraws the README's images in
docs/; without that variable none are taken, so a test run writes no tracked file. In that mode the tests that
take them also import real public pairs (`../shared/data/dpo_en_demo.json` beside the repository, when present)
through the Data tab and train on them with the default preset, so the images show real curves and accuracy;
normal runs stay fast on the project's own demo pairs.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = "RMSTUDIO_SCREENSHOTS"  # a folder, relative to the repository root
IMPORT_TIMEOUT_MS = 180_000  # a few hundred long real conversations: preview, then store, on a busy CPU


def open_app(page, url: str | None) -> None:
    """Load the studio (url None: it is loading already) and wait until the first pair or the empty state shows."""
    if url:
        page.goto(url)
    page.wait_for_selector("#rm-progress :text('left to label')", timeout=60_000)


def shown_pair_id(page) -> int:
    title = page.inner_text("#rm-prompt .rm-panel-title")
    return int(re.search(r"pair #(\d+)", title).group(1))


def wait_for_other_pair(page, previous: int) -> int:
    """Wait until the pair on screen is no longer `previous` (the next one arrived); return its id."""
    page.wait_for_function(
        """previous => { const t = document.querySelector('#rm-prompt .rm-panel-title');
                          const m = t && t.textContent.match(/pair #(\\d+)$/);
                          return m && Number(m[1]) !== previous; }""", arg=previous)
    return shown_pair_id(page)


def wait_for_text(page, selector: str, text: str, count: int = 1, timeout: float | None = None) -> None:
    """Wait until the element's text contains `text` at least `count` times (`timeout` ms: the page's default)."""
    page.wait_for_function(
        "([selector, text, count]) => { const el = document.querySelector(selector);"
        " return el && el.textContent.split(text).length - 1 >= count; }", arg=[selector, text, count],
        timeout=timeout)


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


def screenshot(page, name: str) -> Path | None:
    """Save the visible page as `name` in the folder $RMSTUDIO_SCREENSHOTS names; without it, do nothing."""
    folder = os.environ.get(SCREENSHOTS)
    if not folder:
        return None
    path = REPO / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(500)  # plots draw with a short transition; a picture taken mid-way looks broken
    page.screenshot(path=str(path), full_page=False)
    return path


def screenshot_data() -> Path | None:
    """The real preference pairs the README images are drawn from, in screenshot mode when they are present
    beside the repository (bench/shared_data.py: never copied into it); else None (the project's own pairs)."""
    from bench.shared_data import DPO_EN_DEMO

    if not os.environ.get(SCREENSHOTS):
        return None
    if not DPO_EN_DEMO.is_file():
        print(f"screenshots: {DPO_EN_DEMO} not found, drawing them from the built-in demo pairs")
        return None
    return DPO_EN_DEMO


def import_through_data_tab(page, path) -> None:
    """Import a preference file as a user would: Data tab, upload, read the preview, press Import."""
    page.get_by_role("tab", name="Data").click()
    page.locator("#rm-upload input[type=file]").set_input_files(str(path))
    wait_for_text(page, "#rm-import-summary", "detected schema", timeout=IMPORT_TIMEOUT_MS)
    page.locator("#rm-import").click()
    wait_for_text(page, "#rm-import-summary", "Imported", timeout=IMPORT_TIMEOUT_MS)
