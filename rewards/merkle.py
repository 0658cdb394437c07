"""Merkle trees of cumulative payouts, laid out exactly as the distributor verifies them.

The layout is OpenZeppelin's ``StandardMerkleTree`` (dump format ``standard-v1``)
with leaf encoding ``["address", "uint256"]`` and sorted leaves, so anyone can
recompute a published root from its leaves with ``@openzeppelin/merkle-tree``
(``StandardMerkleTree.load(dump).root``) or with this module:

1. Each leaf is ``keccak256(keccak256(abi.encode(account, cumulative_amount)))``;
   the double hash keeps a 64-byte leaf preimage from ever equalling an inner node.
2. Leaf hashes are sorted ascending (as unsigned 256-bit numbers, i.e. as bytes),
   so the root does not depend on the order rows were read from the database.
3. The n sorted leaves fill the tail of an array of ``2n - 1`` nodes in reverse
   (``tree[2n - 2 - i] = leaf[i]``); every other node ``i``, from the last down to
   0, is ``hash_pair(tree[2i + 1], tree[2i + 2])``. ``tree[0]`` is the root.
4. ``hash_pair(a, b) = keccak256(min(a, b) || max(a, b))``: the commutative hash of
   OpenZeppelin ``MerkleProof``, which is why a proof is just the list of siblings.

Amounts are token base units (``RewardToken`` has 18 decimals: one point is
``UNITS_PER_POINT`` units), cumulative since the first epoch.

No Django and no web3 here: only eth-hash and eth-utils, which web3 brings along.
Our own tree because the root must match OpenZeppelin ``MerkleProof`` bit for bit
(sorted leaves, commutative pair hash), which the PyPI Merkle libraries do not.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from eth_hash.auto import keccak
from eth_utils import is_checksum_address, to_checksum_address

__all__ = [
    "LEAF_ENCODING",
    "UNITS_PER_POINT",
    "HashTree",
    "MerkleTree",
    "hash_pair",
    "leaf_hash",
    "verify",
    "verify_leaf",
]

LEAF_ENCODING = ("address", "uint256")
UNITS_PER_POINT = 10**18
_UINT256_LIMIT = 2**256
_ZERO_PAD = bytes(12)

Address = str | bytes


def _address_bytes(account: Address) -> bytes:
    """The 20 bytes of an address: 0x-hex (EIP-55 checked when mixed case) or raw bytes."""
    if isinstance(account, bytes | bytearray):
        if len(account) != 20:
            raise ValueError(f"an address is 20 bytes, got {len(account)}")
        raw = bytes(account)
    elif isinstance(account, str):
        text = account[2:] if account[:2] in ("0x", "0X") else None
        if text is None or len(text) != 40:
            raise ValueError(f"not a 0x-prefixed 20-byte hex address: {account!r}")
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            raise ValueError(f"not a hex address: {account!r}") from None
        # Mixed case claims to be an EIP-55 checksum; a wrong one is a typo we must not pay.
        if text != text.lower() and text != text.upper() and not is_checksum_address(account):
            raise ValueError(f"bad EIP-55 checksum: {account!r}")
    else:
        raise TypeError(f"an address is str or bytes, not {type(account).__name__}")
    if raw == bytes(20):
        # The token refuses to mint to the zero address, so such a leaf could never be claimed.
        raise ValueError("the zero address cannot receive a payout")
    return raw


def _amount(amount: Any) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"an amount is an int (token base units), not {type(amount).__name__}")
    if amount < 0:
        raise ValueError(f"amount must not be negative: {amount}")
    if amount >= _UINT256_LIMIT:
        raise ValueError(f"amount does not fit in uint256: {amount}")
    return amount


def _bytes32(value: str | bytes, what: str) -> bytes:
    if isinstance(value, bytes | bytearray):
        raw = bytes(value)
    elif isinstance(value, str) and value[:2] in ("0x", "0X"):
        try:
            raw = bytes.fromhex(value[2:])
        except ValueError:
            raise ValueError(f"{what} is not hex: {value!r}") from None
    else:
        raise ValueError(f"{what} must be bytes or 0x-prefixed hex: {value!r}")
    if len(raw) != 32:
        raise ValueError(f"{what} must be 32 bytes, got {len(raw)}")
    return raw


def _leaf(raw_address: bytes, amount: int) -> bytes:
    # abi.encode(address, uint256): two 32-byte words, the address left-padded.
    return keccak(keccak(_ZERO_PAD + raw_address + amount.to_bytes(32, "big")))


def leaf_hash(account: Address, cumulative_amount: int) -> bytes:
    """The leaf the distributor computes for ``claim(account, cumulative_amount, ...)``."""
    return _leaf(_address_bytes(account), _amount(cumulative_amount))


def hash_pair(a: bytes, b: bytes) -> bytes:
    """OpenZeppelin's commutative keccak: the smaller hash goes first."""
    return keccak(a + b) if a <= b else keccak(b + a)


