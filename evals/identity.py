"""Model identities in generated text: detect them, and mask them in a stream.

Before the vote nothing may name a model, yet a model can name itself (or its
vendor) in its answer. The stored answer keeps the original text and the battle
is excluded; what is streamed to the voter has every known name replaced by
``[model]``. Names can be split across chunks ("Clau" + "de"), so the masker
holds back a tail as long as the longest name until it can no longer be the
start of one.
"""

import re
from dataclasses import dataclass

from django.conf import settings

from datafi.accounts.models import Organization
from evals.models import EvalModel, ModelEndpoint

MASK = "[model]"


@dataclass(frozen=True)
class NamePattern:
    regex: re.Pattern
    # Longest text one match can span: the masker holds back this much.
    holdback: int

    def find(self, text: str) -> list[str]:
        return sorted({m.group(0) for m in self.regex.finditer(text)})


def _alternative(name: str) -> str:
    # Spaces, hyphens and underscores are interchangeable in how models name
    # themselves ("Marivolt Pro", "marivolt-pro").
    parts = [re.escape(p) for p in re.split(r"[\s_-]+", name.strip()) if p]
    return r"[\s_-]*".join(parts)


def build_pattern(names) -> NamePattern:
    names = sorted({n.strip() for n in names if n and len(n.strip()) >= 2}, key=len, reverse=True)
    if not names:
        return NamePattern(regex=re.compile(r"(?!x)x"), holdback=0)
    body = "|".join(_alternative(n) for n in names)
    # Word boundaries by hand: \b would not fire next to a name ending in "-".
    regex = re.compile(rf"(?<![\w])(?:{body})(?![\w])", re.IGNORECASE)
    # Separators may stretch a little ("Marivolt  Pro"); allow slack.
    return NamePattern(regex=regex, holdback=max(len(n) for n in names) + 8)


def known_names() -> set[str]:
    """Every registered model, provider and provider model id, plus known vendors."""

    names = set(settings.LIVE_KNOWN_VENDORS)
    # A rejected registration names nothing voters could see; leaving it out
    # keeps a junk name from blocking everyone's answers that happen to use it.
    models = EvalModel.objects.exclude(approval=EvalModel.Approval.REJECTED)
    for name, slug in models.values_list("name", "slug"):
        names |= {name, slug}
    for name, slug in Organization.objects.values_list("name", "slug"):
        names |= {name, slug}
    names |= set(ModelEndpoint.objects.values_list("provider_model_id", flat=True))
    return names


def leak_pattern() -> NamePattern:
    return build_pattern(known_names())


def withheld_reason(text: str, pattern: NamePattern | None = None) -> str:
    """Why a stored answer must never be served before the vote ("" if it may be).

    The same check as live answers: an answer that names any known model or
    provider would tell the voter who is who.
    """
    found = (pattern or leak_pattern()).find(text)
    if not found:
        return ""
    return f"identity leak: the answer names {', '.join(found)}"[:300]


def mask(text: str, pattern: NamePattern) -> str:
    return pattern.regex.sub(MASK, text)


class StreamMasker:
    """Feed raw chunks, get back text that is safe to send.

    ``feed`` returns only the prefix that no name can still reach into;
    ``flush`` returns the rest at the end of the stream.
    """

    def __init__(self, pattern: NamePattern):
        self.pattern = pattern
        self.raw = ""
        self.sent = 0  # how much of ``raw`` has been released (masked)

    def feed(self, chunk: str) -> str:
        self.raw += chunk
        return self._release(final=False)

    def flush(self) -> str:
        return self._release(final=True)

    def _release(self, *, final: bool) -> str:
        cut = len(self.raw) if final else max(self.sent, len(self.raw) - self.pattern.holdback)
        out = []
        pos = self.sent
        for match in self.pattern.regex.finditer(self.raw, self.sent):
            if match.start() >= cut:
                break
            if match.end() > cut:
                # A name straddles the cut: keep all of it back.
                cut = match.start()
                break
            out.append(self.raw[pos : match.start()])
            out.append(MASK)
            pos = match.end()
        if cut > pos:
            out.append(self.raw[pos:cut])
        self.sent = max(cut, pos)
        return "".join(out)
