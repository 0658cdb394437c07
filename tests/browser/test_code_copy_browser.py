"""The Copy button of a code block in an answer hides none of the code."""

import pytest

from tests.browser.conftest import ARTIFACTS, login
from tests.conftest import build_arena

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_LINE = "result = compute_the_total(first_argument, second_argument, third_argument) + 1"
CODE = f"Here is the code:\n\n```python\n{LONG_LINE}\nprint(result)\n```\n\nThat is all."

# The boxes of every character of the code, against the button's box.
COVERED = """() => {
  const out = [];
  for (const block of document.querySelectorAll("#answer-a .codeblock")) {
    const button = block.querySelector(".copy").getBoundingClientRect();
    const code = block.querySelector("pre");
    const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (let i = 0; i < node.length; i++) {
        if (/\\s/.test(node.data[i])) continue;
        const range = document.createRange();
        range.setStart(node, i);
        range.setEnd(node, i + 1);
        const r = range.getBoundingClientRect();
        const visible = r.right > code.getBoundingClientRect().left
          && r.left < code.getBoundingClientRect().right;
        if (visible && r.right > button.left && r.left < button.right
            && r.bottom > button.top && r.top < button.bottom) out.push(node.data[i]);
      }
    }
  }
  return out.join("");
}"""


@pytest.mark.parametrize("width", [1280, 390])
def test_the_copy_button_covers_no_code(live_server, page, alice, width):
    from evals import services

    arena = build_arena(prompts=2)
    for prompt in arena["prompts"]:
        for model in arena["models"]:
            services.answer_upsert(prompt=prompt, model=model, text=CODE)
    page.set_viewport_size({"width": width, "height": 844})
    login(page, live_server.url)
    page.wait_for_selector("#answer-a .codeblock .copy")
    assert LONG_LINE in page.inner_text("#answer-a pre")
    assert page.evaluate(COVERED) == "", "code under the Copy button"
    page.locator("#answer-a .codeblock").screenshot(path=str(ARTIFACTS / f"codeblock-{width}.png"))
