"""Reads for evals that span relations."""

from evals.models import Battle, Vote


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
