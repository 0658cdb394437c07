import gzip
import io
import json

import pandas as pd
import pyarrow.parquet as pq
import pytest
from django.core.management import CommandError, call_command

from datafi.flows import fold
from evals.models import Battle
from evals.provider import exports
from evals.provider.selectors import voter_pseudonym
from tests.provider.helpers import auth, org_battles

ARENA_FIELDS = [
    "question_id",
    "model_a",
    "model_b",
    "winner",
    "judge",
    "conversation_a",
    "conversation_b",
    "turn",
    "anony",
    "language",
    "tstamp",
]


def download(client, key, query):
    resp = client.get(f"/api/v1/datasets/export?{query}", **auth(key))
    assert resp.status_code == 200, resp.content
    assert resp.streaming
    return resp, b"".join(resp.streaming_content)


def expected_ids(votes, org=None, dpo=False):
    battles = [b for b in votes["battles"] if b.pk != votes["excluded"].pk]
    if org is not None:
        battles = org_battles(battles, org)
    if dpo:
        battles = [b for b in battles if b.vote.choice in ("model_a", "model_b")]
    return sorted(b.id.hex for b in battles)


def test_arena_jsonl_has_the_release_fields_and_only_the_orgs_voted_battles(
    client, orgs, bob_key, votes
):
    resp, body = download(client, bob_key, "format=arena-jsonl")
    assert resp["Content-Type"] == "application/x-ndjson"
    assert "attachment" in resp["Content-Disposition"]
    assert ".jsonl" in resp["Content-Disposition"]
    rows = [json.loads(line) for line in body.decode().splitlines()]
    assert sorted(r["question_id"] for r in rows) == expected_ids(votes, orgs["zephyrine"])
    assert all(list(r) == ARENA_FIELDS for r in rows)
    battle = Battle.objects.select_related("vote", "voter", "prompt", "answer_a").get(
        pk=rows[0]["question_id"]
    )
    assert rows[0]["conversation_a"] == [
        {"role": "user", "content": battle.prompt.text},
        {"role": "assistant", "content": battle.answer_a.text},
    ]
    assert rows[0]["judge"] == voter_pseudonym(battle.voter.public_id)
    assert rows[0]["language"] in {"English", "French"}
    assert rows[0]["turn"] == 1 and rows[0]["anony"] is True
    winners = {"model_a", "model_b", "tie", "tie (bothbad)"}
    assert {r["winner"] for r in rows} <= winners
    assert abs(rows[0]["tstamp"] - battle.voted_at.timestamp()) < 1e-3
    # pandas reads it as-is
    frame = pd.read_json(io.BytesIO(body), lines=True)
    assert list(frame.columns) == ARENA_FIELDS and len(frame) == len(rows)


def test_no_voter_identity_leaves_in_any_format(client, orgs, bob_key, votes):
    secrets = {str(v.public_id) for v in votes["voters"]} | {v.username for v in votes["voters"]}
    secrets |= {v.public_id.hex for v in votes["voters"]}
    for fmt in exports.FORMATS:
        _, body = download(client, bob_key, f"format={fmt}")
        text = body.decode("latin-1")
        assert not any(s in text for s in secrets), fmt


def test_kaggle_csv_loads_with_pandas_as_the_competition_did(client, orgs, bob_key, votes):
    resp, body = download(client, bob_key, "format=kaggle-csv")
    assert resp["Content-Type"].startswith("text/csv")
    frame = pd.read_csv(io.BytesIO(body))
    assert list(frame.columns) == exports.KAGGLE_COLUMNS
    assert sorted(frame["id"]) == expected_ids(votes, orgs["zephyrine"])
    assert (frame[["winner_model_a", "winner_model_b", "winner_tie"]].sum(axis=1) == 1).all()
    row = frame.iloc[0]
    battle = Battle.objects.select_related("prompt", "answer_b", "vote").get(pk=row["id"])
    assert json.loads(row["prompt"]) == [battle.prompt.text]
    assert json.loads(row["response_b"]) == [battle.answer_b.text]
    assert row["winner_tie"] == int(battle.vote.choice in ("tie", "both_bad"))


