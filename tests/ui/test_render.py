"""User text rendered as HTML that can never run or inject anything."""

from __future__ import annotations

from rmstudio.ui.render import markdown_html, message_html


def test_user_text_is_escaped_but_markdown_stays_readable():
    out = markdown_html("<img src=x onerror=alert(1)> **bold**\n\n```\n<b>x</b>\n```\n![i](http://e/x.png)")
    assert "<img" not in out and "&lt;img src=x onerror=alert(1)&gt;" in out
    assert "<strong>bold</strong>" in out and "&lt;b&gt;x&lt;/b&gt;" in out
    chat = message_html([{"role": "user", "content": "<script>x</script>"}, {"role": "x\"><b", "content": "y"}])
    assert "<script>" not in chat and "&lt;script&gt;" in chat and 'x"><b' not in chat
