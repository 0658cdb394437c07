"""RewardToken and MerkleDistributor on the in-process EVM, with proofs from rewards.merkle."""

import statistics

import pytest
from eth_utils import keccak, to_checksum_address
from web3 import EthereumTesterProvider, Web3
from web3.exceptions import ContractCustomError
from web3.logs import DISCARD

from rewards.merkle import UNITS_PER_POINT, MerkleTree
from tests.rewards.contracts_fixtures import (
    deploy_rewards,
    expect_revert,
    load_artifact,
    revert_error,
    transact,
)

POINT = UNITS_PER_POINT


@pytest.fixture
def w3():
    return Web3(EthereumTesterProvider())


@pytest.fixture
def cast(w3):
    """Named accounts: the deployer/admin, the epoch publisher, the gasless relayer, mallory."""
    admin, publisher, relayer, mallory = w3.eth.accounts[:4]
    return {"admin": admin, "publisher": publisher, "relayer": relayer, "mallory": mallory}


@pytest.fixture
def rewards(w3, cast):
    return deploy_rewards(w3, admin=cast["admin"], publisher=cast["publisher"])


def wallets(n, seed=0):
    """Fresh wallets that own no ether: every claim below is paid for by the relayer."""
    return [to_checksum_address(keccak(text=f"wallet {seed} {i}")[12:]) for i in range(n)]


def publish(w3, rewards, tree, epoch):
    call = rewards.distributor.functions.publishRoot(tree.root(), epoch)
    return transact(w3, call, sender=rewards.publisher)


def claim(w3, rewards, tree, account, *, sender):
    call = rewards.distributor.functions.claim(account, tree.amount(account), tree.proof(account))
    return transact(w3, call, sender=sender)


def balance(rewards, account):
    return rewards.token.functions.balanceOf(account).call()


def test_the_artifacts_were_built_with_the_pinned_settings():
    for name in ("RewardToken", "MerkleDistributor"):
        compiler = load_artifact(name)["compiler"]
        assert compiler["version"].startswith("0.8.37+")
        assert compiler["settings"]["evmVersion"] == "cancun"
        assert compiler["settings"]["optimizer"]["enabled"] is True


def test_the_token_has_18_decimals_and_only_minters_mint(w3, cast, rewards):
    token = rewards.token
    assert token.functions.decimals().call() == 18
    assert token.functions.symbol().call() == "DATAFI"
    assert token.functions.totalSupply().call() == 0
    minter = token.functions.MINTER_ROLE().call()
    assert token.functions.hasRole(minter, rewards.distributor.address).call()

    error = expect_revert(
        token, token.functions.mint(cast["mallory"], POINT), sender=cast["mallory"]
    )
    assert error == ("AccessControlUnauthorizedAccount", (cast["mallory"].lower(), minter))
    assert token.functions.totalSupply().call() == 0


def test_a_relayer_claims_for_several_wallets_and_they_are_paid(w3, cast, rewards):
    alice, bob, carol = wallets(3)
    tree = MerkleTree([(alice, 10 * POINT), (bob, 25 * POINT), (carol, 1)])
    receipt = publish(w3, rewards, tree, 1)
    (event,) = rewards.distributor.events.RootPublished().process_receipt(receipt)
    assert event.args.epoch == 1 and "0x" + event.args.root.hex() == tree.root()
    assert rewards.distributor.functions.epoch().call() == 1

    relayer_balance = w3.eth.get_balance(cast["relayer"])
    for account in (alice, bob, carol):
        receipt = claim(w3, rewards, tree, account, sender=cast["relayer"])
        (event,) = rewards.distributor.events.Claimed().process_receipt(receipt, errors=DISCARD)
        assert dict(event.args) == {
            "account": account,
            "amount": tree.amount(account),
            "cumulativeAmount": tree.amount(account),
            "epoch": 1,
        }
        assert balance(rewards, account) == tree.amount(account)
        assert rewards.distributor.functions.claimed(account).call() == tree.amount(account)
        # The wallet never held ether: the relayer paid the gas.
        assert w3.eth.get_balance(account) == 0

    assert w3.eth.get_balance(cast["relayer"]) < relayer_balance
    assert balance(rewards, cast["relayer"]) == 0
    assert rewards.token.functions.totalSupply().call() == 35 * POINT + 1


