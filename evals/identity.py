"""Model identities in generated text: detect them, and mask them in a stream.

Before the vote nothing may name a model, yet a model can name itself (or its
vendor) in its answer. The stored answer keeps the original text and the battle
is excluded; what is streamed to the voter has every known name replaced by
``[model]``. Names can be split across chunks ("Clau" + "de"), so the masker
holds back a tail as long as the longest name until it can no longer be the
start of one.

A name is looked for in what the voter will *see*, not only in the raw text:
the answer is shown as rendered Markdown (evals.markdown), so ``Q&#117;illfire``,
``Quill**fire**``, ``[Quill](x)fire`` or a zero-width space inside the name all
display the name. Three forms are searched:

- the raw text (as before);
- its *plain* form: link destinations dropped, backslash escapes and HTML
  entities decoded, Markdown emphasis/code/link punctuation removed, then
  folded (below). Computed with a map back to the raw text, so the masker can
  replace exactly the characters that display a name;
- its *rendered* form: the arena's own rendering, tags stripped (entities
  decoded by the HTML parser; link titles and targets kept), folded. This is
  the safety net for Markdown the plain form does not model (reference links,
  a name split over a link's text and the words after it, ...).

Folding: compatibility decomposition (NFKD: fullwidth letters, ligatures,
superscripts), format characters (Unicode category Cf: zero-width spaces and
joiners, soft hyphens, bidi marks, tag characters), combining marks and other
characters drawn as nothing removed, common Cyrillic/Greek look-alikes mapped to
the Latin letter they look like. Names are folded the same way.
"""

import html as html_lib
import re
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import cache, lru_cache
from html.parser import HTMLParser

from django.conf import settings
from django.db.models import Exists, OuterRef, Q

from evals import markdown
from evals.models import Battle, EvalModel, ModelEndpoint

MASK = "[model]"

# Drawn as nothing, though not of category Cf/Mn/Me (Hangul fillers, braille blank).
_INVISIBLE_EXTRA = "\u115f\u1160\u3164\uffa0\u2800"
# Letters of other scripts that look like Latin ones (a subset of Unicode's
# confusables: the Cyrillic and Greek letters drawn like a Latin letter).
_LOOK_ALIKES = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "һ": "h", "і": "i", "ї": "i", "ј": "j",
    "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "т": "t", "у": "y",
    "х": "x", "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ү": "y", "ɡ": "g",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
    "С": "C", "Т": "T", "У": "Y", "Х": "X", "Ѕ": "S", "І": "I", "Ј": "J", "Ү": "Y",
    "Ԛ": "Q", "Ԝ": "W", "Ӏ": "l",
    # Greek
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M",
    "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "ο": "o", "ν": "v",
    "α": "a", "ρ": "p", "ι": "i", "κ": "k", "τ": "t", "υ": "u", "χ": "x",
}  # fmt: skip
# Markdown punctuation that vanishes when rendered ("Quill**fire**", "`Quill`fire",
# "[Quill](x)fire"): removed. "_" too, but as a space: it separates the words of a
# name ("marivolt_pro"), and "_Quillfire_" shows the name in italics.
_FOLD_TABLE = str.maketrans({**_LOOK_ALIKES, "*": None, "~": None, "`": None, "[": None,
                             "]": None, "_": " "})  # fmt: skip

# A link's destination and title ("](https://x "t")") and a reference label
# ("][ref]"): not displayed in the text.
_LINK_TAIL = r"\]\((?:[^()\s]|\([^()\s]*\))*(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'|\([^()\n]*\)))?\s*\)"
_REF_TAIL = r"\]\[[^\[\]\n]{0,200}\]"
_ESCAPE = r"\\[!-/:-@\[-`{-~]"
_ENTITY = r"&(?:#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,7}|[A-Za-z][A-Za-z0-9]{1,31});"
_LINK_OR_REF = re.compile(rf"{_LINK_TAIL}|{_REF_TAIL}")
_ESCAPE_RE = re.compile(r"\\([!-/:-@\[-`{-~])")
_ENTITY_RE = re.compile(_ENTITY)
_WORD_END = re.compile(r"\w+$")
_REF_DEF = re.compile(r"(?m)^ {0,3}\[[^\]\n]+\]:[^\n]*\n")


