"""Helpers for the buying tests: a buyer wallet that signs and sends the calls the API
gives, on whichever chain this process reads (the in-process EVM or anvil)."""

from eth_account import Account as EthAccount
from eth_utils import keccak

BUYER_KEY = keccak(text="datafi market test buyer")
BUYER = EthAccount.from_key(BUYER_KEY)


def fund_gas(address: str = BUYER.address) -> None:
    """Give the buyer ether for gas from the platform signer."""
    from rewards import chain

    c = chain.get()
    tx = {
        "to": address,
        "value": 10**18,
        "gas": 21_000,
        "gasPrice": max(int(c.w3.eth.gas_price), 1) * 2,
        "nonce": c.w3.eth.get_transaction_count(c.address, "pending"),
        "chainId": c.chain_id,
    }
    signed = c.account.sign_transaction(tx)
    c.w3.eth.wait_for_transaction_receipt(c.w3.eth.send_raw_transaction(signed.raw_transaction))


def send(call: dict, *, key=BUYER_KEY, wait: bool = True):
    """Sign ``call`` ({to, data}) with the buyer's key and send it; the receipt (or hash)."""
    from rewards import chain

    w3 = chain.get().w3
    account = EthAccount.from_key(key)
    fields = {"from": account.address, "to": call["to"], "data": call["data"], "value": 0}
    tx = {
        **fields,
        "gas": int(w3.eth.estimate_gas(fields) * 1.3) + 10_000,
        "gasPrice": max(int(w3.eth.gas_price), 1) * 2,
        "nonce": w3.eth.get_transaction_count(account.address, "pending"),
        "chainId": w3.eth.chain_id,
    }
    tx.pop("from")
    tx_hash = w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
    return w3.eth.wait_for_transaction_receipt(tx_hash) if wait else tx_hash