def verify(
    root: str | bytes, account: Address, cumulative_amount: int, proof: Sequence[str | bytes]
) -> bool:
    """True when ``proof`` puts (account, cumulative_amount) under ``root`` (MerkleProof.verify)."""
    node = leaf_hash(account, cumulative_amount)
    for sibling in proof:
        node = hash_pair(node, _bytes32(sibling, "proof element"))
    return node == _bytes32(root, "root")


def _hex(raw: bytes) -> str:
    return "0x" + raw.hex()


def _tree_of_sorted(leaves: Sequence[bytes]) -> list[bytes]:
    """The node array of steps 3-4 above over ``leaves``, already sorted ascending."""
    n = len(leaves)
    size = 2 * n - 1
    tree: list[bytes] = [b""] * size
    for i, leaf in enumerate(leaves):
        tree[size - 1 - i] = leaf
    for i in range(size - 1 - n, -1, -1):
        left, right = tree[2 * i + 1], tree[2 * i + 2]
        tree[i] = keccak(left + right) if left <= right else keccak(right + left)
    return tree


def _proof_at(tree: Sequence[bytes], i: int) -> list[str]:
    proof = []
    while i > 0:
        proof.append(_hex(tree[i + 1 if i % 2 else i - 1]))
        i = (i - 1) // 2
    return proof


def verify_leaf(root: str | bytes, leaf: str | bytes, proof: Sequence[str | bytes]) -> bool:
    """True when ``proof`` puts the 32-byte ``leaf`` hash under ``root`` (MerkleProof.verify)."""
    node = _bytes32(leaf, "leaf")
    for sibling in proof:
        node = hash_pair(node, _bytes32(sibling, "proof element"))
    return node == _bytes32(root, "root")


class HashTree:
    """A tree over leaf hashes the caller computed, laid out exactly as ``MerkleTree``.

    For leaves that are not payouts (the rows of a dataset version: see
    ``datafi.market.canonical``): same sorted leaves, same node array, same
    commutative pair hash, so OpenZeppelin ``MerkleProof`` verifies its proofs.
    Raises ``ValueError`` on no leaves, a repeated leaf or one that is not 32 bytes.
    """

    __slots__ = ("_leaves", "_tree")

    def __init__(self, leaves: Iterable[str | bytes]) -> None:
        ordered = sorted(_bytes32(leaf, "leaf") for leaf in leaves)
        if not ordered:
            raise ValueError("a Merkle tree needs at least one leaf")
        for previous, leaf in zip(ordered, ordered[1:], strict=False):
            if previous == leaf:
                raise ValueError(f"duplicate leaf: {_hex(leaf)}")
        self._leaves = ordered
        self._tree = _tree_of_sorted(ordered)

    def __len__(self) -> int:
        return len(self._leaves)

    def __contains__(self, leaf: object) -> bool:
        try:
            raw = _bytes32(leaf, "leaf")  # type: ignore[arg-type]
        except ValueError:
            return False
        k = bisect_left(self._leaves, raw)
        return k < len(self._leaves) and self._leaves[k] == raw

    def root(self) -> str:
        """The root, as 0x-prefixed hex."""
        return _hex(self._tree[0])

    def proof(self, leaf: str | bytes) -> list[str]:
        """Sibling hashes from ``leaf`` up to the root; KeyError if it is not a leaf."""
        raw = _bytes32(leaf, "leaf")
        k = bisect_left(self._leaves, raw)
        if k == len(self._leaves) or self._leaves[k] != raw:
            raise KeyError(f"no such leaf: {_hex(raw)}")
        return _proof_at(self._tree, len(self._tree) - 1 - k)