def test_it_rejects_a_second_claim_of_the_same_cumulative_amount(w3, cast, rewards):
    alice, bob = wallets(2)
    tree = MerkleTree([(alice, 7 * POINT), (bob, 3 * POINT)])
    publish(w3, rewards, tree, 1)
    claim(w3, rewards, tree, alice, sender=cast["relayer"])

    call = rewards.distributor.functions.claim(alice, 7 * POINT, tree.proof(alice))
    for sender in (cast["relayer"], cast["mallory"]):
        assert expect_revert(rewards.distributor, call, sender=sender) == ("NothingToClaim", ())
    assert balance(rewards, alice) == 7 * POINT


@pytest.mark.parametrize("tamper", ["amount", "account", "proof", "other_proof", "no_proof"])
def test_it_rejects_a_forged_claim(w3, cast, rewards, tamper):
    alice, bob, carol = wallets(3)
    tree = MerkleTree([(alice, 7 * POINT), (bob, 3 * POINT), (carol, 5 * POINT)])
    publish(w3, rewards, tree, 1)
    account, amount, proof = alice, 7 * POINT, tree.proof(alice)
    if tamper == "amount":
        amount += 1
    elif tamper == "account":
        account = cast["mallory"]
    elif tamper == "proof":
        proof[0] = "0x" + "00" * 31 + "01"
    elif tamper == "other_proof":
        proof = tree.proof(bob)
    else:
        proof = []

    call = rewards.distributor.functions.claim(account, amount, proof)
    assert expect_revert(rewards.distributor, call, sender=cast["mallory"]) == ("InvalidProof", ())
    assert rewards.token.functions.totalSupply().call() == 0


def test_reverts_decode_the_same_from_a_json_rpc_node(rewards):
    # anvil/geth hand web3 the revert as hex in ContractCustomError.data, not as the
    # bytes repr eth-tester puts in its message; both must name the same error.
    data = "0x" + keccak(text="EpochNotIncreasing(uint256,uint256)")[:4].hex() + f"{5:064x}{3:064x}"
    node_error = ContractCustomError(data, data=data)
    assert revert_error(rewards.distributor, node_error) == ("EpochNotIncreasing", (5, 3))
    nothing = "0x" + keccak(text="NothingToClaim()")[:4].hex()
    assert revert_error(rewards.distributor, ContractCustomError(nothing, data=nothing)) == (
        "NothingToClaim",
        (),
    )


def test_nothing_can_be_claimed_before_the_first_root(w3, cast, rewards):
    (alice,) = wallets(1)
    tree = MerkleTree([(alice, POINT)])
    call = rewards.distributor.functions.claim(alice, POINT, tree.proof(alice))
    assert expect_revert(rewards.distributor, call, sender=cast["relayer"]) == ("InvalidProof", ())


def test_a_later_epoch_pays_only_the_difference(w3, cast, rewards):
    alice, bob, dave = wallets(3)
    first = MerkleTree([(alice, 10 * POINT), (bob, 4 * POINT)])
    publish(w3, rewards, first, 1)
    claim(w3, rewards, first, alice, sender=cast["relayer"])

    # bob skipped epoch 1 and dave is new: both claim everything from the latest root.
    second = MerkleTree([(alice, 25 * POINT), (bob, 6 * POINT), (dave, 2 * POINT)])
    publish(w3, rewards, second, 2)

    # The epoch-1 proofs are dead: only the latest root is accepted.
    stale = rewards.distributor.functions.claim(bob, 4 * POINT, first.proof(bob))
    assert expect_revert(rewards.distributor, stale, sender=cast["relayer"]) == (
        "InvalidProof",
        (),
    )

    receipt = claim(w3, rewards, second, alice, sender=cast["relayer"])
    (event,) = rewards.distributor.events.Claimed().process_receipt(receipt, errors=DISCARD)
    assert (event.args.amount, event.args.cumulativeAmount, event.args.epoch) == (
        15 * POINT,
        25 * POINT,
        2,
    )
    claim(w3, rewards, second, bob, sender=cast["relayer"])
    claim(w3, rewards, second, dave, sender=cast["mallory"])

    assert balance(rewards, alice) == 25 * POINT
    assert balance(rewards, bob) == 6 * POINT
    assert balance(rewards, dave) == 2 * POINT
    assert rewards.token.functions.totalSupply().call() == 33 * POINT