@cache
def _drawn_as_nothing() -> re.Pattern:
    """Every character of category Cf, Mn, Me, or non-space Cc, plus a few more
    that render blank (built once per process: a scan of all code points)."""
    chars = [
        c
        for c in map(chr, range(sys.maxunicode + 1))
        if unicodedata.category(c) in ("Cf", "Mn", "Me")
        or (unicodedata.category(c) == "Cc" and not c.isspace())
    ]
    ranges: list[list[int]] = []
    for code in sorted({ord(c) for c in chars + list(_INVISIBLE_EXTRA)}):
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    body = "".join(
        re.escape(chr(lo)) if lo == hi else f"{re.escape(chr(lo))}-{re.escape(chr(hi))}"
        for lo, hi in ranges
    )
    return re.compile(f"[{body}]+")


def fold(text: str) -> str:
    """A text as a reader would read it: see the module's docstring."""
    text = unicodedata.normalize("NFKD", text)
    text = _drawn_as_nothing().sub("", text).translate(_FOLD_TABLE)
    return unicodedata.normalize("NFKC", text)


@cache
def _unit_re() -> re.Pattern:
    # A run of invisible characters is one unit (read as nothing).
    return re.compile(
        rf"(?P<link>{_LINK_TAIL})|(?P<ref>{_REF_TAIL})|(?P<esc>{_ESCAPE})|(?P<ent>{_ENTITY})"
        rf"|(?P<nothing>{_drawn_as_nothing().pattern})|.",
        re.DOTALL,
    )


@lru_cache(maxsize=8192)
def _fold_unit(unit: str) -> str:
    return fold(unit)


def plain_text(text: str) -> str:
    """The words a voter reads in a Markdown answer, folded (no map)."""
    text = _LINK_OR_REF.sub("", text)
    text = _ESCAPE_RE.sub(r"\1", text)
    text = _ENTITY_RE.sub(lambda m: html_lib.unescape(m.group(0)), text)
    return fold(text)


def _plain_units(text: str) -> list[tuple[int, int, str]]:
    """``plain_text`` unit by unit: (raw start, raw end, what it reads as)."""
    units = []
    for m in _unit_re().finditer(text):
        if m.lastgroup in ("link", "ref", "nothing"):
            shown = ""
        elif m.lastgroup == "esc":
            shown = _fold_unit(m.group(0)[1])
        elif m.lastgroup == "ent":
            shown = _fold_unit(html_lib.unescape(m.group(0)))
        else:
            shown = _fold_unit(m.group(0))
        units.append((m.start(), m.end(), shown))
    return units


_BLOCK_TAGS = {
    "p", "br", "hr", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "pre",
    "blockquote", "table", "thead", "tbody", "tr", "th", "td", "div",
}  # fmt: skip


class _TextOf(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")
        for key, value in attrs:
            # Shown on hover: a link's title and where it goes.
            if key in ("title", "href") and value:
                self.parts.append(f"\n{value}\n")

    def handle_endtag(self, tag):
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data):
        self.parts.append(data)


def rendered_text(html: str) -> str:
    """The text of an answer's HTML as the voter sees it, folded."""
    parser = _TextOf()
    parser.feed(html)
    parser.close()
    return fold("".join(parser.parts))


def _key(found: str) -> str:
    return re.sub(r"[\W_]+", "", fold(found)).casefold()


