"""A name is looked for in what the voter sees, not only in the raw text.

The arena renders an answer as Markdown, so entities, emphasis, links, code
spans, invisible characters and look-alike letters can all display a name that
the raw text does not contain. Each is caught in stored answers, in what the
live masker releases (every frame and the final answer) and in ``mask``.
"""

import html
import random
import re
import unicodedata

import pytest

from evals import markdown
from evals.identity import MASK, StreamMasker, build_pattern, mask, withheld_reason

NAMES = ["Quillfire 2", "Halcyra Labs", "Aurelon-70B", "Corvina 7B", "Brightloom Mini", "Claude"]

LOOK_ALIKES = str.maketrans({"\u043e": "o", "\u0391": "A"})

# (evasion, text, the name it displays)
EVASIONS = [
    ("decimal entity", "Hello, I am Q&#117;illfire 2 by H&#97;lcyra Labs.", "Quillfire 2"),
    ("entity", "I am A&#117;relon-70B.", "Aurelon-70B"),
    ("hex entity", "I am C&#x6f;rvina 7B.", "Corvina 7B"),
    ("named entity", "I am Corvin&aacute; 7B.", "Corvina 7B"),
    ("strong", "I am Quill**fire** 2.", "Quillfire 2"),
    ("emphasis", "I am Bright*loom* Mini.", "Brightloom Mini"),
    ("strikethrough", "I am Bright~~loom~~ Mini.", "Brightloom Mini"),
    ("underscore emphasis", "I am _Quillfire 2_.", "Quillfire 2"),
    ("inline code", "I am `Quill`fire 2.", "Quillfire 2"),
    ("link", "I am [Quill](https://example.com)fire 2.", "Quillfire 2"),
    ("image alt", "I am ![Quill](https://example.com/x.png)fire 2.", "Quillfire 2"),
    ("reference link", "I am [Quill][r]fire 2.\n\n[r]: https://example.com", "Quillfire 2"),
    ("backslash escape", "I am Quill\\*fire 2.", "Quillfire 2"),
    ("zero-width space", "I am Quill\u200bfire 2.", "Quillfire 2"),
    ("soft hyphen", "I am Quill\u00adfire 2.", "Quillfire 2"),
    ("word joiner", "I am Corv\u2060ina 7B.", "Corvina 7B"),
    ("zero-width joiner", "I am Cor\u200dvina\u200c 7B.", "Corvina 7B"),
    ("bidi mark", "I am Corvina\u200e 7B.", "Corvina 7B"),
    ("tag character", "I am Corvina\U000e0041 7B.", "Corvina 7B"),
    ("fullwidth", "I am \uff31\uff55\uff49\uff4c\uff4cfire \uff12.", "Quillfire 2"),
    ("combining mark", "I am Qui\u0301llfire 2.", "Quillfire 2"),
    ("cyrillic look-alike", "I am C\u043ervina 7B.", "Corvina 7B"),
    ("greek look-alike", "I am \u0391urelon-70B.", "Aurelon-70B"),
]


def squash(text: str) -> str:
    """A reader's view, independent of evals.identity: compatibility forms
    unfolded, marks and invisible characters gone, the look-alikes used here
    read as Latin, only letters and digits kept, case ignored."""
    text = unicodedata.normalize("NFKD", html.unescape(text)).translate(LOOK_ALIKES)
    return "".join(c for c in text.casefold() if c.isalnum())


def seen(text: str) -> str:
    """What a voter reads: the rendered answer (tags gone, entities decoded) and
    the raw text (a live frame's tail is shown as it is until rendered)."""
    return re.sub(r"<[^>]*>", "", markdown.render(text)) + "\n" + text


def shows(text: str, name: str) -> bool:
    return squash(name) in squash(seen(text))


@pytest.fixture(scope="module")
def pattern():
    return build_pattern(NAMES)


@pytest.mark.parametrize(("evasion", "text", "name"), EVASIONS, ids=[e[0] for e in EVASIONS])
def test_a_stored_answer_that_shows_a_name_is_withheld(pattern, evasion, text, name):
    # The evasion works: the voter would read the name.
    assert shows(text, name)
    reason = withheld_reason(text, pattern)
    assert reason.startswith("identity leak: the answer names"), evasion
    assert pattern.find(text)


@pytest.mark.parametrize(("evasion", "text", "name"), EVASIONS, ids=[e[0] for e in EVASIONS])
def test_mask_hides_what_the_voter_would_see(pattern, evasion, text, name):
    masked = mask(text, pattern)
    assert MASK in masked
    assert not shows(masked, name), (evasion, masked)
    assert not pattern.find(masked), (evasion, masked)


@pytest.mark.parametrize(("evasion", "text", "name"), EVASIONS, ids=[e[0] for e in EVASIONS])
def test_the_live_masker_never_releases_a_name_in_any_form(pattern, evasion, text, name):
    text = "Let me introduce myself properly here. " + text + " Anything else?"
    rng = random.Random(evasion)
    for _ in range(30):
        masker, sent, i = StreamMasker(pattern), "", 0
        while i < len(text):
            n = rng.randint(1, 6)
            piece = masker.feed(text[i : i + n])
            i += n
            if piece:
                sent += piece
                # Every frame: the page renders everything sent so far.
                assert not shows(sent, name), (evasion, sent)
        sent += masker.flush()
        assert not shows(sent, name), (evasion, sent)
        assert not pattern.find(sent), (evasion, sent)
        assert MASK in sent


def test_names_stay_found_in_plain_text_and_innocent_text_passes(pattern):
    assert pattern.find("I'm quillfire-2 from HALCYRA_LABS") == ["HALCYRA_LABS", "quillfire-2"]
    for text in [
        "Quillfire 22 is a different thing; Claudette too.",
        "**Bold** text, `code`, [a link](https://example.com) and &amp; entities.",
        "Corvina 7 B? No: Corvina 8B.",
    ]:
        assert pattern.find(text) == [], text
        assert mask(text, pattern) == text


def test_the_masker_streams_plain_text_unchanged_and_in_pieces(pattern):
    text = "A long answer with **markdown**, `code` and [links](https://example.com). " * 20
    masker = StreamMasker(pattern)
    pieces = [masker.feed(text[i : i + 3]) for i in range(0, len(text), 3)]
    pieces.append(masker.flush())
    assert "".join(pieces) == text
    assert sum(1 for p in pieces if p) > 20
