"""Downloads of a frozen dataset version, streamed with bounded memory.

Formats:

- ``datafi-rows``: the version's rows exactly as frozen (row form ``datafi-row-v1``, see
  ``datafi.market.canonical``), one per line; ``manage.py verify_dataset_version``
  checks such a copy against the version's root.
- ``arena-jsonl``, ``kaggle-csv``, ``dpo-jsonl``, ``parquet``: the provider export's
  formats (``evals.provider.exports``), written by the same writers from the frozen rows.
  Texts are the scrubbed ones and voters their pseudonyms, as frozen. A frozen row does
  not record how long the vote took: ``time_to_vote_ms`` is ``null`` in ``dpo-jsonl``.
- ``hf``: a Hugging Face dataset folder as one zip archive: ``README.md`` (the dataset
  card, with the Hub's YAML metadata) and ``data/train-0000k-of-0000n.parquet`` shards
  holding every field of the row form. Zip rather than tar: a tar header states a
  member's size before its bytes, so each Parquet shard would have to be written out
  whole (to memory or disk) first, while zip streams a member of unknown size (a data
  descriptor follows it); zip also opens anywhere, lists its members without reading
  them all, and needs no second compression around already compressed Parquet.

``compression=gzip`` compresses any format but ``hf``. Nothing in a file depends on
the moment of download, so a version downloads to the same bytes every time (the
``hf`` card changes once, when the version's root is recorded on chain) and buyers
can compare checksums.
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice

import yaml
from django.utils.translation import gettext as _

from datafi.market import canonical, selectors
from datafi.market.models import DatasetVersion
from evals.provider import exports

ROWS_FORMAT = "datafi-rows"
HF_FORMAT = "hf"
FORMATS = (ROWS_FORMAT, *exports.FORMATS, HF_FORMAT)
COMPRESSIONS = exports.COMPRESSIONS
CHUNK_ROWS = 2000
# Rows per Parquet shard of the ``hf`` archive: a few hundred MB of text before
# compression, about the size of the Hub's own Parquet conversion shards.
SHARD_ROWS = 100_000

# Our licences (SPDX identifiers, datafi.market.models.Licence) as the Hub spells them
# (https://huggingface.co/docs/hub/repositories-licenses).
HF_LICENCES = {
    "CC-BY-4.0": "cc-by-4.0",
    "CC-BY-SA-4.0": "cc-by-sa-4.0",
    "CC-BY-NC-4.0": "cc-by-nc-4.0",
    "CC0-1.0": "cc0-1.0",
    "ODC-By-1.0": "odc-by",
    "ODbL-1.0": "odbl",
}
# The Hub's buckets, upper bounds exclusive.
SIZE_CATEGORIES = (
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
    (100_000_000, "10M<n<100M"),
    (1_000_000_000, "100M<n<1B"),
)
FIELD_NOTES = {
    "battle_id": "the battle's UUID, 32 lowercase hex digits",
    "voted_at": "the vote's time, UTC, `YYYY-MM-DDTHH:MM:SS.ffffffZ`",
    "mode": "`stored` (answers prepared in advance) or `live` (generated for the battle)",
    "category": "the prompt's category (`coding`, `math`, ...)",
    "language": "the prompt's language, ISO 639-1",
    "prompt": "the prompt, personal data masked",
    "prompt_key": "16 hex digits, equal for prompts collapsed as duplicates",
    "model_a": "the model shown as A",
    "model_b": "the model shown as B",
    "response_a": "A's answer, personal data masked",
    "response_b": "B's answer, personal data masked",
    "winner": "`model_a`, `model_b`, `tie` or `both_bad` (both answers bad)",
    "reasons": "the voter's reason tags",
    "judge": "the voter's salted pseudonym (the same in every datafi export)",
}


class DownloadError(ValueError):
    """A download asked in a format or compression that does not exist."""


@dataclass(frozen=True)
class Download:
    pieces: Iterator[bytes]  # streamed: a few hundred KB each, never the whole version
    content_type: str
    filename: str


def version_download(
    *, version: DatasetVersion, format: str, compression: str = "none"
) -> Download:
    """A frozen version as a file of ``format``, streamed piece by piece.

    Raises ``DownloadError`` (a ``ValueError``) for an unknown format or compression.
    Nothing is read before the first piece is asked for.
    """
    if format not in FORMATS:
        raise DownloadError(
            _("Unknown format %(format)s: choose one of %(formats)s.")
            % {"format": repr(format), "formats": ", ".join(FORMATS)}
        )
    if compression not in COMPRESSIONS:
        raise DownloadError(
            _("Unknown compression %(compression)s: choose one of %(choices)s.")
            % {"compression": repr(compression), "choices": ", ".join(COMPRESSIONS)}
        )
    if format == HF_FORMAT and compression != "none":
        raise DownloadError(
            _("The hf archive is a zip file, already compressed: ask it with compression none.")
        )
    name = f"{version.product.slug}-v{version.number}-{format}"
    if format == HF_FORMAT:
        return Download(_hf_archive(version), "application/zip", f"{name}.zip")
    if format == ROWS_FORMAT:
        pieces, content_type, extension = _rows_pieces(version), "application/x-ndjson", "jsonl"
    else:
        pieces = exports.stream_rows(format, _export_chunks(version), compression="none")
        content_type, extension = exports.CONTENT_TYPES[format], exports.EXTENSIONS[format]
    if compression == "gzip":
        return Download(exports.gzip_pieces(pieces), "application/gzip", f"{name}.{extension}.gz")
    return Download(pieces, content_type, f"{name}.{extension}")


def _chunks(version: DatasetVersion) -> Iterator[list[str]]:
    lines = selectors.version_lines(version=version, chunk=CHUNK_ROWS)
    while chunk := list(islice(lines, CHUNK_ROWS)):
        yield chunk


def _rows_pieces(version: DatasetVersion) -> Iterator[bytes]:
    for chunk in _chunks(version):
        yield "".join(chunk).encode("utf-8")


def _seconds(voted_at: str) -> float:
    return datetime.strptime(voted_at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()


def _record(row: dict) -> dict:
    """A frozen row as the export writers' record (``exports.row_from_record``)."""
    return {
        "id": row["battle_id"],
        "tstamp": _seconds(row["voted_at"]),
        "prompt": row["prompt"],
        "category": row["category"],
        "language": row["language"],
        "response_a": row["response_a"],
        "response_b": row["response_b"],
        "model_a": row["model_a"],
        "model_b": row["model_b"],
        "judge": row["judge"],
        "choice": row["winner"],
        "reasons": row["reasons"],
        "time_to_vote_ms": None,  # not part of the frozen row
    }