@dataclass(frozen=True)
class NamePattern:
    regex: re.Pattern
    # Longest text one match can span: the masker holds back this much.
    holdback: int
    # The folded names, for the plain and rendered forms (None: no names).
    visible: re.Pattern | None = None
    visible_holdback: int = 0

    def find(self, text: str, html: str | None = None) -> list[str]:
        """Every name the text shows, raw or as the voter sees it. ``html``: the
        text already rendered by ``evals.markdown.render`` (rendered here if not)."""
        if self.visible is None:
            return []
        found: dict[str, str] = {}
        for m in self.regex.finditer(text):
            found.setdefault(_key(m.group(0)), m.group(0))
        for m in self.visible.finditer(plain_text(text)):
            found.setdefault(_key(m.group(0)), m.group(0))
        rendered = rendered_text(markdown.render(text) if html is None else html)
        for m in self.visible.finditer(rendered):
            found.setdefault(_key(m.group(0)), m.group(0))
        return sorted(found.values())

    def _visible_keys(self, text: str) -> Counter:
        """Names in the plain and rendered forms of ``text``, counted."""
        counts = Counter(_key(m.group(0)) for m in self.visible.finditer(plain_text(text)))
        rendered = rendered_text(markdown.render(text))
        counts |= Counter(_key(m.group(0)) for m in self.visible.finditer(rendered))
        return counts


def _alternative(name: str) -> str:
    # Spaces, hyphens and underscores are interchangeable in how models name
    # themselves ("Marivolt Pro", "marivolt-pro").
    parts = [re.escape(p) for p in re.split(r"[\s_-]+", name.strip()) if p]
    return r"[\s_-]*".join(parts)


def _regex(names: list[str]) -> re.Pattern:
    body = "|".join(_alternative(n) for n in names)
    # Word boundaries by hand: \b would not fire next to a name ending in "-".
    return re.compile(rf"(?<![\w])(?:{body})(?![\w])", re.IGNORECASE)


def _distinctive(name: str) -> bool:
    # A name is looked for only if it has two letters or digits, one of them a
    # letter: "-1" or "2**31" would match every "1" or "231" in every answer.
    chars = [c for c in name if c.isalnum()]
    return len(chars) >= 2 and any(c.isalpha() for c in chars)


def build_pattern(names) -> NamePattern:
    names = sorted({n.strip() for n in names if n and _distinctive(n)}, key=len, reverse=True)
    folded = {fold(n).strip() for n in names}
    folded = sorted((n for n in folded if len(n) >= 2 and re.search(r"\w", n)), key=len)[::-1]
    if not names or not folded:
        return NamePattern(regex=re.compile(r"(?!x)x"), holdback=0)
    # Separators may stretch a little ("Marivolt  Pro"); allow slack.
    return NamePattern(
        regex=_regex(names),
        holdback=max(len(n) for n in names) + 8,
        visible=_regex(folded),
        visible_holdback=max(len(n) for n in folded) + 8,
    )


def known_names() -> set[str]:
    """Every model an operator approved or voters have met, its provider and
    its provider model ids, plus known vendors.

    Anyone may register an organisation and a model: a name counted before an
    operator's review ("The", "-1") would block every provider's uploads and
    void live battles that happen to use the word. A new model waiting for
    review is served to nobody, so its name and its provider's tell a voter
    nothing; approving it withholds every stored answer that shows them
    (``evals.provider.services.model_approve``). A model back in review after
    a rename keeps counting: voters know it by its names. Answers withheld
    for names that count no more (a rejection, older rules, a vendor dropped
    from the setting) are checked again by
    ``evals.provider.services.answers_recheck`` (``manage.py answers_recheck``;
    a rejection runs it).
    """

    names = set(settings.LIVE_KNOWN_VENDORS)
    met = Battle.objects.filter(Q(model_a=OuterRef("pk")) | Q(model_b=OuterRef("pk")))
    counted = EvalModel.objects.filter(
        Q(approval=EvalModel.Approval.APPROVED)
        | Q(approval=EvalModel.Approval.PENDING) & Exists(met)
    )
    # One query: the endpoint's model id is None for a model without one.
    rows = counted.values_list(
        "name", "slug", "organization__name", "organization__slug", "endpoint__provider_model_id"
    )
    for row in rows:
        names.update(row)
    names.discard(None)
    return names


