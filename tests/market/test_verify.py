"""The verify command rebuilds a version's root from a downloaded copy and fails loudly on
any difference; a contributor gets a Merkle proof that a vote of theirs is in a version."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from datafi.flows import market as market_flow
from datafi.market import canonical
from datafi.market import services as market
from datafi.market.models import VersionRow
from rewards.merkle import verify_leaf
from tests.market.conftest import approve


@pytest.fixture
def published(product, operator, evm):
    version = market.version_freeze(product_id=product.pk, operator=operator)
    approve(version, operator)
    return market_flow.version_publish(version_id=version.pk)


@pytest.fixture
def copy(published, tmp_path):
    path = tmp_path / "copy.jsonl"
    call_command("export_dataset_version", "arena-prefs", str(published.number), "-o", str(path))
    return path


def _run(*args):
    out, err = StringIO(), StringIO()
    call_command("verify_dataset_version", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_a_downloaded_copy_gives_the_recorded_and_onchain_root(published, copy):
    out, _err = _run(str(copy), "--dataset", "arena-prefs", "--number", "1", "--onchain")
    assert f"recomputed root: {published.root}" in out
    assert f"on-chain root:   {published.root}" in out
    assert "OK: the copy gives the root of arena-prefs v1" in out
    out, _err = _run(str(copy), "--root", published.root)
    assert "OK" in out


def test_the_root_does_not_depend_on_row_order_or_json_spelling(published, copy, tmp_path):
    rows = [json.loads(line) for line in copy.read_text().splitlines()]
    respelled = tmp_path / "respelled.jsonl"
    respelled.write_text(
        "\n".join(json.dumps(r, indent=None, ensure_ascii=True) for r in reversed(rows)) + "\n"
    )
    out, _err = _run(str(respelled), "--root", published.root)
    assert "OK" in out


def test_a_changed_row_is_a_loud_mismatch_naming_the_row(published, copy, tmp_path):
    rows = [json.loads(line) for line in copy.read_text().splitlines()]
    rows[0]["winner"] = "model_b" if rows[0]["winner"] != "model_b" else "model_a"
    tampered = tmp_path / "tampered.jsonl"
    tampered.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    with pytest.raises(CommandError, match="MISMATCH"):
        _run(str(tampered), "--dataset", "arena-prefs", "--number", "1")
    with pytest.raises(CommandError, match="MISMATCH: the copy does not give the expected root"):
        _run(str(tampered), "--root", published.root)
    err = StringIO()
    with pytest.raises(CommandError):
        call_command(
            "verify_dataset_version", str(tampered), "--dataset", "arena-prefs",
            "--number", "1", stdout=StringIO(), stderr=err,
        )  # fmt: skip
    assert f"rows changed in the copy (1): {rows[0]['battle_id']}" in err.getvalue()


def test_a_missing_row_and_a_foreign_row_are_mismatches(published, copy, tmp_path):
    lines = copy.read_text().splitlines()
    short = tmp_path / "short.jsonl"
    short.write_text("\n".join(lines[1:]) + "\n")
    with pytest.raises(CommandError, match="MISMATCH"):
        _run(str(short), "--dataset", "arena-prefs", "--number", "1")
    broken = tmp_path / "broken.jsonl"
    broken.write_text(lines[0] + "\n" + '{"battle_id": "x"}\n')
    with pytest.raises(CommandError, match="not in the row form: line 2"):
        _run(str(broken), "--root", published.root)


def test_the_command_refuses_bad_arguments(published, copy):
    with pytest.raises(CommandError, match="give either --root"):
        _run(str(copy))
    with pytest.raises(CommandError, match="no version 9"):
        _run(str(copy), "--dataset", "arena-prefs", "--number", "9")
    with pytest.raises(CommandError, match="cannot read"):
        _run("/nonexistent/copy.jsonl", "--root", published.root)


def test_onchain_verification_on_another_chain_says_so(published, copy, evm):
    evm.reset()  # this process now reads a fresh in-process chain
    with pytest.raises(CommandError, match="NOT VERIFIED on chain: this process reads embedded-"):
        _run(str(copy), "--dataset", "arena-prefs", "--number", "1", "--onchain")


# --- the contributor's proof ----------------------------------------------------------


def _url(number, battle_id, dataset="arena-prefs"):
    return f"/api/market/datasets/{dataset}/versions/{number}/proof/{battle_id}"


def test_a_contributor_gets_a_proof_that_their_vote_is_in_a_version(published, client, alice):
    row = VersionRow.objects.filter(version=published, voter=alice).first()
    client.force_login(alice)
    response = client.get(_url(1, row.battle_id), HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    body = response.json()
    assert body["root"] == published.root and body["tx_hash"] == published.tx_hash
    assert canonical.leaf(json.loads(body["row"])) == body["leaf"]
    assert verify_leaf(body["root"], body["leaf"], body["proof"])
    # The proof is the chain's: the same root the registry holds.
    assert market_flow.version_onchain(version=published)["root"] == body["root"]


def test_a_proof_is_refused_for_someone_elses_vote(published, client, alice, carol, mallory):
    carols = VersionRow.objects.filter(version=published, voter=carol).first()
    client.force_login(alice)
    response = client.get(_url(1, carols.battle_id), HTTP_ACCEPT="application/json")
    assert response.status_code == 404
    assert response.json()["code"] == "not_in_version"


def test_a_proof_needs_a_login_a_uuid_and_a_published_version(
    published, client, alice, product, operator
):
    row = VersionRow.objects.filter(version=published, voter=alice).first()
    response = client.get(_url(1, row.battle_id), HTTP_ACCEPT="application/json")
    assert (response.status_code, response.json()["code"]) == (401, "not_authenticated")
    client.force_login(alice)
    response = client.get(_url(1, "not-a-uuid"), HTTP_ACCEPT="application/json")
    assert (response.status_code, response.json()["code"]) == (400, "bad_battle_id")
    frozen = market.version_freeze(product_id=product.pk, operator=operator)
    row2 = VersionRow.objects.filter(version=frozen, voter=alice).first()
    response = client.get(_url(frozen.number, row2.battle_id), HTTP_ACCEPT="application/json")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    response = client.get(_url(1, row.battle_id, "nope"), HTTP_ACCEPT="application/json")
    assert response.status_code == 404
