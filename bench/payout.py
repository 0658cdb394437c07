"""Gas per epoch publication and per claim, for 10, 1,000 and 100,000 wallets.

Runs on the in-process EVM (eth-tester + py-evm) with the committed artifacts:
deploys RewardToken + MerkleDistributor, publishes one root over N wallets'
cumulative amounts (rewards.merkle, the tree the service publishes), then
claims through a relayer account (the gasless path: the wallets own no ether).

    .venv/bin/python bench/payout.py [--sample 200]
    .venv/bin/python bench/payout.py --tiny   # seconds: CI's check that it still runs

For 1,000 and 100,000 wallets it claims a random sample of wallets (``--sample``,
default 200) rather than every one: a claim's gas depends only on the proof
length (ceil(log2 N) siblings) and on whether the wallet claimed before, so a
sample gives the distribution. The output says how many claims were measured.
Benchmarks are not application code: this talks to the EVM with plain web3.
"""

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

from eth_utils import keccak, to_checksum_address
from web3 import EthereumTesterProvider, Web3

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rewards.merkle import UNITS_PER_POINT, MerkleTree  # noqa: E402

ARTIFACTS = ROOT / "rewards" / "artifacts"


def deploy(w3, name, *args, sender):
    art = json.loads((ARTIFACTS / f"{name}.json").read_text())
    factory = w3.eth.contract(abi=art["abi"], bytecode=art["bytecode"])
    receipt = w3.eth.wait_for_transaction_receipt(
        factory.constructor(*args).transact({"from": sender})
    )
    return w3.eth.contract(address=receipt.contractAddress, abi=art["abi"])


def send(w3, call, sender):
    receipt = w3.eth.wait_for_transaction_receipt(call.transact({"from": sender}))
    assert receipt.status == 1
    return receipt.gasUsed


def run(n: int, sample: int, rng: random.Random) -> dict:
    w3 = Web3(EthereumTesterProvider())
    admin, relayer = w3.eth.accounts[:2]
    token = deploy(w3, "RewardToken", admin, sender=admin)
    dist = deploy(w3, "MerkleDistributor", token.address, admin, admin, sender=admin)
    send(w3, token.functions.grantRole(token.functions.MINTER_ROLE().call(), dist.address), admin)

    wallets = [to_checksum_address(keccak(text=f"bench wallet {i}")[12:]) for i in range(n)]
    amounts = {w: rng.randint(10, 5000) * UNITS_PER_POINT for w in wallets}
    t0 = time.perf_counter()
    tree = MerkleTree(amounts.items())
    build_s = time.perf_counter() - t0
    publish_first = send(w3, dist.functions.publishRoot(tree.root(), 1), admin)

    chosen = wallets if n <= sample else rng.sample(wallets, sample)
    first = [send(w3, dist.functions.claim(w, amounts[w], tree.proof(w)), relayer) for w in chosen]
    # Epoch 2: the same wallets are owed more; a top-up claim (storage slot already set).
    topped = {w: a + 7 * UNITS_PER_POINT for w, a in amounts.items()}
    tree2 = MerkleTree(topped.items())
    publish_next = send(w3, dist.functions.publishRoot(tree2.root(), 2), admin)
    again = [
        send(w3, dist.functions.claim(w, topped[w], tree2.proof(w)), relayer)
        for w in chosen[: min(len(chosen), 50)]
    ]
    return {
        "n": n,
        "proof_len": len(tree.proof(wallets[0])),
        "build_s": build_s,
        "publish_first": publish_first,
        "publish_next": publish_next,
        "claims": len(first),
        "claim_mean": statistics.mean(first),
        "claim_max": max(first),
        "topups": len(again),
        "topup_mean": statistics.mean(again),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=200, help="claims measured per size")
    parser.add_argument("--sizes", default="10,1000,100000")
    parser.add_argument("--tiny", action="store_true", help="10 and 100 wallets, 5 claims: CI")
    args = parser.parse_args()
    if args.tiny:
        args.sizes, args.sample = "10,100", 5
    rng = random.Random(42)
    print("in-process EVM (eth-tester/py-evm), MerkleDistributor + RewardToken (solc 0.8.37)")
    print(
        f"{'wallets':>8} {'proof':>5} {'tree build':>10} {'publish 1st':>11} "
        f"{'publish nth':>11} {'claims measured':>16} {'gas/claim (first, mean)':>23} "
        f"{'max':>7} {'gas/claim (top-up)':>18}"
    )
    for n in (int(x) for x in args.sizes.split(",")):
        r = run(n, args.sample, rng)
        measured = f"{r['claims']}" + ("" if r["claims"] == n else f" of {n:,}")
        print(
            f"{n:>8,} {r['proof_len']:>5} {r['build_s']:>9.2f}s {r['publish_first']:>11,} "
            f"{r['publish_next']:>11,} {measured:>16} {r['claim_mean']:>23,.0f} "
            f"{r['claim_max']:>7,} {r['topup_mean']:>18,.0f}"
        )
    print(
        "publish: one transaction per epoch, independent of the number of wallets "
        "(1st = first write of the root/epoch slots). claims: paid by the relayer; "
        "sampled sizes measured a random sample of wallets, as stated."
    )


if __name__ == "__main__":
    main()