def own_names(model: EvalModel) -> set[str]:
    """The names a model's own answers must not show, counted or not yet: its
    name and slug, its provider's, its endpoint's model id."""
    names = {model.name, model.slug, model.organization.name, model.organization.slug}
    endpoint = ModelEndpoint.objects.filter(model=model).first()
    if endpoint is not None:
        names.add(endpoint.provider_model_id)
    return names


def leak_pattern(model: EvalModel | None = None) -> NamePattern:
    """The names no answer may show; with ``model``, its own ones too (a model
    waiting for review must not answer with its name either)."""
    names = known_names()
    return build_pattern(names | own_names(model) if model is not None else names)


# How every reason of ``withheld_reason`` starts; the names it found follow.
LEAK_REASON_PREFIX = "identity leak: the answer names "


def withheld_reason(text: str, pattern: NamePattern | None = None, html: str | None = None) -> str:
    """Why a stored answer must never be served before the vote ("" if it may be).

    The same check as live answers: an answer that names any known model or
    provider would tell the voter who is who, in its text or as it is shown.
    """
    found = (pattern or leak_pattern()).find(text, html)
    if not found:
        return ""
    return f"{LEAK_REASON_PREFIX}{', '.join(found)}"[:300]


def _spans(text: str, pattern: NamePattern, start: int = 0) -> tuple[list[tuple[int, int]], list]:
    """Spans of ``text[start:]`` (merged, in order, relative to ``start``) that
    display a name, and the plain units from ``start``. What comes before
    ``start`` is read only as context (a name must start and end a word)."""
    spans = [(m.start() - start, m.end() - start) for m in pattern.regex.finditer(text, start)]
    if pattern.visible is None:
        return spans, []
    context = max(0, start - 64)
    units = [(a + context - start, b + context - start, shown)
             for a, b, shown in _plain_units(text[context:])]  # fmt: skip
    owner = [i for i, (_, _, shown) in enumerate(units) for _ in shown]
    plain = "".join(shown for _, _, shown in units)
    first = next((n for n, i in enumerate(owner) if units[i][0] >= 0), len(plain))
    for m in pattern.visible.finditer(plain, first):
        spans.append((units[owner[m.start()]][0], units[owner[m.end() - 1]][1]))
    merged: list[tuple[int, int]] = []
    for begin, end in sorted(spans):
        if merged and begin < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((begin, end))
    return merged, [u for u in units if u[0] >= 0]


def _leaks(pattern: NamePattern, text: str, base: Counter) -> bool:
    return bool(pattern._visible_keys(text) - base)


def _guard(prefix: str, piece: str, pattern: NamePattern, *, rounds: int = 8) -> str:
    """``piece`` with whatever would make ``prefix + piece`` show a new name, in
    its plain or rendered form, masked. ``prefix`` is what was already sent.

    The span to mask is found by search: the shortest prefix of the text that
    shows the name gives its end, the shortest fragment ending there that still
    shows it gives its start (or, when the name only shows in context, such as
    a reference link defined elsewhere, everything of ``piece`` up to the end).
    """
    if not piece or pattern.visible is None:
        return piece
    base = None
    for _ in range(rounds):
        text = prefix + piece
        if not pattern._visible_keys(text):
            return piece
        if base is None:
            base = pattern._visible_keys(prefix) if prefix else Counter()
        if not _leaks(pattern, text, base):
            return piece  # only names the voter was already shown
        start = len(prefix)
        lo, hi = start, len(text)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if _leaks(pattern, text[:mid], base):
                hi = mid
            else:
                lo = mid
        end = hi
        begin = start
        if pattern._visible_keys(text[start:end]):
            lo, hi = start, end
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if pattern._visible_keys(text[mid:end]):
                    lo = mid
                else:
                    hi = mid
            begin = lo
        piece = piece[: begin - start] + MASK + piece[end - start :]
    return MASK if _leaks(pattern, prefix + piece, base or Counter()) else piece


