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
