"""Answers rendered as safe Markdown with highlighted code.

Raw HTML in an answer is never passed through: markdown-it runs with html off,
and the output is sanitised again by nh3 with a small allow-list.
"""

import re

import nh3
from markdown_it import MarkdownIt
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name, guess_lexer
from pygments.util import ClassNotFound

_FORMATTER = HtmlFormatter(nowrap=True)


def _highlight(code: str, lang: str, _attrs) -> str:
    try:
        lexer = get_lexer_by_name(lang) if lang else guess_lexer(code)
    except ClassNotFound:
        return ""  # markdown-it escapes the code itself
    return highlight(code, lexer, _FORMATTER)


_MD = (
    MarkdownIt("commonmark", {"html": False, "linkify": False, "highlight": _highlight})
    .enable("table")
    .enable("strikethrough")
)

_ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td", "span", "a", "img",
}  # fmt: skip
_CLASS_RE = re.compile(r"^[a-z0-9 _-]{1,40}$")


def _attribute_filter(tag: str, attr: str, value: str):
    if attr == "class":
        return value if _CLASS_RE.match(value) else None
    return value


def render(text: str) -> str:
    """Markdown text to sanitised HTML."""
    html = _MD.render(text)
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes={
            "*": {"class"},
            "a": {"href", "title"},
            "img": {"src", "alt", "title"},
            "th": {"align"},
            "td": {"align"},
        },
        attribute_filter=_attribute_filter,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow ugc",
    )


def pygments_css() -> str:
    return HtmlFormatter(style="friendly").get_style_defs(".md pre")
