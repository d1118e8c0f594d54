"""Train tab in a real Chromium: start runs on the demo pairs, watch the plots fill, reload and a second
browser re-attach, cancel one run, let another finish."""

from __future__ import annotations

import os

import pytest

from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]
os.environ.setdefault("HF_HUB_OFFLINE", "1")

RUN_TIMEOUT = 240_000  # ms: a tiny run on the embedded MiniLM takes well under a minute; the machine is shared


def open_train(page, url: str) -> None:
    page.goto(url)
    page.get_by_role("tab", name="Train").click()
    page.locator("#train-start").wait_for()


def progress_text(page) -> str:
    return page.inner_text("#train-progress")


def wait_for_state(page, state: str, timeout: float = RUN_TIMEOUT) -> None:
    page.wait_for_function(
        "state => { const el = document.querySelector('#train-progress [data-state]');"
        " return el && el.dataset.state === state; }", arg=state, timeout=timeout)


def shown_run(page) -> str:
    return page.input_value("#train-run input")


def plot_points(page, elem_id: str) -> int:
    """Number of drawn data marks (line vertices/points) in a native Gradio plot."""
    return page.evaluate(
        """id => { const root = document.getElementById(id); if (!root) return 0;
                   const marks = root.querySelectorAll('.mark-symbol path, .mark-line path');
                   return marks.length; }""", elem_id)


def start_run(page, *, max_steps: int, batch_size: int | None = None) -> str:
    """Choose the built-in demo pairs, cap the run, press Train; returns the new run id."""
    before = shown_run(page)
    page.get_by_label("Built-in demo pairs").check()
    page.get_by_text("Advanced: every hyperparameter").click()
    steps = page.locator("#train-max_steps input")
    steps.fill(str(max_steps))
    steps.press("Tab")
    if batch_size:
        batch = page.locator("#train-batch_size input")
        batch.fill(str(batch_size))
        batch.press("Tab")
    page.locator("#train-start").click()
    page.wait_for_function(
        "before => { const el = document.querySelector('#train-run input'); return el && el.value && el.value !== before; }",
        arg=before, timeout=60_000)
    return shown_run(page)


def test_a_run_streams_points_survives_reload_and_can_be_cancelled(server, new_page):
    page = new_page()
    open_train(page, server.url)
    assert "press Train" in progress_text(page)
    run_id = start_run(page, max_steps=400)
    wait_for_state(page, "running")
    page.wait_for_function("() => document.querySelector('#train-progress').textContent.includes('step ')"
                           " && !document.querySelector('#train-progress').textContent.includes('step 0 /')",
                           timeout=RUN_TIMEOUT)
    page.wait_for_function("id => document.getElementById(id).querySelectorAll('.mark-line path, .mark-symbol path')"
                           ".length > 0", arg="train-loss-plot", timeout=RUN_TIMEOUT)
    assert plot_points(page, "train-loss-plot") > 0

    page.reload()  # the page holds nothing: it finds the running job on disk again
    page.get_by_role("tab", name="Train").click()
    page.wait_for_function("id => document.querySelector('#train-run input').value === id", arg=run_id)
    wait_for_state(page, "running")
    other = new_page()  # a second browser (own cookies) sees the same run
    open_train(other, server.url)
    other.wait_for_function("id => document.querySelector('#train-run input').value === id", arg=run_id)

    page.locator("#train-cancel").click()
    wait_for_state(page, "cancelled")
    other.wait_for_function("() => document.querySelector('#train-progress [data-state]').dataset.state"
                            " === 'cancelled'", timeout=RUN_TIMEOUT)
    assert "cancelled" in page.inner_text("#train-runs")


def test_a_second_run_finishes_with_eval_accuracy_in_the_table(server, new_page):
    page = new_page()
    open_train(page, server.url)
    run_id = start_run(page, max_steps=12)
    wait_for_state(page, "succeeded")
    page.wait_for_function("id => document.querySelector('#train-runs').innerText.includes(id)", arg=run_id)
    table = page.inner_text("#train-runs")
    row = next(line for line in table.splitlines() if run_id in line)
    assert "succeeded" in row and "%" in row
    assert plot_points(page, "train-acc-plot") > 0
    page.locator("#train-progress").scroll_into_view_if_needed()
    screenshot(page, "train.png")
