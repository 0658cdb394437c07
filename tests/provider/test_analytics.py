"""Provider analytics over REST: figures from counted votes only, each with the
battles behind it; a provider reads its own models, an operator every model."""

import csv
import io
from collections import Counter

import pytest

from datafi.accounts import services as account_services
from datafi.flows import fold
from evals import services
from evals.models import Battle
from ratings.services import refresh_dirty
from tests.provider.helpers import auth, make_key

URL = "/api/v1/analytics/models/{}"


@pytest.fixture(autouse=True)
def _counted_votes(settings):
    """The fixture's scripted voters vote instantly: quality's defences (tested
    in tests/evals/test_quality_*) would rightly exclude every vote, and these
    tests need counted ones."""
    settings.QUALITY_DEFENCES = False


def outcome(battle, model_id):
    choice = battle.vote.choice
    if choice in ("tie", "both_bad"):
        return choice
    mine = "model_a" if battle.model_a_id == model_id else "model_b"
    return "win" if choice == mine else "loss"


def expected(model):
    """What the figures must say, counted straight from the battles table."""
    from django.db.models import Q

    battles = Battle.objects.filter(
        Q(model_a=model) | Q(model_b=model), status="revealed", excluded=False
    ).select_related("vote", "model_a", "model_b", "prompt")
    by_opp = {}
    for b in battles:
        opp = b.model_b if b.model_a_id == model.pk else b.model_a
        by_opp.setdefault(opp.slug, Counter())[outcome(b, model.pk)] += 1
    return battles, by_opp


@pytest.fixture
def halcyon(arena):
    return arena["models"][0]


def all_battles(client, url, key):
    out = []
    while url:
        resp = client.get(url, **auth(key))
        assert resp.status_code == 200, resp.content
        out += resp.json()["results"]
        url = resp.json()["next"]
    return out


def test_a_provider_reads_its_models_win_rate_against_each_opponent(
    client, bob_key, votes, halcyon
):
    battles, by_opp = expected(halcyon)
    assert battles, "the fixture must give Halcyon-9 some counted votes"
    resp = client.get(URL.format(halcyon.slug), **auth(bob_key))
    assert resp.status_code == 200, resp.content
    data = resp.json()
    got = {
        r["opponent"]: Counter(
            {"win": r["wins"], "loss": r["losses"], "tie": r["ties"], "both_bad": r["both_bad"]}
        )
        for r in data["opponents"]
    }
    assert {k: +v for k, v in got.items()} == by_opp
    for r in data["opponents"]:
        assert r["battles"] == sum(by_opp[r["opponent"]].values())
        expected_rate = (r["wins"] + 0.5 * (r["ties"] + r["both_bad"])) / r["battles"]
        assert r["win_rate"] == pytest.approx(expected_rate)
        assert r["both_bad_rate"] == pytest.approx(r["both_bad"] / r["battles"])
    assert data["total"]["battles"] == len(battles)
    assert sum(c["battles"] for c in data["categories"]) == len(battles)
    assert sum(c["battles"] for c in data["languages"]) == len(battles)
    assert Counter(c["category"] for c in data["categories"]) == Counter(
        {b.prompt.category for b in battles}
    )


def test_every_figure_links_to_exactly_the_battles_behind_it(client, bob_key, votes, halcyon):
    data = client.get(URL.format(halcyon.slug), **auth(bob_key)).json()
    figures = [data["total"], *data["opponents"], *data["categories"], *data["languages"]]
    for figure in figures:
        rows = all_battles(client, figure["battles_url"], bob_key)
        assert len(rows) == figure["battles"], figure["battles_url"]
        tally = Counter(r["outcome"] for r in rows)
        assert tally["win"] == figure["wins"] and tally["loss"] == figure["losses"]
        assert tally["both_bad"] == figure["both_bad"]
    # Narrowed to one outcome: only those votes, as Halcyon saw them.
    url = data["opponents"][0]["battles_url"] + "&outcome=win"
    rows = all_battles(client, url, bob_key)
    assert len(rows) == data["opponents"][0]["wins"]
    assert all(r["outcome"] == "win" for r in rows)


def test_it_never_counts_names_or_links_an_open_or_excluded_battle(client, bob_key, votes, halcyon):
    before = client.get(URL.format(halcyon.slug), **auth(bob_key)).json()
    # Open battles with Halcyon in them, against every opponent the sampler picks.
    open_ids = set()
    for i in range(8):
        voter = account_services.user_create(username=f"idle{i}", password="x" * 20)
        battle = services.battle_serve(user=voter)
        if halcyon.pk in (battle.model_a_id, battle.model_b_id):
            open_ids.add(str(battle.id))
    assert open_ids, "no open battle with Halcyon-9 to check"
    after = client.get(URL.format(halcyon.slug), **auth(bob_key)).json()
    assert after["total"] == before["total"]
    assert after["opponents"] == before["opponents"]
    listed = {r["id"] for r in all_battles(client, after["total"]["battles_url"], bob_key)}
    assert not listed & open_ids
    assert str(votes["excluded"].id) not in listed
    assert str(votes["open"].id) not in listed


