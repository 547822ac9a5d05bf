"""The email Markdown subset, rendered to an HTML body fragment and to plain text.

Parsing is mistune's; this module narrows its grammar to what Notify supports and renders it:

* ``#`` heading (``<h2>``), ``##`` subheading (``<h3>``); deeper levels read as paragraphs
* bullets ``*`` ``-`` ``•`` and numbered lists ``1.``
* ``^`` inset text (``<blockquote>``); a leading ``>`` is plain text
* ``---`` horizontal rule, ``[text](url)`` links, bare URLs auto-linked
* every newline is a line break; smart quotes and spaced hyphens become en dashes
* no bold, italics, code, images or raw HTML: their characters are shown as written, HTML escaped

Personalisation is text, not Markdown: ``escape_personalisation`` is applied to each value before it
is put into the template, so a value cannot make a link with hidden text, a heading, a list, inset
text or a rule. A bare URL in a value is still linked, showing the URL itself. A line of a value
that starts with "•" still reads as a bullet ("•" cannot be escaped in Markdown): it adds no link.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import mistune
from mistune.core import BlockState
from mistune.plugins.url import URL_LINK_PATTERN
from mistune.plugins.url import url as autolink_bare_urls

PLAIN_TEXT_RULE_WIDTH = 65

_LEADING_ANGLE_BRACKET = re.compile(r"^( {0,3})>", re.MULTILINE)
_LEADING_CARET = re.compile(r"^( {0,3})\^ ?", re.MULTILINE)
_LEADING_BULLET = re.compile(r"^( *)•(?=[ \t])", re.MULTILINE)
_SPACED_HYPHEN = re.compile(r"(?:(?<=\s)|^)--?(?=\s|$)")
_OPENING_DOUBLE_QUOTE = re.compile(r'(^|(?<=[\s(\[{]))"')
_OPENING_SINGLE_QUOTE = re.compile(r"(^|(?<=[\s(\[{]))'")
_THREE_OR_MORE_NEWLINES = re.compile(r"\n{3,}")
_WORD = re.compile(r"\S+")
# What makes a link with text of its own (``[text](url)``), and a backslash that could undo an
# escape; outside bare URLs only, which are linked as they are written.
_INLINE_MARKUP = re.compile(r"([\\\[\]])")
_BARE_URL = re.compile(f"({URL_LINK_PATTERN})")
# What starts a block at the beginning of a line: a heading, bullet, numbered item, inset, rule.
_BLOCK_MARKUP = re.compile(r"^([ \t]*)(#|[*+^_-]|\d+(?=[.)]))", re.MULTILINE)


# No code blocks, setext headings, reference links or raw HTML blocks.
_BLOCK_RULES = ("atx_heading", "thematic_break", "block_quote", "list", "blank_line")
# No emphasis, code spans or inline HTML: those characters stay literal text.
_INLINE_RULES = ("escape", "link", "link_close", "auto_link", "linebreak")


class _NotifyBlockParser(mistune.BlockParser):
    def __init__(self) -> None:
        super().__init__(block_quote_rules=list(_BLOCK_RULES), list_rules=list(_BLOCK_RULES))
        self.rules = list(_BLOCK_RULES)


class _NotifyInlineParser(mistune.InlineParser):
    def __init__(self) -> None:
        super().__init__(hard_wrap=True)  # every newline in a paragraph is a line break
        self.rules = list(_INLINE_RULES)


def nice_typography(text: str) -> str:
    """Curly quotes and apostrophes; a hyphen (or two) with spaces round it becomes an en dash."""
    text = _SPACED_HYPHEN.sub("–", text)
    text = _OPENING_DOUBLE_QUOTE.sub("“", text).replace('"', "”")
    text = _OPENING_SINGLE_QUOTE.sub("‘", text).replace("'", "’")
    if "@" not in text:
        return text
    # An apostrophe in an email address must stay straight, or the address stops working.
    return _WORD.sub(_straighten_email_address, text)


def _straighten_email_address(word: re.Match[str]) -> str:
    return word.group(0).replace("’", "'") if "@" in word.group(0) else word.group(0)


def escape_personalisation(value: str) -> str:
    """A personalisation value made literal text for the email Markdown (see the module docstring)."""
    if "[" in value or "]" in value or "\\" in value:
        parts = _BARE_URL.split(value)  # odd indexes are the URLs
        value = "".join(p if i % 2 else _INLINE_MARKUP.sub(r"\\\1", p) for i, p in enumerate(parts))
    return _BLOCK_MARKUP.sub(_escape_block_marker, value)


def _escape_block_marker(match: re.Match[str]) -> str:
    indent, marker = match.group(1), match.group(2)
    if marker[0].isdigit():  # "1." and "1)" start a numbered list: escape the full stop instead
        return f"{indent}{marker}\\"
    return f"{indent}\\{marker}"


def _prepare(markdown_text: str) -> str:
    """Map Notify's own syntax onto CommonMark before parsing: ``^`` is inset text, ``•`` a bullet."""
    text = markdown_text.replace("\r\n", "\n").replace("\r", "\n")
    text = _LEADING_ANGLE_BRACKET.sub(r"\1\\>", text)
    text = _LEADING_CARET.sub(r"\1> ", text)
    return _LEADING_BULLET.sub(r"\1*", text)


