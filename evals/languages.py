"""The languages voters read and prompts are written in (ISO 639-1 codes).

``VOTER_LANGUAGES`` (settings) lists the languages a voter can pick; a voter is
served stored and gold battles only in the languages they picked. The language
of a prompt typed in a live battle is detected with py3langid, restricted to
those languages ("und" when it is not confidently one of them).
"""

from functools import cache

from django.conf import settings
from django.utils.translation import get_language_info
from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

NAMES = {
    "en": "English",
    "fr": "Français",
    "es": "Español",
    "id": "Bahasa Indonesia",
    "de": "Deutsch",
    "pt": "Português",
    "it": "Italiano",
    "nl": "Nederlands",
}
UNDETERMINED = "und"  # BCP 47: the language is not known
MIN_CONFIDENCE = 0.8


def reader_name(code: str) -> str:
    """The language's name in the reader's language (Django's own catalogue), as a
    sentence names it ("You judge answers in: French"); a picker shows each
    language in its own name (``NAMES``), so that a reader finds theirs."""
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return NAMES.get(code, code)


def choices() -> list[tuple[str, str]]:
    """(code, name) of every language a voter can pick, in the settings' order."""
    return [(code, NAMES.get(code, code)) for code in settings.VOTER_LANGUAGES]


def clean(codes) -> list[str]:
    """The known codes among ``codes``, each once, in the settings' order."""
    wanted = {str(c).strip().lower() for c in codes or ()}
    return [code for code in settings.VOTER_LANGUAGES if code in wanted]


def from_accept_language(header: str) -> list[str]:
    """The pickable languages a browser's Accept-Language names, by preference.

    Hand-parsed (a few lines): Django's parser is private, and only the primary
    subtag matters here ("en-GB" reads English).
    """
    ranked = []
    for position, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        code = tag.strip().split("-")[0].lower()
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if code and q > 0:
            ranked.append((-q, position, code))
    seen, out = set(), []
    for _, _, code in sorted(ranked):
        if code in settings.VOTER_LANGUAGES and code not in seen:
            seen.add(code)
            out.append(code)
    return out


@cache
def _identifier():
    identifier = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(settings.VOTER_LANGUAGES))
    return identifier


def detect(text: str) -> str:
    """The language ``text`` is written in, or "und" when unsure."""
    if not text or not any(ch.isalpha() for ch in text):
        return UNDETERMINED
    code, confidence = _identifier().classify(text)
    return code if confidence >= MIN_CONFIDENCE else UNDETERMINED
