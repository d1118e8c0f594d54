"""Visual sweep in a real Chromium: every tab at 1400×1000 and 1024×768 after a real import (a file this test
writes, uploaded through the Data tab) and a real tiny run, checked for what a person would see as broken:
table columns scrolled or squeezed out of view, headers split mid-word, empty chart frames, temp paths.
Every tab is screenshotted under tmp_path; the failure message lists the problems and the screenshots."""

from __future__ import annotations

import json

import pytest

from rmstudio.jobs.follow import run_foreground
from tests.browser.pages import open_app, wait_for_result, wait_for_text
from tests.browser.test_compare import SCORE_TIMEOUT, pick_checkpoint
from tests.helpers.app_server import start_server

pytestmark = pytest.mark.browser

VIEWPORTS = ((1400, 1000), (1024, 768))
TOPICS = ("reset a router", "bake sourdough bread", "write a cover letter", "repot a houseplant", "learn Python loops",
          "fix a squeaky door", "plan a weekend in Lisbon", "explain compound interest")

PROBLEMS_JS = r"""() => {
  const shown = (el) => el.offsetParent !== null && el.getBoundingClientRect().width > 0;
  const label = (el) => (el.closest('[id]') || el).id || el.className;
  const out = [];
  for (const view of document.querySelectorAll('.virtual-table-viewport')) {
    if (!shown(view)) continue;
    const v = view.getBoundingClientRect();
    for (const th of view.closest('.table-wrap, .table-container, .block').querySelectorAll('th.header-cell')) {
      const r = th.getBoundingClientRect();
      const visible = Math.min(r.right, v.right) - Math.max(r.left, v.left);
      if (visible < Math.min(80, r.width) - 1)
        out.push(`clipped column "${th.innerText.trim()}" in #${label(view)}: ${Math.max(0, Math.round(visible))} px in view`);
      const text = th.querySelector('.header');
      const node = text && [...text.childNodes].find(n => n.nodeType === 3 && n.textContent.trim());
      if (!node) continue;
      const re = /\S+/g; let m;
      while ((m = re.exec(node.textContent))) {
        const range = document.createRange(); range.setStart(node, m.index); range.setEnd(node, m.index + m[0].length);
        const tops = new Set([...range.getClientRects()].filter(b => b.width > 0).map(b => Math.round(b.top)));
        const hyphenated = m[0].split('-').length - 1;
        if (tops.size > 1 + hyphenated) out.push(`header "${th.innerText.trim()}" broken mid-word in #${label(th)}`);
      }
    }
  }
  for (const plot of document.querySelectorAll('.vega-embed')) {
    if (!shown(plot)) continue;
    if (!plot.querySelector('g.mark-rect > path, g.mark-line > path, g.mark-symbol > path'))
      out.push(`empty chart frame #${label(plot)}`);
  }
  const values = [...document.querySelectorAll('input, textarea')].filter(shown).map(e => e.value);
  const text = [document.body.innerText, ...values].join('\n');
  for (const m of text.matchAll(/\S*(\/tmp\/gradio|gradio\/[0-9a-f]{16,}|\/tmp\/tmp\w+)\S*/g)) out.push(`temp path on screen: ${m[0]}`);
  return out;
}"""


def write_real_looking_file(path) -> None:
    """A small support-chat export: prompt/chosen/rejected, no category (most real data has none)."""
    rows = [{"prompt": f"How do I {topic}? Please keep it practical.",
             "chosen": f"Here is a practical way to {topic}: start with the basics, check each step, and ask "
                       f"if something is unclear. Step {i}: gather what you need first.",
             "rejected": f"Just {topic.split()[0]} it."} for i, topic in enumerate(TOPICS * 3)]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """A home with one real tiny run on the written file, served; the file is imported by the test itself."""
    from rmstudio.training.trainer import TrainSpec

    home = tmp_path_factory.mktemp("home")
    data = tmp_path_factory.mktemp("upload") / "support_chats.jsonl"
    write_real_looking_file(data)
    spec = TrainSpec(model="default", data=str(data), batch_size=2, max_length=64, max_pairs=24, eval_fraction=0.25,
                     eval_steps=2, max_steps=3, seed=1)
    run_id = run_foreground(home, spec, progress=False)["run_id"]
    server = start_server(home)
    yield server, run_id, data
    server.stop()


def import_through_the_data_tab(page, data) -> None:
    page.get_by_role("tab", name="Data").click()
    page.locator("#rm-upload input[type=file]").set_input_files(str(data))
    wait_for_text(page, "#rm-import-summary", "detected schema")
    page.locator("#rm-import").click()
    wait_for_text(page, "#rm-import-summary", "Imported")


def compare_and_play(page, run_id: str) -> None:
    pick_checkpoint(page, run_id)
    page.locator("#compare-run").click()
    wait_for_result(page, "#compare-results", SCORE_TIMEOUT)
    page.locator("#compare-margins svg").first.wait_for()
    page.locator("#playground-prompt textarea").fill("How do I reset a router?")
    page.locator("#playground-completions textarea").fill("Unplug it for 30 seconds, then plug it back in.\n---\nNo.")
    page.locator("#playground-run").click()
    wait_for_result(page, "#playground-table", SCORE_TIMEOUT)


def test_every_tab_at_two_sizes_shows_nothing_broken(swept, new_page, tmp_path):
    server, run_id, data = swept
    problems, shots = [], []
    for number, (width, height) in enumerate(VIEWPORTS):
        page = new_page(viewport=(width, height))
        open_app(page, server.url)
        if number == 0:
            import_through_the_data_tab(page, data)
        for tab in ("Label", "Data", "Train", "Compare"):
            page.get_by_role("tab", name=tab).click()
            if tab == "Data":  # the pairs, and the team panel filled by its own tab-open event
                wait_for_text(page, "#rm-page-info", "matching pair")
                wait_for_text(page, "#rm-agreement", "overlap setting")
                wait_for_text(page, "#rm-annotators", "picks left")
            if tab == "Train":
                page.locator("#train-runs [role=gridcell]").first.wait_for()
            if tab == "Compare":
                compare_and_play(page, run_id)
            shot = tmp_path / f"{tab.lower()}-{width}x{height}.png"
            page.screenshot(path=str(shot), full_page=True)
            shots.append(str(shot))
            problems += [f"{tab} at {width}×{height}: {p}" for p in dict.fromkeys(page.evaluate(PROBLEMS_JS))]
    assert not problems, "\n".join([*problems, "screenshots:", *shots])