class MerkleTree:
    """A payout tree over (account, cumulative_amount) rows.

    Raises ``ValueError`` on no rows, a repeated address (in any letter case), a
    negative or oversized amount, a malformed or zero address. The tree is the same
    whatever order the rows come in.
    """

    __slots__ = ("_amounts", "_index", "_tree")

    def __init__(self, leaves: Iterable[tuple[Address, int]]) -> None:
        amounts: dict[bytes, int] = {}
        for account, amount in leaves:
            raw = _address_bytes(account)
            if raw in amounts:
                raise ValueError(f"duplicate address: {to_checksum_address(raw)}")
            amounts[raw] = _amount(amount)
        if not amounts:
            raise ValueError("a Merkle tree needs at least one leaf")

        hashed = sorted((_leaf(raw, amount), raw) for raw, amount in amounts.items())
        tree = _tree_of_sorted([leaf for leaf, _ in hashed])
        size = len(tree)
        index = {raw: size - 1 - i for i, (_, raw) in enumerate(hashed)}

        self._amounts = amounts
        self._index = index
        self._tree = tree

    def __len__(self) -> int:
        return len(self._amounts)

    def __contains__(self, account: object) -> bool:
        try:
            return _address_bytes(account) in self._amounts  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return False

    def root(self) -> str:
        """The root to publish, as 0x-prefixed hex."""
        return _hex(self._tree[0])

    def amount(self, account: Address) -> int:
        """The cumulative amount in the leaf of ``account``; KeyError if it has none."""
        raw = _address_bytes(account)
        try:
            return self._amounts[raw]
        except KeyError:
            raise KeyError(f"no leaf for {to_checksum_address(raw)}") from None

    def proof(self, account: Address) -> list[str]:
        """Sibling hashes from the leaf of ``account`` up to the root; KeyError if it has none."""
        raw = _address_bytes(account)
        try:
            i = self._index[raw]
        except KeyError:
            raise KeyError(f"no leaf for {to_checksum_address(raw)}") from None
        return _proof_at(self._tree, i)

    def leaves(self) -> list[tuple[str, int]]:
        """(checksummed address, cumulative amount) rows, ordered by address."""
        return [(to_checksum_address(raw), amt) for raw, amt in sorted(self._amounts.items())]

    def dump(self) -> dict[str, Any]:
        """The public, JSON-ready record of an epoch: OpenZeppelin's ``standard-v1`` dump.

        ``StandardMerkleTree.load(dump)`` from ``@openzeppelin/merkle-tree`` accepts it
        and gives the same root and proofs. Amounts are decimal strings because JSON
        numbers lose precision above 2**53.
        """
        return {
            "format": "standard-v1",
            "leafEncoding": list(LEAF_ENCODING),
            "tree": [_hex(node) for node in self._tree],
            "values": [
                {"value": [to_checksum_address(raw), str(amt)], "treeIndex": self._index[raw]}
                for raw, amt in sorted(self._amounts.items())
            ],
        }

    @classmethod
    def load(cls, data: Mapping[str, Any]) -> MerkleTree:
        """Rebuild a tree from a ``dump()`` and check that its nodes are what the values give."""
        if data.get("format") != "standard-v1" or list(data.get("leafEncoding", ())) != list(
            LEAF_ENCODING
        ):
            raise ValueError("not a standard-v1 dump with leaf encoding [address, uint256]")
        rows = []
        for entry in data["values"]:
            account, amount = entry["value"]
            if isinstance(amount, str):
                if not amount.isdigit():
                    raise ValueError(f"amount is not a decimal integer: {amount!r}")
                amount = int(amount)
            rows.append((account, amount))
        tree = cls(rows)
        if [node.lower() for node in data["tree"]] != [_hex(node) for node in tree._tree]:
            raise ValueError("the dump's tree does not match its values")
        for entry in data["values"]:
            if tree._index[_address_bytes(entry["value"][0])] != entry["treeIndex"]:
                raise ValueError(f"wrong treeIndex for {entry['value'][0]}")
        return tree