def test_a_single_leaf_tree_claims_with_an_empty_proof(w3, cast, rewards):
    (alice,) = wallets(1)
    tree = MerkleTree([(alice, 3 * POINT)])
    assert tree.proof(alice) == []
    publish(w3, rewards, tree, 1)
    claim(w3, rewards, tree, alice, sender=cast["relayer"])
    assert balance(rewards, alice) == 3 * POINT


def test_only_the_publisher_publishes(w3, cast, rewards):
    tree = MerkleTree([(wallets(1)[0], POINT)])
    role = rewards.distributor.functions.PUBLISHER_ROLE().call()
    for sender in (cast["mallory"], cast["relayer"], cast["admin"]):
        call = rewards.distributor.functions.publishRoot(tree.root(), 1)
        assert expect_revert(rewards.distributor, call, sender=sender) == (
            "AccessControlUnauthorizedAccount",
            (sender.lower(), role),
        )
    assert rewards.distributor.functions.epoch().call() == 0
    assert rewards.distributor.functions.merkleRoot().call() == bytes(32)


def test_the_epoch_must_increase(w3, cast, rewards):
    tree = MerkleTree([(wallets(1)[0], POINT)])
    publish(w3, rewards, tree, 5)
    for epoch in (5, 4, 0):
        call = rewards.distributor.functions.publishRoot(tree.root(), epoch)
        assert expect_revert(rewards.distributor, call, sender=cast["publisher"]) == (
            "EpochNotIncreasing",
            (5, epoch),
        )
    publish(w3, rewards, tree, 6)
    assert rewards.distributor.functions.epoch().call() == 6


def test_it_rejects_a_zero_root(w3, cast, rewards):
    call = rewards.distributor.functions.publishRoot(bytes(32), 1)
    assert expect_revert(rewards.distributor, call, sender=cast["publisher"]) == ("ZeroRoot", ())


def test_the_admin_can_hand_the_publisher_role_to_another_key(w3, cast, rewards):
    distributor = rewards.distributor
    role = distributor.functions.PUBLISHER_ROLE().call()
    transact(w3, distributor.functions.grantRole(role, cast["relayer"]), sender=cast["admin"])
    transact(w3, distributor.functions.revokeRole(role, cast["publisher"]), sender=cast["admin"])
    tree = MerkleTree([(wallets(1)[0], POINT)])
    transact(w3, distributor.functions.publishRoot(tree.root(), 1), sender=cast["relayer"])
    call = distributor.functions.publishRoot(tree.root(), 2)
    assert expect_revert(distributor, call, sender=cast["publisher"])[0] == (
        "AccessControlUnauthorizedAccount"
    )


@pytest.mark.parametrize("n_leaves", [10, 1_000])
def test_gas_per_claim_and_per_publish(w3, cast, rewards, capsys, n_leaves):
    accounts = wallets(n_leaves, seed=n_leaves)
    first = MerkleTree((a, (i + 1) * POINT) for i, a in enumerate(accounts))
    publish_first = publish(w3, rewards, first, 1).gasUsed
    sample = accounts[:: max(1, n_leaves // 10)][:10]
    first_claims = [claim(w3, rewards, first, a, sender=cast["relayer"]).gasUsed for a in sample]

    second = MerkleTree((a, (i + 2) * POINT) for i, a in enumerate(accounts))
    publish_later = publish(w3, rewards, second, 2).gasUsed
    later_claims = [claim(w3, rewards, second, a, sender=cast["relayer"]).gasUsed for a in sample]

    depth = len(first.proof(sample[0]))
    with capsys.disabled():
        print(
            f"\n[gas] {n_leaves} leaves (proof length {depth}): "
            f"publishRoot first={publish_first} later={publish_later}; "
            f"claim new wallet mean={statistics.mean(first_claims):.0f} "
            f"(min {min(first_claims)}, max {max(first_claims)}); "
            f"claim top-up mean={statistics.mean(later_claims):.0f} "
            f"(min {min(later_claims)}, max {max(later_claims)})"
        )
    # Loose ceilings that catch a regression (an unbounded loop, an extra cold write). The
    # first publish and the first claim pay for zero-to-nonzero storage writes (root and
    # epoch; total supply, balance and claimed), later ones only for updates.
    assert publish_first < 80_000 and publish_later < 45_000
    assert max(first_claims) < 120_000 + 1_000 * depth
    assert max(later_claims) < 60_000 + 1_000 * depth