def test_dpo_jsonl_has_chosen_and_rejected_and_leaves_out_ties(client, orgs, bob_key, votes):
    _, body = download(client, bob_key, "format=dpo-jsonl")
    rows = [json.loads(line) for line in body.decode().splitlines()]
    assert sorted(r["question_id"] for r in rows) == expected_ids(
        votes, orgs["zephyrine"], dpo=True
    )
    for r in rows:
        battle = Battle.objects.select_related("vote", "answer_a", "answer_b", "model_a").get(
            pk=r["question_id"]
        )
        winner_is_a = battle.vote.choice == "model_a"
        assert r["chosen"] == (battle.answer_a.text if winner_is_a else battle.answer_b.text)
        assert r["rejected"] == (battle.answer_b.text if winner_is_a else battle.answer_a.text)
        assert (r["chosen_model"] == battle.model_a.slug) is winner_is_a
        assert r["reasons"] == ["more_helpful"] and r["time_to_vote_ms"] >= 0
    assert pd.read_json(io.BytesIO(body), lines=True).shape[0] == len(rows)


def test_parquet_is_the_arena_layout_and_loads_with_pyarrow_and_pandas(
    client, orgs, bob_key, votes
):
    resp, body = download(client, bob_key, "format=parquet")
    assert resp["Content-Type"] == "application/vnd.apache.parquet"
    table = pq.read_table(io.BytesIO(body))
    assert table.column_names == ARENA_FIELDS
    assert sorted(table.column("question_id").to_pylist()) == expected_ids(votes, orgs["zephyrine"])
    _, jsonl = download(client, bob_key, "format=arena-jsonl")
    assert table.to_pylist() == [json.loads(line) for line in jsonl.decode().splitlines()]
    assert len(pd.read_parquet(io.BytesIO(body))) == table.num_rows


def test_gzip_on_request(client, bob_key, votes):
    resp, body = download(client, bob_key, "format=arena-jsonl&compression=gzip")
    assert resp["Content-Type"] == "application/gzip"
    assert resp["Content-Disposition"].endswith('.jsonl.gz"')
    _, plain = download(client, bob_key, "format=arena-jsonl")
    assert gzip.decompress(body) == plain
    frame = pd.read_csv(
        io.BytesIO(download(client, bob_key, "format=kaggle-csv&compression=gzip")[1]),
        compression="gzip",
    )
    assert len(frame) == len(plain.splitlines())


def test_an_operator_exports_everything_voted_and_not_excluded(client, carol, votes):
    carol.is_staff = True
    carol.save()
    client.force_login(carol)
    resp = client.get("/api/v1/datasets/export?format=arena-jsonl")
    rows = [json.loads(x) for x in b"".join(resp.streaming_content).splitlines()]
    assert sorted(r["question_id"] for r in rows) == expected_ids(votes)
    assert votes["excluded"].id.hex not in {r["question_id"] for r in rows}


def test_a_member_can_restrict_the_export_to_one_organisation(client, orgs, bob, votes):
    client.force_login(bob)
    resp = client.get("/api/v1/datasets/export?format=arena-jsonl&organization=zephyrine-labs")
    assert resp.status_code == 200
    resp = client.get("/api/v1/datasets/export?format=arena-jsonl&organization=quorvex-ai")
    assert resp.status_code == 404


@pytest.mark.parametrize(
    "query,status,code",
    [
        ("", 400, "invalid"),
        ("format=xml", 400, "invalid"),
        ("format=arena-jsonl&compression=zip", 400, "invalid"),
        ("format=arena-jsonl&organization=quorvex-ai", 404, "not_found"),
        ("format=arena-jsonl&organization=nope", 404, "not_found"),
    ],
)
def test_bad_export_requests_are_4xx(client, bob_key, votes, query, status, code):
    resp = client.get(f"/api/v1/datasets/export?{query}", HTTP_ACCEPT="text/csv", **auth(bob_key))
    assert resp.status_code == status, resp.content
    assert resp.json()["code"] == code


