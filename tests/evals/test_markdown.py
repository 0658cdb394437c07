"""Answers rendered as Markdown load nothing from anywhere: no image, no other resource."""

from html.parser import HTMLParser

import pytest

from evals.markdown import render

# Elements and attributes through which a browser fetches something by itself.
LOADING_TAGS = {
    "img", "image", "picture", "source", "video", "audio", "track", "iframe", "frame",
    "object", "embed", "link", "script", "style", "svg", "input", "meta", "base",
}  # fmt: skip
LOADING_ATTRS = {"src", "srcset", "poster", "background", "data", "style", "href", "xlink:href"}


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, set[str]]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, {name for name, _ in attrs}))


def loading_markup(html: str) -> list:
    """The real elements (not escaped text) that would load a resource."""
    parser = _Elements()
    parser.feed(html)
    return [
        (tag, attrs)
        for tag, attrs in parser.found
        if tag in LOADING_TAGS or (attrs & LOADING_ATTRS and tag != "a") or "style" in attrs
    ]


def test_it_shows_an_external_image_as_its_alt_text_and_loads_nothing():
    html = render("Look: ![a pixel](http://127.0.0.1:9/pixel.png?model=halcyon-9)")
    assert loading_markup(html) == []
    assert "[image: a pixel]" in html
    assert "127.0.0.1:9" not in html and "model=halcyon-9" not in html


@pytest.mark.parametrize(
    "text",
    [
        "![](https://example.org/x.png)",
        '![t](//example.org/x.png "title")',
        "[![inner](https://example.org/i.png)](https://example.org/)",
        "| a |\n|---|\n| ![x](https://example.org/t.png) |",
        "![ref][r]\n\n[r]: https://example.org/r.png",
        '<img src="https://example.org/raw.png">',
        '<picture><source srcset="https://example.org/s.png"></picture>',
        '<video poster="https://example.org/p.png"></video>',
        '<iframe src="https://example.org/"></iframe>',
        '<link rel="stylesheet" href="https://example.org/s.css">',
        "<style>@import url(https://example.org/s.css)</style>",
        '<svg><image href="https://example.org/i.png"/></svg>',
        '<p style="background:url(https://example.org/b.png)">x</p>',
    ],
)
def test_it_renders_no_markup_that_would_load_a_resource(text):
    assert loading_markup(render(text)) == []


def test_it_escapes_markup_in_the_alt_text():
    html = render('![<img src="https://example.org/x.png">](https://example.org/y.png)')
    assert loading_markup(html) == []
    assert "&lt;img" in html


def test_it_keeps_links_and_code_that_load_nothing():
    html = render("[docs](https://example.org/) and `code`\n\n```python\nprint(1)\n```")
    assert '<a href="https://example.org/"' in html and 'rel="noopener' in html
    assert "<code>code</code>" in html and "<pre>" in html