def _export_chunks(version: DatasetVersion) -> Iterator[list[exports.Row]]:
    for chunk in _chunks(version):
        yield [exports.row_from_record(_record(json.loads(line))) for line in chunk]


# --- the Hugging Face archive ----------------------------------------------------------


def hf_schema():
    """The shards' columns: the row form's fields, in its order (reasons a list of strings)."""
    import pyarrow as pa

    return pa.schema(
        [
            (name, pa.list_(pa.string()) if name == "reasons" else pa.string())
            for name in canonical.FIELDS
        ]
    )


def hf_licence(spdx: str) -> dict:
    """The card's licence keys for one of our SPDX licence identifiers."""
    if spdx in HF_LICENCES:
        return {"license": HF_LICENCES[spdx]}
    # A licence added to the model without a Hub identifier here: still a valid card.
    return {"license": "other", "license_name": spdx.lower()}


def size_category(rows: int) -> str:
    for bound, name in SIZE_CATEGORIES:
        if rows < bound:
            return name
    return "n>1B"


def shard_name(index: int, shards: int) -> str:
    return f"data/train-{index:05d}-of-{shards:05d}.parquet"


def _batches(lines: Iterable[str], schema, languages: set[str]):
    """Record batches of the rows; collects their languages, which the card states."""
    import pyarrow as pa

    lines = iter(lines)
    while chunk := list(islice(lines, exports.PARQUET_ROW_GROUP)):
        rows = [json.loads(line) for line in chunk]
        languages.update(row["language"] for row in rows)
        yield pa.RecordBatch.from_pylist(rows, schema=schema)