def test_an_opponent_met_only_in_open_battles_is_not_named(client, orgs, alice):
    key = make_key(orgs["zephyrine"])
    # One open battle and nothing else: the opponent must stay unnamed.
    battle = services.battle_serve(user=alice)
    zephyrine = orgs["zephyrine"].pk
    model = next(
        m
        for m in (battle.model_a, battle.model_b, None)
        if m is None or m.organization_id == zephyrine
    )
    if model is None:  # both Quorvex's: look from Quorvex's side instead
        model = battle.model_a
        key = make_key(orgs["quorvex"])
    opponent = battle.model_b if battle.model_a_id == model.pk else battle.model_a
    data = client.get(URL.format(model.slug), **auth(key)).json()
    assert data["opponents"] == [] and data["total"]["battles"] == 0
    assert opponent.slug not in str(data) and opponent.name not in str(data)
    # Once voted (and so revealed), the opponent is named.
    fold.vote_cast(user=alice, battle_id=battle.id, choice="model_a")
    data = client.get(URL.format(model.slug), **auth(key)).json()
    assert [r["opponent"] for r in data["opponents"]] == [opponent.slug]


def test_another_provider_gets_a_404_for_every_figure_of_a_model_not_its_own(
    client, mallory_key, votes, halcyon
):
    for suffix in ("", "/battles", "/csv"):
        resp = client.get(URL.format(halcyon.slug) + suffix, **auth(mallory_key))
        assert resp.status_code == 404, suffix
        assert resp.json()["code"] == "not_found"
        assert halcyon.name not in resp.content.decode()


def test_a_member_reads_by_session_and_an_operator_reads_every_model(
    client, bob, carol, votes, arena
):
    client.force_login(bob)
    assert client.get(URL.format(arena["models"][0].slug)).status_code == 200
    assert client.get(URL.format(arena["models"][3].slug)).status_code == 404
    carol.is_staff = True
    carol.save()
    client.force_login(carol)
    for model in arena["models"]:
        assert client.get(URL.format(model.slug)).status_code == 200


def test_the_score_history_follows_the_leaderboard_snapshots(
    client, bob_key, votes, halcyon, settings
):
    from ratings.selectors import leaderboard_history

    settings.RATINGS_BOOTSTRAP_ROUNDS = 50
    settings.RATINGS_STYLE_ROUNDS = 5
    refresh_dirty(worker="analytics-test")
    voter = votes["voters"][1]
    for _ in range(4):
        battle = services.battle_serve(user=voter)
        fold.vote_cast(user=voter, battle_id=battle.id, choice="tie")
    refresh_dirty(worker="analytics-test")
    snaps = list(leaderboard_history())
    assert len(snaps) >= 2
    history = client.get(URL.format(halcyon.slug), **auth(bob_key)).json()["history"]
    assert [p["snapshot"] for p in history] == [s.id for s in reversed(snaps)]
    for point, snap in zip(history, reversed(snaps), strict=True):
        row = next(r for r in snap.rows if r["model_id"] == halcyon.pk)
        assert point["score"] == pytest.approx(row["score"])
        assert point["lower"] == pytest.approx(row["lower"])
        assert point["upper"] == pytest.approx(row["upper"])
        assert point["lower"] <= point["score"] <= point["upper"]


