"""Deploy the reward contracts from rewards/artifacts and decode their reverts, with plain web3.

No Django: usable from pure tests and, later, from the chain adapter's tests.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_abi import decode
from eth_utils import function_signature_to_4byte_selector
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError

try:  # The in-process EVM raises its own exception type on a revert.
    from eth_tester.exceptions import TransactionFailed
except ImportError:  # pragma: no cover - eth-tester is part of web3[tester]
    TransactionFailed = ContractLogicError  # type: ignore[misc,assignment]

ARTIFACTS = Path(__file__).resolve().parents[2] / "rewards" / "artifacts"

REVERT_ERRORS = (ContractLogicError, TransactionFailed)


def load_artifact(name: str) -> dict[str, Any]:
    return json.loads((ARTIFACTS / f"{name}.json").read_text())


def deploy(w3: Web3, name: str, *args: Any, sender: str) -> tuple[Contract, Any]:
    """Deploy artifact ``name``; return the contract and the deployment receipt."""
    artifact = load_artifact(name)
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    receipt = w3.eth.wait_for_transaction_receipt(
        factory.constructor(*args).transact({"from": sender})
    )
    assert receipt.status == 1, f"deploying {name} failed"
    return w3.eth.contract(address=receipt.contractAddress, abi=artifact["abi"]), receipt


@dataclass(frozen=True)
class Rewards:
    token: Contract
    distributor: Contract
    admin: str
    publisher: str


def deploy_rewards(w3: Web3, *, admin: str, publisher: str) -> Rewards:
    """RewardToken + MerkleDistributor, with the distributor allowed to mint."""
    token, _ = deploy(w3, "RewardToken", admin, sender=admin)
    distributor, _ = deploy(w3, "MerkleDistributor", token.address, admin, publisher, sender=admin)
    minter = token.functions.MINTER_ROLE().call()
    transact(w3, token.functions.grantRole(minter, distributor.address), sender=admin)
    return Rewards(token=token, distributor=distributor, admin=admin, publisher=publisher)


def transact(w3: Web3, call: Any, *, sender: str) -> Any:
    """Send a contract call as ``sender`` and return its receipt (raises on a revert)."""
    receipt = w3.eth.wait_for_transaction_receipt(call.transact({"from": sender}))
    assert receipt.status == 1
    return receipt


def _revert_data(exc: BaseException) -> bytes:
    """The raw revert data of ``exc``, however the backend chose to carry it.

    A JSON-RPC node (anvil, geth) gives web3 a ContractCustomError whose ``data`` is
    the hex of selector + arguments; eth-tester raises TransactionFailed whose
    message is ``execution reverted: b'...'`` (the repr of the raw bytes).
    """
    candidates: list[Any] = [getattr(exc, "data", None), *exc.args]
    for item in candidates:
        if isinstance(item, dict):
            item = item.get("data")
        if isinstance(item, bytes | bytearray):
            return bytes(item)
        if not isinstance(item, str):
            continue
        match = re.search(r"""(b'(?:[^'\\]|\\.)*'|b"(?:[^"\\]|\\.)*")""", item)
        if match:
            return ast.literal_eval(match.group(1))
        match = re.search(r"0x[0-9a-fA-F]{8,}", item)
        if match and len(match.group(0)) % 2 == 0:
            return bytes.fromhex(match.group(0)[2:])
    raise AssertionError(f"no revert data in {exc!r}")


def revert_error(contract: Contract, exc: BaseException) -> tuple[str, tuple[Any, ...]]:
    """(name, arguments) of the custom error in ``contract``'s ABI that ``exc`` carries."""
    data = _revert_data(exc)
    for item in contract.abi:
        if item["type"] != "error":
            continue
        types = [i["type"] for i in item["inputs"]]
        selector = function_signature_to_4byte_selector(f"{item['name']}({','.join(types)})")
        if data[:4] == selector:
            return item["name"], tuple(decode(types, data[4:]))
    raise AssertionError(f"revert data 0x{data.hex()} is no custom error of this contract")


def expect_revert(contract: Contract, call: Any, *, sender: str) -> tuple[str, tuple[Any, ...]]:
    """Send ``call`` expecting a revert; return the decoded custom error."""
    try:
        call.transact({"from": sender})
    except REVERT_ERRORS as exc:
        return revert_error(contract, exc)
    raise AssertionError("the transaction did not revert")
