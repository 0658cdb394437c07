"""The canonical form of a dataset version's rows, their leaves and the version's root.

Row form ``datafi-row-v1``: one JSON object per voted battle with exactly these
keys, every value a string except ``reasons`` (a list of strings):

=============  ==================================================================
battle_id      the battle's UUID as 32 lowercase hex digits
voted_at       the vote's time, UTC, ``YYYY-MM-DDTHH:MM:SS.ffffffZ``
mode           ``stored`` (answers shipped in advance) or ``live`` (generated)
category       the prompt's category (``coding``, ``math``, ...)
language       the prompt's language, ISO 639-1
prompt         the prompt, PII-scrubbed (see ``datafi.market.scrub``)
prompt_key     sha256 of the normalised prompt (see ``normalise``), 16 hex digits:
               equal for prompts collapsed as duplicates
model_a        slug of the model shown as A
model_b        slug of the model shown as B
response_a     A's answer, PII-scrubbed
response_b     B's answer, PII-scrubbed
winner         ``model_a``, ``model_b``, ``tie`` or ``both_bad``
reasons        the voter's reason tags, as recorded
judge          the voter's salted pseudonym (as in every export)
=============  ==================================================================

Bytes: the RFC 8785 (JSON Canonicalization Scheme) serialisation of the object,
UTF-8: keys sorted, no whitespace, strings escaped minimally. A copy of a
version in any JSON spelling (pretty-printed, keys in another order, ``\\u``
escapes) gives the same bytes once parsed and re-serialised.

Leaf: ``keccak256(keccak256(bytes))``, the double hash OpenZeppelin's
``StandardMerkleTree`` uses, so that no leaf preimage is 64 bytes long like an
inner node. Root: the tree of ``rewards.merkle.HashTree`` over the leaves
(sorted leaves, commutative keccak pair hash; OpenZeppelin ``MerkleProof``
verifies its proofs), so the row order in a file does not matter.

Metadata hash: ``keccak256`` of the RFC 8785 bytes of the version's metadata
(``DatasetVersion.metadata``), recorded on chain beside the root.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

import rfc8785
from eth_hash.auto import keccak

from rewards.merkle import HashTree

ROW_FORMAT = "datafi-row-v1"
FIELDS = (
    "battle_id",
    "voted_at",
    "mode",
    "category",
    "language",
    "prompt",
    "prompt_key",
    "model_a",
    "model_b",
    "response_a",
    "response_b",
    "winner",
    "reasons",
    "judge",
)
_FIELD_SET = frozenset(FIELDS)
_NOT_WORD = re.compile(r"[\W_]+")


class RowError(ValueError):
    """A row that is not in the canonical row form."""


def normalise(text: str) -> str:
    """The prompt as compared for duplicates: NFKC, case-folded, only letters and digits
    (of any script), words separated by one space."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_NOT_WORD.sub(" ", folded).split())


def prompt_key(text: str) -> str:
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()[:16]


def timestamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def check_row(row: Mapping) -> None:
    """Raise RowError unless ``row`` has exactly the row form's keys and value types."""
    if not isinstance(row, Mapping):
        raise RowError("a row is a JSON object")
    keys = set(row)
    if keys != _FIELD_SET:
        missing, extra = sorted(_FIELD_SET - keys), sorted(keys - _FIELD_SET)
        raise RowError(f"row keys differ from {ROW_FORMAT}: missing {missing}, unexpected {extra}")
    for key in FIELDS:
        value = row[key]
        if key == "reasons":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise RowError("reasons must be a list of strings")
        elif not isinstance(value, str):
            raise RowError(f"{key} must be a string")


def row_bytes(row: Mapping) -> bytes:
    """The canonical bytes of a row (RFC 8785)."""
    check_row(row)
    return rfc8785.dumps(dict(row))


def leaf_of_bytes(canonical: bytes) -> str:
    return "0x" + keccak(keccak(canonical)).hex()


def leaf(row: Mapping) -> str:
    """The row's leaf hash, 0x-hex."""
    return leaf_of_bytes(row_bytes(row))


def tree(leaves: Iterable[str]) -> HashTree:
    return HashTree(leaves)


def root_of_lines(lines: Iterable[str | bytes]) -> tuple[str, int]:
    """(root, rows) of a JSON-lines copy of a version; RowError names the first bad line."""
    leaves = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            leaves.append(leaf(row))
        except (ValueError, RowError) as exc:
            raise RowError(f"line {number}: {exc}") from None
    if not leaves:
        raise RowError("the copy has no rows")
    try:
        return tree(leaves).root(), len(leaves)
    except ValueError as exc:  # the same row twice
        raise RowError(str(exc)) from None


def metadata_hash(metadata: Mapping) -> str:
    return "0x" + keccak(rfc8785.dumps(dict(metadata))).hex()
