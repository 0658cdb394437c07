"""Math in answers reaches the browser as TeX text that KaTeX can typeset, and
nothing else changes: prose dollars stay prose, code stays code, HTML stays text."""

import pytest

from evals.markdown import StreamRenderer, pygments_css, render


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("Euler: $e^{i\\pi}+1=0$.", '<span class="math-inline">e^{i\\pi}+1=0</span>'),
        ("inline \\(a_1 * b_2\\) here", '<span class="math-inline">a_1 * b_2</span>'),
        (
            "$$\n\\int_0^1 x_1 * y_2\\,dx\n$$",
            '<div class="math-display">\\int_0^1 x_1 * y_2\\,dx</div>',
        ),
        ("\\[x^2 < y\\]", '<div class="math-display">x^2 &lt; y</div>'),
        ("so $$x_1$$ inline", '<span class="math-display">x_1</span>'),
    ],
)
def test_it_keeps_math_as_tex_for_katex_in_every_delimiter(text, html):
    assert html in render(text)


def test_it_does_not_read_markdown_inside_math():
    # Without the math rule "a_1 * b_2 * c" would turn into emphasis.
    html = render("$a * b * c$ and \\(x_1 * y_1 * z\\)")
    assert "<em>" not in html
    assert html.count("math-inline") == 2


def test_it_leaves_prices_as_prose():
    assert "math" not in render("It costs $5 and $10, or $ 3 $ at most.")


def test_it_leaves_dollars_in_code_alone():
    html = render("Use `echo $HOME$` or\n\n```sh\necho $PATH$\n```")
    assert "math" not in html
    assert "$HOME$" in html and "$PATH" in html


def test_it_escapes_html_inside_math():
    html = render("$<img src=x onerror=alert(1)>$ and \\[<script>alert(1)</script>\\]")
    assert "<img" not in html and "<script" not in html
    assert "&lt;img" in html and "&lt;script&gt;" in html


def test_it_refuses_attributes_other_than_a_safe_class_on_math():
    html = render('$$\nx\n$$\n\n<div class="math-display" onclick="alert(1)">y</div>')
    assert '<div class="math-display" onclick' not in html
    assert '&lt;div class="math-display" onclick' in html  # shown as text


def test_a_streamed_answer_is_rendered_at_most_once_an_interval_and_always_at_the_end():
    now = [0.0]
    renderer = StreamRenderer(interval=0.15, clock=lambda: now[0])
    assert renderer.feed("The **sh") == render("The **sh")
    now[0] = 0.05
    assert renderer.feed("ort**") is None  # too soon: the raw text goes as it is
    now[0] = 0.2
    assert renderer.feed(" answer, `x`") == render("The **short** answer, `x`")
    now[0] = 0.21
    assert renderer.feed(" and $x^2$") is None
    assert renderer.final() == render("The **short** answer, `x` and $x^2$")
    assert "<strong>short</strong>" in renderer.final() and "math-inline" in renderer.final()


def test_code_colours_have_a_dark_variant_for_both_ways_into_dark_mode():
    css = pygments_css()
    assert ".md pre { background: #f0f0f0; }" in css
    assert ':root[data-theme="dark"] .md pre {' in css
    assert "@media (prefers-color-scheme: dark)" in css
    assert ':root:not([data-theme="light"]) .md pre {' in css
