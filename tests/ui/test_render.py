"""User text rendered as HTML that can never run or inject anything."""

from __future__ import annotations

from collections import Counter
from html import escape as html_escape

import pytest

from rmstudio.ui.render import markdown_html, message_html


def test_user_text_is_escaped_but_markdown_stays_readable():
    out = markdown_html("<img src=x onerror=alert(1)> **bold**\n\n```\n<b>x</b>\n```\n![i](http://e/x.png)")
    assert "<img" not in out and "&lt;img src=x onerror=alert(1)&gt;" in out
    assert "<strong>bold</strong>" in out and "&lt;b&gt;x&lt;/b&gt;" in out
    chat = message_html([{"role": "user", "content": "<script>x</script>"}, {"role": "x\"><b", "content": "y"}])
    assert "<script>" not in chat and "&lt;script&gt;" in chat and 'x"><b' not in chat


# ---- Markdown never hides text (issue 11) ---------------------------------------------------------

def shown_words(rendered: str) -> list[str]:
    """The words a reader sees: the HTML's text without its tags."""
    import html
    import re

    return re.findall(r"[^\W_]+", html.unescape(re.sub(r"<[^>]*>", " ", rendered)))


NESTED = {
    "quotes": "".join("> " * depth + f"reply{depth} quoted at depth {depth}\n" for depth in range(1, 40)),
    "lists": "\n".join("  " * depth + f"- step{depth} of the plan" for depth in range(40)),
    "quoted lists": "\n".join("> " * (depth // 2) + "  " * depth + f"* point{depth}" for depth in range(50)),
    "email thread": "".join(f"{'>' * depth} On Monday, person{depth} wrote: please <b>check</b> item {depth}\n"
                            for depth in range(30, 0, -1)),
}


@pytest.mark.parametrize("name", list(NESTED))
def test_deeply_nested_markdown_shows_every_word(name):
    text = NESTED[name]
    rendered = markdown_html(text)
    assert Counter(shown_words(rendered)) >= Counter(shown_words(html_escape(text))), name
    assert "<b>" not in rendered
    chat = message_html([{"role": "user", "content": "Summarize this thread"}, {"role": "assistant", "content": text}])
    assert Counter(shown_words(chat)) >= Counter(shown_words(html_escape(text)))


def test_ordinary_markdown_keeps_its_formatting():
    answer = ("## Steps\n\n1. Install it with `pip install x`.\n2. Run it:\n\n```python\nprint('hi')\n```\n\n"
              "> Note: see [the docs](https://example.org/docs?a=1&b=2).\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    rendered = markdown_html(answer)
    assert "<h2>" in rendered and "<ol>" in rendered and "<table>" in rendered and "rm-plain" not in rendered


# ---- long fields: a bounded part rendered, all of it behind "Show all" (issue 11) ----------------

def shown_all(rendered: str) -> list[str]:
    """The texts inside the "Show all" toggles, as a reader sees them once opened."""
    import html
    import re

    return [html.unescape(body) for body in
            re.findall(r'<details class="rm-show-all"><summary>[^<]*</summary><div class="rm-plain"[^>]*>(.*?)</div>'
                       r"</details>", rendered, flags=re.S)]


def long_answer(chars: int) -> str:
    """A long, real-looking reply: Markdown sections with code and a <script> the page must not run."""
    part = ("## Part {i}\n\nHere is *step {i}* of the migration; run `make step{i}` & check <script>x</script>.\n\n"
            "```sql\nSELECT id, name FROM users WHERE id > {i};\n```\n\n")
    return "".join(part.format(i=i) for i in range(chars // len(part) + 1))[:chars]


def test_a_long_field_shows_its_start_as_markdown_and_all_of_it_behind_show_all():
    text = long_answer(1_000_000)
    rendered = markdown_html(text)
    assert rendered.count("<h2>") < 200 and "<h2>Part 0</h2>" in rendered  # only the start is Markdown
    assert "<script>" not in rendered
    assert "Show all 1,000,000 characters" in rendered and shown_all(rendered) == [text]  # complete when opened
    assert len(rendered) < 1.5 * len(text)


def test_a_pair_of_three_long_fields_keeps_every_field_complete(tmp_path):
    from rmstudio.data.formats import normalize_records
    from rmstudio.store import PreferenceStore
    from rmstudio.ui.label_tab import screen_for

    prompt, first, second = long_answer(1_000_000), long_answer(999_000) + "A", long_answer(998_000) + "B"
    store = PreferenceStore(tmp_path)
    store.import_batch(normalize_records([{"prompt": prompt, "response_a": first, "response_b": second}]))
    pair = store.next_pair("ana")
    screen = screen_for(pair)
    assert [shown_all(screen.prompt_html), shown_all(screen.left_html), shown_all(screen.right_html)] == \
        [[prompt], [pair.left_text], [pair.right_text]]
    assert {pair.left_text, pair.right_text} == {first, second}


def test_a_long_chat_shares_one_budget_and_every_message_stays_complete():
    chat = [{"role": "user" if i % 2 else "assistant", "content": long_answer(3_000) + f" message {i}"}
            for i in range(40)]
    rendered = message_html(chat)
    assert rendered.count('class="rm-turn') == 40
    assert all(m["content"] in shown_all(rendered) for m in chat[5:])  # past the budget: behind "Show all"
    assert rendered.count("<h2>") < 40 * 3


def test_short_texts_have_no_toggle():
    assert "rm-show-all" not in markdown_html("A short answer.") + message_html([{"role": "user", "content": "hi"}])
