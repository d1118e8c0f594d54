"""Turn user text (prompts, responses, guidelines) into HTML that can never run or inject anything.

Texts are rendered server-side with markdown-it with raw HTML disabled: every `<`, `>` and `&` the user
wrote comes out escaped, so `<script>` or `<img onerror=...>` show as literal text, while Markdown
(lists, tables, fenced code) stays readable. Images are disabled (no requests to foreign hosts) and links
are limited to markdown-it's safe schemes. The output goes into `gr.HTML`, which inserts HTML unsanitized —
so nothing else may put user text there without `html.escape`.

Tables and text boxes display text, never HTML: they get `plain_text` (whole) or `plain_preview` (one line).
User text inside Markdown (gr.Markdown) goes through `markdown_literal`.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from functools import lru_cache

from markdown_it import MarkdownIt

from rmstudio.evaluation.compare import preview

ROLE_NAMES = {"system": "System", "user": "User", "assistant": "Assistant", "tool": "Tool"}


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "breaks": True, "linkify": False})
    md.enable(["table", "strikethrough"]).disable("image")
    return md


MARKDOWN_CHARS = 10_000
"""The most characters of one prompt or response rendered as Markdown (a chat's messages share it); the rest
is behind "Show all". markdown-it is pure Python: ~1 s per MB of prose and up to ~35 µs per character of
bracket-heavy text, so three uncapped 1 MB fields took seconds and held the GIL other annotators' label
calls need; capped, a pair renders in well under a second whatever it holds."""


def markdown_html(text: str, budget: int = MARKDOWN_CHARS) -> str:
    """Markdown -> safe HTML (raw HTML in the text is shown as text), or the text as escaped plain text when
    Markdown would hide some of it: markdown-it stops at 20 levels of nesting (`> > > ...` quotes, lists in
    lists) and silently drops what is deeper, and an annotator must see every word they judge.

    Only the first `budget` characters (cut at a line or word end) are rendered; a longer text is followed by
    a "Show all" toggle holding all of it as plain text, so nothing is lost and the time stays bounded."""
    text = text or ""
    if len(text) <= budget:
        return _every_word_markdown(text)
    head = text[:_cut_at(text, budget)]
    if not head:  # the budget is spent (later messages of a long chat): plain text costs next to nothing
        return plain_html(text) if len(text) <= MARKDOWN_CHARS // 4 else show_all(text)
    return (_every_word_markdown(head) + f'<p class="rm-cut">… the first {len(head):,} characters are shown '
            "above</p>" + show_all(text))


def _every_word_markdown(text: str) -> str:
    rendered = _markdown().render(text)
    return rendered if keeps_every_word(text, rendered) else plain_html(text)


def _cut_at(text: str, budget: int) -> int:
    """Where to cut `text` to at most `budget` characters: after the last line break, else the last space."""
    if budget <= 0:
        return 0
    for separator in ("\n", " "):
        cut = text.rfind(separator, 0, budget)
        if cut >= budget // 2:
            return cut
    return budget


def show_all(text: str) -> str:
    """A closed toggle that shows all of `text`, as plain text, when opened (<details>: no script needed)."""
    return (f'<details class="rm-show-all"><summary>Show all {len(text):,} characters</summary>'
            f"{plain_html(text)}</details>")


def plain_html(text: str) -> str:
    """Text shown exactly as written (escaped; line breaks and spaces kept)."""
    return f'<div class="rm-plain" style="white-space: pre-wrap">{html.escape(text, quote=False)}</div>'


_WORD = re.compile(r"[^\W_]+")
_LIST_NUMBER = re.compile(r"^[ \t>]*\d{1,9}[.)](?=\s|$)", re.MULTILINE)


def keeps_every_word(text: str, rendered: str) -> bool:
    """Whether every word (letters and digits) of `text` is still in the HTML, as often as in the text.
    Markdown removes only punctuation (`*`, `>`, `#`, brackets); a link's URL and a code block's language
    stay in attributes, so the whole HTML is searched. Ordered-list numbers are drawn by the browser, and
    entities (`&amp;`) show as their character, so the text is compared without them."""
    wanted = Counter(_WORD.findall(html.unescape(_LIST_NUMBER.sub(" ", text))))
    found = Counter(_WORD.findall(html.unescape(rendered)))
    return all(found[word] >= count for word, count in wanted.items())


def message_html(value) -> str:
    """A prompt or response: a plain string, or a list of {role, content} chat messages."""
    if isinstance(value, list):
        parts, budget = [], MARKDOWN_CHARS  # shared by the messages: a long chat renders in bounded time too
        for message in value:
            role = str(message.get("role", "")) if isinstance(message, dict) else ""
            content = _content_text(message.get("content", "") if isinstance(message, dict) else message)
            name = html.escape(ROLE_NAMES.get(role, role or "message"))
            parts.append(f'<div class="rm-turn rm-role-{html.escape(role or "none")}"><div class="rm-role">{name}'
                         f"</div>{markdown_html(content, budget)}</div>")
            budget = max(0, budget - len(content))
        return "".join(parts)
    return markdown_html(str(value) if value is not None else "")


def _content_text(content) -> str:
    """Chat content may be a string or a list of typed parts ({"type": "text", "text": ...})."""
    if isinstance(content, list):
        return "\n\n".join(str(part.get("text", "")) if isinstance(part, dict) else str(part) for part in content)
    return "" if content is None else str(content)


def panel(title: str, body_html: str, *, css_class: str) -> str:
    """A titled, scrollable box around already-safe HTML (`title` is escaped here)."""
    return (f'<div class="rm-panel {css_class}"><div class="rm-panel-title">{html.escape(title)}</div>'
            f'<div class="rm-panel-body">{body_html}</div></div>')


MARKDOWN_PUNCTUATION = "\\`*_{}[]()#!|~$"


def markdown_literal(text) -> str:
    """User text (a file name, a column, a message) placed inside Markdown that must show exactly as
    written: HTML characters escaped, and the punctuation that would format (emphasis, links, code, math)
    backslash-escaped, so `<img src=x onerror=...>` or `**x**` show as the characters typed."""
    escaped = "".join(f"\\{char}" if char in MARKDOWN_PUNCTUATION else char for char in str(text))
    return html.escape(escaped, quote=False)


def plain_text(value) -> str:
    """A prompt or response as plain text for text boxes: strings as they are, chat messages as
    'role: content' paragraphs."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return "\n\n".join(
            f"{m.get('role', '?')}: {m.get('content', '')}" if isinstance(m, dict) else str(m) for m in value
        )
    return str(value)


def plain_preview(value, limit: int = 160) -> str:
    """A one-line plain-text preview for tables, cut to `limit` characters the way saved evaluation
    previews are (`evaluation.preview`); chat messages show their contents separated by ' / '."""
    if isinstance(value, list):
        value = " / ".join(_content_text(m.get("content", "")) if isinstance(m, dict) else str(m) for m in value)
    return preview(" ".join(str(value or "").split()), limit)