class EmailHtmlRenderer(mistune.HTMLRenderer):
    """HTML for the body of an email. Text is escaped, so personalisation cannot inject markup."""

    def __init__(self) -> None:
        super().__init__(escape=True)

    def text(self, text: str) -> str:
        return mistune.escape(nice_typography(text))

    def heading(self, text: str, level: int, **attrs: Any) -> str:
        if level == 1:
            return f"<h2>{text}</h2>\n"
        if level == 2:
            return f"<h3>{text}</h3>\n"
        return self.paragraph(text)

    def image(self, text: str, url: str, title: str | None = None) -> str:
        return self.link(text, url, title)


class EmailPlainTextRenderer(mistune.HTMLRenderer):
    """The plain-text alternative of an email: the same document, without markup."""

    def __init__(self) -> None:
        super().__init__(escape=False)

    def render_token(self, token: dict[str, Any], state: BlockState) -> str:
        if token["type"] == "list":
            return self._list(token, state)
        return super().render_token(token, state)

    def _list(self, token: dict[str, Any], state: BlockState) -> str:
        attrs = token.get("attrs", {})
        start = int(attrs.get("start") or 1)
        rendered = []
        for index, item in enumerate(token["children"]):
            marker = f"{start + index}." if attrs.get("ordered") else "•"
            body = self.render_tokens(item["children"], state).strip("\n")
            indented = body.replace("\n", "\n" + " " * (len(marker) + 1))
            rendered.append(f"{marker} {indented}")
        return "\n".join(rendered) + "\n\n"

    def text(self, text: str) -> str:
        return nice_typography(text)

    def link(self, text: str, url: str, title: str | None = None) -> str:
        return url if text in (url, "") else f"{text}: {url}"

    def image(self, text: str, url: str, title: str | None = None) -> str:
        return self.link(text, url, title)

    def inline_html(self, html: str) -> str:
        return html

    def linebreak(self) -> str:
        return "\n"

    def paragraph(self, text: str) -> str:
        return text + "\n\n"

    def block_text(self, text: str) -> str:
        return text + "\n"

    def heading(self, text: str, level: int, **attrs: Any) -> str:
        if level > 2:
            return self.paragraph(text)
        underline = ("=" if level == 1 else "-") * len(text)
        return f"{text}\n{underline}\n\n"

    def thematic_break(self) -> str:
        return "-" * PLAIN_TEXT_RULE_WIDTH + "\n\n"

    def block_quote(self, text: str) -> str:
        return text.strip("\n") + "\n\n"

    def block_html(self, html: str) -> str:
        return html + "\n\n"


def _parser(renderer: mistune.HTMLRenderer) -> mistune.Markdown:
    return mistune.Markdown(
        renderer=renderer,
        block=_NotifyBlockParser(),
        inline=_NotifyInlineParser(),
        plugins=[autolink_bare_urls],
    )


@cache
def _html_parser() -> mistune.Markdown:
    return _parser(EmailHtmlRenderer())


@cache
def _plain_text_parser() -> mistune.Markdown:
    return _parser(EmailPlainTextRenderer())


def email_markdown_to_html(markdown_text: str) -> str:
    """An HTML fragment (no ``<html>``/layout) for the email body."""
    return str(_html_parser()(_prepare(markdown_text))).strip()


def email_markdown_to_plain_text(markdown_text: str) -> str:
    """The plain-text alternative: headings underlined, bullets as ``•``, links as ``text: url``."""
    rendered = str(_plain_text_parser()(_prepare(markdown_text)))
    return _THREE_OR_MORE_NEWLINES.sub("\n\n", rendered).strip()