def _hf_archive(version: DatasetVersion) -> Iterator[bytes]:
    schema = hf_schema()
    shards = max(1, math.ceil(version.row_count / SHARD_ROWS))
    # Members dated by the freeze, not the download: the same version, the same bytes.
    stamp = version.frozen_at.astimezone(UTC).timetuple()[:6]
    lines = selectors.version_lines(version=version, chunk=CHUNK_ROWS)
    languages: set[str] = set()
    sink = exports.Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for index in range(shards):
            member = zipfile.ZipInfo(shard_name(index, shards), date_time=stamp)
            member.compress_type = zipfile.ZIP_STORED  # Parquet pages are zstd already
            # force_zip64: the shard's size is unknown when its header is written.
            with archive.open(member, "w", force_zip64=True) as out:
                rows = islice(lines, SHARD_ROWS)
                for piece in exports.parquet_pieces(schema, _batches(rows, schema, languages)):
                    out.write(piece)
                    if drained := sink.drain():
                        yield drained
        card = zipfile.ZipInfo("README.md", date_time=stamp)
        card.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(card, hf_card(version, languages=languages, shards=shards))
    yield sink.drain()


def hf_card(version: DatasetVersion, *, languages: Iterable[str], shards: int) -> str:
    """The dataset card: the Hub's YAML metadata, then the version's card and what a user
    needs to use and check the files."""
    meta = version.metadata
    spdx = meta["licence"]["prompts_and_votes"]
    header = {
        **hf_licence(spdx),
        "pretty_name": meta["title"],
        "language": sorted(languages),
        "size_categories": [size_category(version.row_count)],
        # Preference data: training and evaluating generators (RLHF, DPO) and reward
        # models, which classify which of two answers people prefer.
        "task_categories": ["text-generation", "text-classification"],
        "tags": ["human-feedback", "preference", "rlhf", "dpo", "datafi"],
        "configs": [
            {
                "config_name": "default",
                "data_files": [{"split": "train", "path": "data/train-*.parquet"}],
            }
        ],
    }
    out = io.StringIO()
    out.write("---\n")
    out.write(yaml.safe_dump(header, sort_keys=False, allow_unicode=True, width=1000))
    out.write("---\n\n")
    # The card is a file for the dataset's users, in English whoever downloads it, so
    # that a version always downloads to the same bytes.
    out.write(f"# {meta['title']}\n\n")
    out.write(
        f"Version {version.number} of `{meta['dataset']}`, frozen {meta['frozen_at']}: "
        f"{version.row_count} rows (voted battles) in {shards} Parquet "
        f"{'file' if shards == 1 else 'files'} under `data/`, one split (`train`).\n\n"
    )
    out.write(meta["card"].strip() + "\n\n")
    out.write("## Fields\n\n")
    out.write(f"Each row has the fields of the row form `{canonical.ROW_FORMAT}`:\n\n")
    out.write("| field | meaning |\n| --- | --- |\n")
    for name in canonical.FIELDS:
        out.write(f"| `{name}` | {FIELD_NOTES[name]} |\n")
    out.write("\n## Licence\n\n")
    out.write(f"- Prompts and votes: {spdx}.\n")
    out.write("- The models' answers stay under each provider's terms:\n")
    for slug, terms in sorted(meta["licence"]["model_outputs"].items()):
        out.write(f"  - `{slug}`: {terms}\n")
    out.write("\n## Checking a copy\n\n")
    out.write(
        f"The rows make a Merkle tree whose root is `{version.root}` (metadata hash "
        f"`{version.metadata_hash}`). "
    )
    if version.status == DatasetVersion.Status.PUBLISHED:
        out.write(
            f"Both were recorded on chain ({version.network}) in transaction "
            f"`{version.tx_hash}`, block {version.block_number}. "
        )
    else:
        out.write("They were not recorded on chain when this file was made. ")
    out.write(
        "The root depends neither on the order of the rows nor on how their JSON is spelled:"
        " write the rows out as JSON lines and give them to datafi's checker:\n\n"
        "```python\n"
        "import json\n"
        "from datasets import load_dataset\n\n"
        'rows = load_dataset("parquet", data_dir="data", split="train")\n'
        'with open("copy.jsonl", "w", encoding="utf-8") as f:\n'
        "    for row in rows:\n"
        '        f.write(json.dumps(row, ensure_ascii=False) + "\\n")\n'
        "```\n\n"
        f"then `manage.py verify_dataset_version copy.jsonl --root {version.root}`.\n"
    )
    return out.getvalue()
