"""Compare tab in a real Chromium: two finished runs side by side on a run's held-out pairs, a disagreement
opened and read as text, and the playground ranking typed completions (user text never becomes HTML)."""

from __future__ import annotations

import pytest

from rmstudio.data import demo
from rmstudio.jobs.follow import run_foreground
from tests.browser.pages import screenshot, screenshot_data, wait_for_result
from tests.helpers.app_server import start_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCORE_TIMEOUT = 180_000  # ms
XSS_PROMPT = "Say hi <img src=x onerror=alert(1)> <script>alert(2)</script>"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A home with two finished tiny runs (different seeds and lengths, so they disagree somewhere), served.
    Screenshot mode: two default-preset runs on real public pairs with the same held-out split, one stopped
    after 4 steps and one trained in full, so the image compares a half-trained model with a trained one."""
    from rmstudio.training.trainer import TrainSpec

    home = tmp_path_factory.mktemp("home")
    real = screenshot_data()
    if real:
        specs = [TrainSpec(model="default", data=str(real), eval_fraction=0.25, seed=1, max_steps=steps)
                 for steps in (4, None)]
    else:
        data = home / "demo.jsonl"
        demo.write_labeled_demo(data)
        tiny = {"model": "default", "data": str(data), "batch_size": 2, "max_length": 96, "max_pairs": 160,
                "eval_fraction": 0.25, "eval_steps": 100}
        specs = [TrainSpec(**tiny, max_steps=steps, seed=seed) for seed, steps in ((1, 3), (2, 8))]
    run_ids = [run_foreground(home, spec, progress=False)["run_id"] for spec in specs]
    server = start_server(home)
    yield server, run_ids
    server.stop()


def open_compare(page, url: str) -> None:
    page.goto(url)
    page.get_by_role("tab", name="Compare").click()
    page.locator("#compare-run").wait_for()


def pick_checkpoint(page, run_id: str) -> None:
    """Select a finished run in the checkpoint dropdown (typing filters the options, Enter picks the match)."""
    box = page.locator("#compare-ckpts input")
    option = page.get_by_role("option", name=run_id, exact=False).first
    for _ in range(5):  # the list refreshes when the tab opens, which may close it right after the click
        box.click()
        try:
            option.wait_for(timeout=10_000)
            break
        except Exception:  # noqa: BLE001 - closed by the refresh: open it again
            page.keyboard.press("Escape")
    box.fill(run_id)
    box.press("Enter")
    page.keyboard.press("Escape")
    page.locator("#compare-ckpts").get_by_text(run_id, exact=False).first.wait_for()


def test_compare_two_checkpoints_and_read_a_disagreement(trained, new_page):
    server, run_ids = trained
    page = new_page(viewport=(1400, 1800))
    open_compare(page, server.url)
    assert page.locator("#compare-empty").is_hidden()
    for run_id in run_ids:
        pick_checkpoint(page, run_id)
    page.locator("#compare-run").click()
    wait_for_result(page, "#compare-results", SCORE_TIMEOUT)
    page.wait_for_function("() => document.querySelector('#compare-summary').innerText.includes('Scored')")
    summary = page.inner_text("#compare-summary")
    assert "agree on" in summary
    table = page.inner_text("#compare-table")
    assert all(run_id in table for run_id in run_ids) and "%" in table
    page.locator("#compare-categories svg, #compare-categories canvas").first.wait_for()

    rows = page.locator("#compare-disagreements [role=gridcell]")
    assert rows.count() > 0, "two differently trained tiny checkpoints should disagree on some held-out pair"
    rows.nth(3).click()  # the prompt preview of the largest disagreement
    wait_for_result(page, "#compare-detail", SCORE_TIMEOUT)
    page.wait_for_function("() => document.querySelector('#compare-dis-scores').innerText.includes('Score (chosen)')"
                           " && document.querySelector('#compare-prompt textarea').value.length > 0")
    assert page.input_value("#compare-chosen textarea") and page.input_value("#compare-rejected textarea")
    scores = page.inner_text("#compare-dis-scores")
    assert all(run_id in scores for run_id in run_ids)
    assert "chosen" in scores and "rejected" in scores
    page.locator("#compare-summary").scroll_into_view_if_needed()
    screenshot(page, "compare.png")


def test_playground_ranks_completions_and_shows_markup_as_text(trained, new_page):
    server, run_ids = trained
    page = new_page()
    open_compare(page, server.url)
    pick_checkpoint(page, run_ids[0])
    page.locator("#playground-prompt textarea").fill(XSS_PROMPT)
    page.locator("#playground-completions textarea").fill(
        "Hello! Nice to meet you.\n---\nGo away.\n---\nHi <script>alert(3)</script>")
    page.locator("#playground-run").click()
    wait_for_result(page, "#playground-table", SCORE_TIMEOUT)
    text = page.inner_text("#playground-table")
    assert "<script>alert(3)</script>" in text  # literal text, not a script element
    assert f"{run_ids[0]} rank" in text and f"{run_ids[0]} score" in text
    assert page.locator("#playground-table script, #playground-table img").count() == 0
    assert page.dialogs == []


def test_errors_are_messages_not_stack_traces(trained, new_page):
    server, _ = trained
    page = new_page()
    open_compare(page, server.url)
    page.locator("#compare-extra textarea").fill("/no/such/checkpoint")
    page.locator("#compare-run").click()
    toast = page.locator(".toast-body, [data-testid='toast-body']").first
    toast.wait_for(timeout=60_000)
    message = toast.inner_text()
    assert "does not exist" in message and "Traceback" not in message