def test_the_csv_download_holds_the_same_figures(client, bob_key, votes, halcyon):
    data = client.get(URL.format(halcyon.slug), **auth(bob_key)).json()
    resp = client.get(URL.format(halcyon.slug) + "/csv?table=opponents", **auth(bob_key))
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("text/csv")
    assert "attachment" in resp["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(resp.content.decode())))
    assert [r["opponent"] for r in rows] == [r["opponent"] for r in data["opponents"]]
    assert [int(r["battles"]) for r in rows] == [r["battles"] for r in data["opponents"]]
    for table in ("categories", "languages", "history", "speed"):
        resp = client.get(URL.format(halcyon.slug) + f"/csv?table={table}", **auth(bob_key))
        assert resp.status_code == 200, table
    # A CSV client's Accept header does not turn an error into a 406 or a 500.
    resp = client.get(
        URL.format(halcyon.slug) + "/csv?table=nope", HTTP_ACCEPT="text/csv", **auth(bob_key)
    )
    assert resp.status_code == 400 and resp.json()["code"] == "invalid"


@pytest.mark.parametrize(
    "suffix, code",
    [
        ("?category=gardening", "invalid"),
        ("?method=median", "invalid"),
        ("?language=x!", "invalid"),
        ("?category=coding&category=math", "repeated_parameter"),
        ("?colour=blue", "unknown_parameter"),
        ("/battles?outcome=draw", "invalid"),
        ("/battles?live=maybe", "invalid"),
        ("/battles?page_size=0", "invalid"),
        ("/csv?table=secrets", "invalid"),
    ],
)
def test_bad_input_is_a_400_in_the_error_shape(client, bob_key, votes, halcyon, suffix, code):
    resp = client.get(URL.format(halcyon.slug) + suffix, **auth(bob_key))
    assert resp.status_code == 400, resp.content
    assert resp.json()["code"] == code and resp.json()["detail"]


def test_an_unknown_opponent_is_a_404(client, bob_key, votes, halcyon):
    resp = client.get(URL.format(halcyon.slug) + "/battles?opponent=nobody", **auth(bob_key))
    assert resp.status_code == 404 and resp.json()["code"] == "unknown_model"


def test_no_key_is_a_401_and_a_key_without_data_read_is_a_403(client, orgs, votes, halcyon):
    assert client.get(URL.format(halcyon.slug)).status_code == 401
    key = make_key(orgs["zephyrine"], scopes=["answers:write"])
    resp = client.get(URL.format(halcyon.slug), **auth(key))
    assert resp.status_code == 403 and resp.json()["code"] == "missing_scope"


@pytest.mark.parametrize(
    "suffix, status",
    [
        ("?language=%20en", 400),  # the schema's pattern refuses it: so does the server
        ("/battles?opponent=%20marivolt-pro", 400),
        # Read as sent (DRF decodes these to the first page), not trimmed into a blank 400.
        ("/battles?cursor=%1F", 200),
        ("/battles?cursor=%20", 200),
    ],
)
def test_parameters_are_read_as_sent_not_trimmed(client, bob_key, votes, halcyon, suffix, status):
    resp = client.get(URL.format(halcyon.slug) + suffix, **auth(bob_key))
    assert resp.status_code == status, resp.content


def test_the_provider_page_links_each_model_to_its_analytics(client, db):
    from datafi.accounts import services as accounts
    from evals import services

    user = accounts.user_create(username="provider-page", password="a long enough password 1")
    org = accounts.organization_get_or_create(slug="page-org", name="Page Org")
    accounts.membership_add(organization=org, user=user, role="owner")
    model = services.model_upsert(name="Linked Model", organization=org, description="x")
    client.force_login(user)
    html = client.get("/provider/").content.decode()
    assert f'href="/provider/analytics/{model.slug}/"' in html


def test_an_opponent_named_like_a_formula_is_text_in_the_csv(client, bob_key, votes, halcyon):
    """An opponent's name is a provider's choice: a spreadsheet must not run it."""
    from evals.models import EvalModel

    data = client.get(URL.format(halcyon.slug), **auth(bob_key)).json()
    opponent = data["opponents"][0]["opponent"]
    EvalModel.objects.filter(slug=opponent).update(name='=HYPERLINK("https://evil.example/")')
    resp = client.get(URL.format(halcyon.slug) + "/csv?table=opponents", **auth(bob_key))
    text = resp.content.decode()
    cells = [v for r in csv.DictReader(io.StringIO(text)) for v in r.values()]
    assert not any(c.startswith(("=", "+", "@")) for c in cells if c)


def test_the_page_writes_each_rate_as_its_charts_tooltip_does(
    client, bob, votes, halcyon, monkeypatch
):
    """The tables rounded with widthratio (half to even on the binary value) and
    the charts' tooltips with Intl.NumberFormat: 21 of 40 read 52% in the table
    and 53% in the tooltip of the same page."""
    import re

    from evals.provider import analytics_views

    real = analytics_views.model_summary

    def at_half_percents(**kwargs):
        summary = real(**kwargs)
        for row in [
            summary["total"],
            *summary["opponents"],
            *summary["categories"],
            *summary["languages"],
        ]:
            row["win_rate"], row["both_bad_rate"] = 21 / 40, 17 / 40
        return summary

    monkeypatch.setattr(analytics_views, "model_summary", at_half_percents)
    client.force_login(bob)
    html = client.get(f"/provider/analytics/{halcyon.slug}/").content.decode()
    cells = re.findall(r"(\d+)%</(?:td|span)>", html)
    assert cells and set(cells) <= {"53", "43"}, cells