def mask(text: str, pattern: NamePattern) -> str:
    """``text`` with every name it shows, raw or as the voter sees it, replaced."""
    spans, _ = _spans(text, pattern)
    out, pos = [], 0
    for start, end in spans:
        out += [text[pos:start], MASK]
        pos = end
    out.append(text[pos:])
    return _guard("", "".join(out), pattern)


class StreamMasker:
    """Feed raw chunks, get back text that is safe to send.

    ``feed`` returns only the prefix that no name can still reach into;
    ``flush`` returns the rest at the end of the stream.

    What is released is masked on the raw text and its plain form (see the
    module's docstring), holding back as much as the longest name in both, and
    then checked on its rendered form together with the end of what was sent
    before it (the whole of it at the flush), as the voter's page renders the
    whole answer.
    """

    # Look again only once this many raw characters arrived, and release at
    # least as many (but at the flush): each look reads the held-back tail and
    # each release renders a window of the answer.
    MIN_RELEASE = 8
    # What is checked with each release: the last so many characters sent.
    WINDOW = 600
    # Never hold back more than this (a name padded with thousands of invisible
    # characters is still caught by the rendered check and the final one).
    MAX_HOLDBACK = 2048

    def __init__(self, pattern: NamePattern):
        self.pattern = pattern
        self.raw = ""
        self.sent = 0  # how much of ``raw`` has been released (masked)
        self.out = ""  # everything released
        self.tried = 0  # len(raw) at the last attempt to release
        self.refs: list[str] = []  # reference definitions sent
        self.refs_read = 0  # how much of ``out`` was searched for them

    def feed(self, chunk: str) -> str:
        self.raw += chunk
        return self._release(final=False)

    def flush(self) -> str:
        return self._release(final=True)

    def _window(self) -> str:
        # Reference definitions apply to the whole answer, wherever they are:
        # those sent so far go with the window (complete lines, read once).
        done = self.out.rfind("\n") + 1
        if done > self.refs_read:
            self.refs += _REF_DEF.findall(self.out, self.refs_read, done)
            self.refs_read = done
        tail = self.out[-self.WINDOW :]
        return ("\n".join(self.refs) + "\n\n" + tail) if self.refs else tail

    def _release(self, *, final: bool) -> str:
        if not final and len(self.raw) - self.tried < self.MIN_RELEASE:
            return ""  # too little new to be worth a look (each costs a render)
        self.tried = len(self.raw)
        seg = self.raw[self.sent :]
        spans, units = _spans(self.raw, self.pattern, self.sent)
        cut = len(seg)
        if not final:
            cut = len(seg) - self.pattern.holdback
            # As much again of what would be read: invisible characters,
            # entities and markup around a name do not shorten the hold.
            shown = 0
            for start, _, text in reversed(units):
                shown += len(text)
                if shown >= self.pattern.visible_holdback:
                    cut = min(cut, start)
                    break
            else:
                cut = 0
            if 0 < cut < len(seg) and _WORD_END.search(seg, 0, cut) and seg[cut].isalnum():
                # Not in the middle of a word: "Claude|tte" would show "Claude"
                # until the rest came (and the check below would mask it).
                cut = _WORD_END.search(seg, 0, cut).start()
            cut = max(cut, len(seg) - self.MAX_HOLDBACK, 0)
            if cut < self.MIN_RELEASE:
                return ""
        out = []
        pos = 0
        for start, end in spans:
            if start >= cut:
                break
            if end > cut:
                # A name straddles the cut: keep all of it back.
                cut = start
                break
            out.append(seg[pos:start])
            out.append(MASK)
            pos = end
        if cut > pos:
            out.append(seg[pos:cut])
        piece = "".join(out)
        if piece:
            piece = _guard(self.out if final else self._window(), piece, self.pattern)
        self.sent += max(cut, pos)
        self.out += piece
        return piece
