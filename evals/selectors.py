"""Reads for evals that span relations."""

import threading
import time
from dataclasses import dataclass

from evals.models import Battle, EvalModel, Vote

# How long a process may show a renamed model under its old name in reveals.
IDENTITY_TTL_SECONDS = 30.0


@dataclass(frozen=True)
class ModelIdentity:
    """What the reveal shows of a model."""

    name: str
    slug: str
    provider: str

    @classmethod
    def of(cls, model: EvalModel) -> "ModelIdentity":
        return cls(name=model.name, slug=model.slug, provider=model.organization.name)

    def as_dict(self) -> dict:
        return {"name": self.name, "slug": self.slug, "provider": self.provider}


_identities: dict = {"at": float("-inf"), "by_id": {}}
_identities_lock = threading.Lock()


def model_identities(model_ids) -> dict[int, ModelIdentity]:
    """Names of models by id for the reveal, from a per-process copy of the
    (small) models table: a vote needs no query for them. Reloaded when older
    than IDENTITY_TTL_SECONDS or when an id is missing (a model just added)."""
    now = time.monotonic()
    with _identities_lock:
        cached = _identities["by_id"]
        fresh = now - _identities["at"] < IDENTITY_TTL_SECONDS
    if not fresh or any(i not in cached for i in model_ids):
        cached = {
            m.id: ModelIdentity.of(m) for m in EvalModel.objects.select_related("organization")
        }
        with _identities_lock:
            _identities.update(at=now, by_id=cached)
    return {i: cached[i] for i in model_ids}


def model_identities_forget() -> None:
    """Drop this process's copy (after a model is saved; between tests)."""
    with _identities_lock:
        _identities.update(at=float("-inf"), by_id={})


def battle_for_voter(*, user, battle_id) -> Battle | None:
    """The battle if it exists and was served to ``user``; else None."""
    return (
        Battle.objects.select_related(
            "prompt", "answer_a", "answer_b", "model_a__organization", "model_b__organization"
        )
        .filter(id=battle_id, voter=user)
        .first()
    )


def vote_for_battle(*, battle: Battle) -> Vote | None:
    return Vote.objects.filter(battle=battle).first()


def battle_public_dict(battle: Battle) -> dict:
    """What a voter may see of a battle before the vote: labels A and B only."""
    return {
        "id": str(battle.id),
        "status": battle.status,
        "prompt": {
            "html": _prompt_html(battle.prompt.text),
            "category": battle.prompt.category,
            "language": battle.prompt.language,
        },
        "a": {"html": battle.answer_a.html if battle.answer_a else ""},
        "b": {"html": battle.answer_b.html if battle.answer_b else ""},
        "vote_url": f"/arena/battles/{battle.id}/vote",
    }


def _prompt_html(text: str) -> str:
    from evals.markdown import render

    return render(text)


def voter_stats(*, user) -> dict:
    return {"votes": Vote.objects.filter(battle__voter=user).count()}