def test_exports_need_the_data_scope(client, orgs, votes):
    from tests.provider.helpers import make_key

    key = make_key(orgs["zephyrine"], scopes=["answers:write"])
    resp = client.get("/api/v1/datasets/export?format=arena-jsonl", **auth(key))
    assert resp.status_code == 403


def test_the_stream_reads_in_chunks_with_bounded_text_caches(monkeypatch, orgs, votes):
    monkeypatch.setattr(exports, "CHUNK_ROWS", 2)
    monkeypatch.setattr(exports, "CACHE_SIZE", 1)
    sizes = []
    real_ensure = exports._Lru.ensure

    def ensure(self, ids):
        data = real_ensure(self, ids)
        sizes.append(len(data))
        return data

    monkeypatch.setattr(exports._Lru, "ensure", ensure)
    pieces = list(exports.export_stream(exports.ExportSpec(format="arena-jsonl")))
    n = len(expected_ids(votes))
    assert len(pieces) == (n + 1) // 2
    assert sum(len(p.splitlines()) for p in pieces) == n
    assert max(sizes) <= 4  # two rows of a chunk need at most four answers


def test_under_asgi_the_export_streams_piece_by_piece(monkeypatch, orgs, bob_key, votes):
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    monkeypatch.setattr(exports, "CHUNK_ROWS", 2)

    async def fetch():
        resp = await AsyncClient().get(
            "/api/v1/datasets/export?format=arena-jsonl",
            headers={"Authorization": f"Bearer {bob_key}"},
        )
        assert resp.status_code == 200
        assert hasattr(resp.streaming_content, "__anext__")  # not consumed up front
        return [piece async for piece in resp.streaming_content]

    pieces = async_to_sync(fetch)()
    assert len(pieces) > 1
    rows = b"".join(pieces).decode().splitlines()
    assert sorted(json.loads(r)["question_id"] for r in rows) == expected_ids(
        votes, orgs["zephyrine"]
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_export_is_one_point_in_time_while_votes_arrive(monkeypatch, settings):
    """Votes and exclusions committed by other connections mid-export do not
    show up in (or drop out of) an export that has started."""
    # Scripted votes come in milliseconds: lift the impossible-speed rule, or
    # every vote is excluded and the export has nothing to stream.
    settings.QUALITY_IMPOSSIBLE_VOTE_MS = 0
    import threading

    from django.db import connection

    from datafi.accounts.services import user_create
    from evals import services
    from evals.models import Prompt
    from tests.conftest import build_arena

    build_arena(prompts=6)
    voters = [user_create(username=f"v{i}", password="x" * 20) for i in range(3)]
    for voter in voters:
        for _ in range(4):
            battle = services.battle_serve(user=voter)
            fold.vote_cast(user=voter, battle_id=battle.id, choice="model_a")
    late_voter = user_create(username="late", password="x" * 20)
    open_battle = services.battle_serve(user=late_voter)
    before = Battle.objects.filter(status="revealed").count()
    monkeypatch.setattr(exports, "CHUNK_ROWS", 2)
    stream = exports.export_stream(exports.ExportSpec(format="arena-jsonl"))
    first = next(stream)
    # A battle the export has not reached yet (rows come in vote order).
    last_seen = Battle.objects.filter(status="revealed").order_by("-voted_at").first().pk

    def meanwhile():
        try:
            fold.vote_cast(user=late_voter, battle_id=open_battle.id, choice="model_b")
            Battle.objects.filter(pk=last_seen).update(
                excluded=True, exclusion_reason="flagged mid-export"
            )
            # Texts are read chunk by chunk in later statements: they too must
            # come from the export's snapshot.
            Prompt.objects.update(text="EDITED mid-export")
            seen_elsewhere.append(Battle.objects.filter(status="revealed").count())
        finally:
            connection.close()

    seen_elsewhere = []
    worker = threading.Thread(target=meanwhile)
    worker.start()
    worker.join()
    assert seen_elsewhere == [before + 1]  # the vote did commit
    rows = (first + b"".join(stream)).decode().splitlines()
    assert len(rows) == before
    exported = {json.loads(r)["question_id"] for r in rows}
    assert open_battle.id.hex not in exported
    assert last_seen.hex in exported
    assert Battle.objects.get(pk=last_seen).excluded
    assert not any("EDITED" in r for r in rows)


def test_the_command_writes_each_format_with_a_progress_bar(tmp_path, orgs, votes, capsys):
    for fmt in exports.FORMATS:
        out = tmp_path / f"x.{fmt}"
        call_command("export_dataset", format=fmt, output=str(out), organization="zephyrine-labs")
        assert out.stat().st_size > 0
    err = capsys.readouterr().err
    assert "rows/s" in err and "#" in err
    rows = (tmp_path / "x.arena-jsonl").read_text().splitlines()
    assert sorted(json.loads(r)["question_id"] for r in rows) == expected_ids(
        votes, orgs["zephyrine"]
    )
    assert pq.read_table(tmp_path / "x.parquet").num_rows == len(rows)


def test_the_command_refuses_an_unknown_organisation(tmp_path, db):
    with pytest.raises(CommandError):
        call_command(
            "export_dataset", format="arena-jsonl", output=str(tmp_path / "x"), organization="no"
        )


def test_an_empty_export_is_still_a_loadable_file(client, orgs, bob_key):
    _, body = download(client, bob_key, "format=kaggle-csv")
    assert list(pd.read_csv(io.BytesIO(body)).columns) == exports.KAGGLE_COLUMNS
    _, body = download(client, bob_key, "format=parquet")
    table = pq.read_table(io.BytesIO(body))
    assert table.num_rows == 0 and table.column_names == ARENA_FIELDS
    assert download(client, bob_key, "format=arena-jsonl")[1] == b""


def _asgi_get(app, path: str, headers: dict) -> list[dict]:
    """One GET through an ASGI app, as a server would drive it; the messages sent."""
    import asyncio

    from asgiref.sync import async_to_sync
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path.split("?")[0],
        "raw_path": path.split("?")[0].encode(),
        "query_string": path.partition("?")[2].encode(),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    sent = []

    async def run():
        request = [{"type": "http.request", "body": b"", "more_body": False}]

        async def receive():
            if request:
                return request.pop()
            await asyncio.sleep(3600)  # the client never hangs up

        async def send(message):
            sent.append(message)

        await app(scope, receive, send)

    # As Django's test clients do: the test's connection holds its transaction,
    # so the request signals must not close it.
    signals = (request_started, request_finished)
    for signal in signals:
        signal.disconnect(close_old_connections)
    try:
        async_to_sync(run)()
    finally:
        for signal in signals:
            signal.connect(close_old_connections)
    return sent


def test_the_servers_asgi_handler_streams_the_export_piece_by_piece(
    monkeypatch, orgs, bob_key, votes
):
    # The handler the server runs (datafi.asgi), not Django's test client: its
    # whole middleware chain runs as one sync call, and the export's pieces are
    # pulled one at a time on the same request thread, as under a real server.
    from datafi.asgi import django_asgi_app

    monkeypatch.setattr(exports, "CHUNK_ROWS", 2)
    sent = _asgi_get(
        django_asgi_app,
        "/api/v1/datasets/export?format=arena-jsonl",
        {"Authorization": f"Bearer {bob_key}", "Host": "testserver"},
    )
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 200
    bodies = [m["body"] for m in sent[1:] if m.get("body")]
    assert len(bodies) > 1  # streamed, not built whole
    rows = b"".join(bodies).decode().splitlines()
    assert sorted(json.loads(r)["question_id"] for r in rows) == expected_ids(
        votes, orgs["zephyrine"]
    )
    # Errors go through the same chain: a missing key is a JSON 401.
    sent = _asgi_get(django_asgi_app, "/api/v1/datasets/export", {"Host": "testserver"})
    assert sent[0]["status"] == 401
