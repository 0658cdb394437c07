"""rewards.merkle: OpenZeppelin StandardMerkleTree layout, proofs, validation, speed."""

import json
import random
import time

import pytest
from eth_abi import encode
from eth_utils import keccak, to_checksum_address
from hypothesis import given, settings
from hypothesis import strategies as st

from rewards.merkle import MerkleTree, hash_pair, leaf_hash, verify

ALICE = "0x" + "11" * 20
BOB = "0x" + "2b" * 20
CAROL = "0x" + "c3" * 20

# Computed with @openzeppelin/merkle-tree 1.0.8:
#   StandardMerkleTree.of([[addr(i), String(i * 10n**18n)] for i in 1..5], ["address", "uint256"])
# where addr(i) is i as a 20-byte big-endian address.
KAT_ROWS = [("0x" + f"{i:040x}", i * 10**18) for i in range(1, 6)]
KAT_ROOT = "0x0f83651191d9c2e31f3653a21da41e131e85621ccfbb17d45643e01a72de6f91"
KAT_PROOF_OF_FIRST = [
    "0x5463d804106c8cca5acf27ebf485b4b55ceb2e62854eaef3a7c5ee3ed22b1af6",
    "0x38a644aa6fe72298c50692076fb175996dcedf8066a4ffe567351c606badf865",
]


def test_it_matches_openzeppelins_standard_merkle_tree():
    tree = MerkleTree(KAT_ROWS)
    assert tree.root() == KAT_ROOT
    assert tree.proof(KAT_ROWS[0][0]) == KAT_PROOF_OF_FIRST


def test_a_leaf_is_the_double_keccak_of_the_abi_encoded_pair():
    expected = keccak(keccak(encode(["address", "uint256"], [ALICE, 123])))
    assert leaf_hash(ALICE, 123) == expected
    assert leaf_hash(bytes.fromhex("11" * 20), 123) == expected


def test_a_single_leaf_is_its_own_root_with_an_empty_proof():
    tree = MerkleTree([(ALICE, 5)])
    assert tree.root() == "0x" + leaf_hash(ALICE, 5).hex()
    assert tree.proof(ALICE) == []
    assert verify(tree.root(), ALICE, 5, [])
    assert not verify(tree.root(), ALICE, 6, [])


def test_two_leaves_hash_into_the_root_in_either_order():
    tree = MerkleTree([(ALICE, 5), (BOB, 7)])
    a, b = leaf_hash(ALICE, 5), leaf_hash(BOB, 7)
    assert tree.root() == "0x" + hash_pair(a, b).hex() == "0x" + hash_pair(b, a).hex()
    assert tree.proof(ALICE) == ["0x" + b.hex()]
    assert tree.proof(BOB) == ["0x" + a.hex()]


@pytest.mark.parametrize("n", [3, 5, 7, 9, 33, 101])
def test_odd_counts_give_a_proof_for_every_leaf(n):
    rows = [("0x" + f"{i + 1:040x}", i * 3) for i in range(n)]
    tree = MerkleTree(rows)
    assert len(tree) == n
    for account, amount in rows:
        proof = tree.proof(account)
        assert verify(tree.root(), account, amount, proof)
        assert not verify(tree.root(), account, amount + 1, proof)


def test_the_root_does_not_depend_on_input_order_or_address_case():
    rows = [(ALICE, 1), (BOB, 2), (CAROL, 3)]
    roots = {
        MerkleTree(rows).root(),
        MerkleTree(reversed(rows)).root(),
        MerkleTree((to_checksum_address(a), v) for a, v in rows).root(),
        MerkleTree((a.upper().replace("0X", "0x"), v) for a, v in rows).root(),
    }
    assert len(roots) == 1


def test_it_rejects_a_duplicate_address_even_in_another_case():
    checksummed = "0x" + "ab" * 20
    with pytest.raises(ValueError, match="duplicate"):
        MerkleTree([(ALICE, 1), (ALICE, 2)])
    with pytest.raises(ValueError, match="duplicate"):
        MerkleTree([(checksummed, 1), (to_checksum_address(checksummed), 1)])


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([(ALICE, -1)], "negative"),
        ([(ALICE, 2**256)], "uint256"),
        ([], "at least one leaf"),
        ([("0x" + "00" * 20, 1)], "zero address"),
        ([("0x1234", 1)], "address"),
        ([("11" * 20, 1)], "address"),
        ([("0x" + "zz" * 20, 1)], "hex"),
        ([("0x" + "aB" * 20, 1)], "checksum"),
        ([(b"\x01" * 19, 1)], "20 bytes"),
    ],
)
def test_it_rejects_bad_rows(rows, message):
    with pytest.raises(ValueError, match=message):
        MerkleTree(rows)


def test_it_rejects_non_integer_amounts():
    for amount in (1.0, "1", True, None):
        with pytest.raises(TypeError):
            MerkleTree([(ALICE, amount)])


def test_it_has_no_proof_for_an_unknown_account():
    tree = MerkleTree([(ALICE, 1), (BOB, 2)])
    assert ALICE in tree and CAROL not in tree and "nonsense" not in tree
    with pytest.raises(KeyError):
        tree.proof(CAROL)
    with pytest.raises(KeyError):
        tree.amount(CAROL)


def test_verify_rejects_malformed_roots_and_proofs():
    tree = MerkleTree([(ALICE, 1), (BOB, 2)])
    with pytest.raises(ValueError):
        verify(tree.root()[:-2], ALICE, 1, tree.proof(ALICE))
    with pytest.raises(ValueError):
        verify(tree.root(), ALICE, 1, ["0x1234"])
    raw_root, raw_proof = bytes.fromhex(tree.root()[2:]), bytes.fromhex(tree.proof(ALICE)[0][2:])
    assert verify(raw_root, ALICE, 1, [raw_proof])


def test_a_dump_round_trips_through_json_and_rejects_tampering():
    tree = MerkleTree([(ALICE, 10**30), (BOB, 2), (CAROL, 3)])
    dump = json.loads(json.dumps(tree.dump()))
    assert dump["format"] == "standard-v1"
    assert dump["leafEncoding"] == ["address", "uint256"]
    assert dump["tree"][0] == tree.root()
    assert [v["value"] for v in dump["values"]] == [[a, str(v)] for a, v in tree.leaves()]
    assert MerkleTree.load(dump).root() == tree.root()

    forged = json.loads(json.dumps(dump))
    forged["values"][0]["value"][1] = str(10**30 + 1)
    with pytest.raises(ValueError, match="does not match"):
        MerkleTree.load(forged)

    moved = json.loads(json.dumps(dump))
    moved["values"][0]["treeIndex"], moved["values"][1]["treeIndex"] = (
        moved["values"][1]["treeIndex"],
        moved["values"][0]["treeIndex"],
    )
    with pytest.raises(ValueError, match="treeIndex"):
        MerkleTree.load(moved)


def test_it_builds_100k_leaves_with_balanced_proofs(capsys):
    """The time is printed, not asserted (a loaded CI runner is no stopwatch):
    bench/payout.py holds the speed figures."""
    rng = random.Random(100_000)
    rows = [("0x" + rng.randbytes(20).hex(), rng.randrange(10**24)) for _ in range(100_000)]
    started = time.perf_counter()
    tree = MerkleTree(rows)
    built = time.perf_counter() - started
    proofs = [tree.proof(account) for account, _ in rows[:1_000]]
    proved = time.perf_counter() - started - built
    with capsys.disabled():
        print(f"\n[merkle] 100,000 leaves: build {built:.2f}s, 1,000 proofs {proved:.3f}s")
    # The heap layout is nearly balanced: floor or ceil of log2(100_000).
    assert {len(p) for p in proofs} <= {16, 17}
    assert all(verify(tree.root(), a, v, p) for (a, v), p in zip(rows, proofs, strict=False))


addresses = st.binary(min_size=20, max_size=20).filter(lambda b: b != bytes(20))
amounts = st.integers(min_value=0, max_value=2**256 - 1)
payouts = st.dictionaries(addresses, amounts, min_size=1, max_size=40)


@settings(max_examples=150, deadline=None)
@given(payouts=payouts, data=st.data())
def test_every_proof_verifies_and_a_tampered_amount_does_not(payouts, data):
    tree = MerkleTree(payouts.items())
    root = tree.root()
    for account, amount in payouts.items():
        proof = tree.proof(account)
        assert verify(root, account, amount, proof)
        other = data.draw(amounts.filter(lambda x, amount=amount: x != amount), label="tampered")
        assert not verify(root, account, other, proof)
    if len(payouts) > 1:
        (first, amount_first), (second, _) = list(payouts.items())[:2]
        assert not verify(root, second, amount_first, tree.proof(first))


def test_a_hash_tree_over_the_same_leaves_is_the_payout_tree():
    from rewards.merkle import HashTree, verify_leaf

    rows = [(f"0x{k:040x}", 10**18 * k) for k in range(1, 12)]
    payout = MerkleTree(rows)
    leaves = [leaf_hash(account, amount) for account, amount in rows]
    tree = HashTree(reversed(leaves))
    assert tree.root() == payout.root()
    for (account, _amount), leaf in zip(rows, leaves, strict=True):
        assert tree.proof(leaf) == payout.proof(account)
        assert verify_leaf(tree.root(), leaf, tree.proof(leaf))
    with pytest.raises(ValueError, match="duplicate leaf"):
        HashTree([leaves[0], leaves[0]])
    with pytest.raises(KeyError):
        tree.proof(b"\x01" * 32)
