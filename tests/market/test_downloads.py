"""Downloads of a frozen version: every export format written from the frozen rows, the
rows themselves (which re-verify against the root), and a Hugging Face dataset folder
that the `datasets` library loads offline."""

import gzip
import io
import json
import os
import zipfile

# Set before `datasets` (and huggingface_hub) read them at import: loading a local folder
# must never reach for the Hub (this machine has no network; a user's may not either).
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import datasets  # noqa: E402
import pandas as pd  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
import pytest  # noqa: E402
import yaml  # noqa: E402

from datafi.flows import market as market_flow  # noqa: E402
from datafi.market import canonical, downloads, selectors  # noqa: E402
from datafi.market import services as market  # noqa: E402
from datafi.market.models import Licence  # noqa: E402
from evals.provider import exports  # noqa: E402
from tests.market.conftest import approve  # noqa: E402

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
DPO_FIELDS = [
    "prompt",
    "chosen",
    "rejected",
    "chosen_model",
    "rejected_model",
    "question_id",
    "judge",
    "category",
    "language",
    "reasons",
    "time_to_vote_ms",
    "tstamp",
]


@pytest.fixture
def frozen(product, operator):
    return market.version_freeze(product_id=product.pk, operator=operator)


@pytest.fixture
def rows(frozen):
    return [json.loads(line) for line in selectors.version_lines(version=frozen)]


def body(version, fmt, compression="none"):
    download = downloads.version_download(version=version, format=fmt, compression=compression)
    return download, b"".join(download.pieces)


def test_the_rows_download_is_the_frozen_rows_and_reverifies_to_the_root(frozen):
    download, data = body(frozen, "datafi-rows")
    assert download.content_type == "application/x-ndjson"
    assert download.filename == "arena-prefs-v1-datafi-rows.jsonl"
    assert data.decode() == "".join(selectors.version_lines(version=frozen))
    lines = data.decode().splitlines()
    assert len(lines) == frozen.row_count > 1
    report = selectors.copy_compare(version=frozen, lines=lines)
    assert report == {
        "root": frozen.root,
        "rows": frozen.row_count,
        "changed": [],
        "missing": [],
        "added": [],
    }
    assert canonical.root_of_lines(lines) == (frozen.root, frozen.row_count)


def test_arena_jsonl_has_the_release_fields_from_the_frozen_rows(frozen, rows):
    download, data = body(frozen, "arena-jsonl")
    assert (download.content_type, download.filename) == (
        "application/x-ndjson",
        "arena-prefs-v1-arena-jsonl.jsonl",
    )
    out = [json.loads(line) for line in data.decode().splitlines()]
    assert len(out) == len(rows) and all(list(r) == ARENA_FIELDS for r in out)
    winners = {
        "model_a": "model_a",
        "model_b": "model_b",
        "tie": "tie",
        "both_bad": "tie (bothbad)",
    }
    for frozen_row, r in zip(rows, out, strict=True):
        assert r["question_id"] == frozen_row["battle_id"]
        assert (r["model_a"], r["model_b"]) == (frozen_row["model_a"], frozen_row["model_b"])
        assert r["winner"] == winners[frozen_row["winner"]]
        assert r["judge"] == frozen_row["judge"]
        assert r["conversation_a"] == [
            {"role": "user", "content": frozen_row["prompt"]},
            {"role": "assistant", "content": frozen_row["response_a"]},
        ]
        assert r["conversation_b"][1]["content"] == frozen_row["response_b"]
        assert r["language"] == exports.LANGUAGE_NAMES[frozen_row["language"]]
        voted_at = pd.Timestamp(frozen_row["voted_at"]).timestamp()
        assert abs(r["tstamp"] - voted_at) < 1e-6
    # The scrubbed texts, not the originals: the IBAN answer is in the fixture's votes.
    assert "DE89 3704" not in data.decode()


def test_dpo_jsonl_leaves_out_ties_and_says_the_vote_time_is_unknown(frozen, rows):
    _download, data = body(frozen, "dpo-jsonl")
    out = [json.loads(line) for line in data.decode().splitlines()]
    decided = [r for r in rows if r["winner"] in ("model_a", "model_b")]
    assert [r["question_id"] for r in out] == [r["battle_id"] for r in decided]
    assert out, "the fixture's votes pick a side"
    for frozen_row, r in zip(decided, out, strict=True):
        assert list(r) == DPO_FIELDS
        a_won = frozen_row["winner"] == "model_a"
        assert r["chosen"] == frozen_row["response_a" if a_won else "response_b"]
        assert r["rejected"] == frozen_row["response_b" if a_won else "response_a"]
        assert r["chosen_model"] == frozen_row["model_a" if a_won else "model_b"]
        assert r["prompt"] == frozen_row["prompt"]
        assert (r["category"], r["language"]) == (frozen_row["category"], frozen_row["language"])
        assert r["reasons"] == frozen_row["reasons"]
        assert r["time_to_vote_ms"] is None


def test_kaggle_csv_and_parquet_load_with_pandas_and_pyarrow(frozen, rows):
    download, data = body(frozen, "kaggle-csv")
    assert download.content_type.startswith("text/csv")
    frame = pd.read_csv(io.BytesIO(data))
    assert list(frame.columns) == exports.KAGGLE_COLUMNS
    assert list(frame["id"]) == [r["battle_id"] for r in rows]
    assert (frame[["winner_model_a", "winner_model_b", "winner_tie"]].sum(axis=1) == 1).all()
    assert json.loads(frame.iloc[0]["response_b"]) == [rows[0]["response_b"]]

    download, data = body(frozen, "parquet")
    assert download.content_type == "application/vnd.apache.parquet"
    table = pq.read_table(io.BytesIO(data))
    assert table.column_names == ARENA_FIELDS and table.num_rows == len(rows)
    _download, jsonl = body(frozen, "arena-jsonl")
    assert table.to_pylist() == [json.loads(line) for line in jsonl.decode().splitlines()]


@pytest.mark.parametrize("fmt", ["datafi-rows", "arena-jsonl", "kaggle-csv", "parquet"])
def test_gzip_compresses_the_same_bytes(frozen, fmt):
    plain = body(frozen, fmt)[1]
    download, packed = body(frozen, fmt, "gzip")
    assert download.content_type == "application/gzip"
    assert download.filename.endswith(".gz")
    assert gzip.decompress(packed) == plain


def test_unknown_formats_and_compressions_are_refused_clearly(frozen):
    with pytest.raises(ValueError, match="Unknown format 'xml': choose one of datafi-rows, "):
        downloads.version_download(version=frozen, format="xml")
    with pytest.raises(downloads.DownloadError, match="Unknown compression 'zip'"):
        downloads.version_download(version=frozen, format="arena-jsonl", compression="zip")
    with pytest.raises(downloads.DownloadError, match="already compressed"):
        downloads.version_download(version=frozen, format="hf", compression="gzip")


def test_a_download_reads_the_rows_as_it_streams(frozen, monkeypatch):
    """Bounded memory: no format reads ahead of the piece it is writing."""
    read = []
    real = selectors.version_lines

    def counting(**kwargs):
        for line in real(**kwargs):
            read.append(line)
            yield line

    monkeypatch.setattr(selectors, "version_lines", counting)
    monkeypatch.setattr(downloads, "CHUNK_ROWS", 2)
    monkeypatch.setattr(exports, "PARQUET_ROW_GROUP", 2)
    monkeypatch.setattr(downloads, "SHARD_ROWS", 4)
    for fmt in downloads.FORMATS:
        read.clear()
        pieces = downloads.version_download(version=frozen, format=fmt).pieces
        assert read == []  # nothing read before the first piece is asked for
        next(pieces)
        assert 1 <= len(read) <= 3, fmt  # one chunk (and one line peeked past it at most)
        rest = list(pieces)
        assert len(rest) >= 2 and len(read) == frozen.row_count, fmt


# --- the Hugging Face archive -------------------------------------------------------------


def unpack(version, tmp_path):
    download, data = body(version, "hf")
    assert (download.content_type, download.filename) == (
        "application/zip",
        "arena-prefs-v1-hf.zip",
    )
    folder = tmp_path / "arena-prefs"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None  # every member's CRC checks
        names = archive.namelist()
        archive.extractall(folder)
    return folder, names, data


def card_header(folder):
    text = (folder / "README.md").read_text(encoding="utf-8")
    assert text.startswith("---\n")
    header, _sep, rest = text[4:].partition("\n---\n")
    return yaml.safe_load(header), rest


def test_the_hf_archive_loads_with_datasets_and_reverifies(frozen, rows, tmp_path, monkeypatch):
    monkeypatch.setattr(downloads, "SHARD_ROWS", 5)
    monkeypatch.setattr(exports, "PARQUET_ROW_GROUP", 2)
    folder, names, _data = unpack(frozen, tmp_path)
    shards = -(-frozen.row_count // 5)
    assert shards >= 2
    assert names == [f"data/train-{k:05d}-of-{shards:05d}.parquet" for k in range(shards)] + [
        "README.md"
    ]
    meta, text = card_header(folder)
    assert meta["license"] == "cc-by-4.0"
    assert meta["pretty_name"] == "Arena preferences"
    assert meta["language"] == sorted({r["language"] for r in rows})
    assert meta["size_categories"] == ["n<1K"]
    assert meta["task_categories"] == ["text-generation", "text-classification"]
    assert meta["configs"] == [
        {
            "config_name": "default",
            "data_files": [{"split": "train", "path": "data/train-*.parquet"}],
        }
    ]
    assert "Human preference votes from the datafi arena." in text
    assert frozen.root in text and "not recorded on chain" in text
    assert "`halcyon-9`: Zephyrine Labs output terms v2" in text

    cache = str(tmp_path / "hf-cache")
    by_files = datasets.load_dataset(
        "parquet", data_dir=str(folder / "data"), split="train", cache_dir=cache
    )
    assert by_files.num_rows == frozen.row_count
    assert by_files.column_names == list(canonical.FIELDS)
    assert by_files.features["reasons"].feature.dtype == "string"
    # Shards keep the version's order.
    assert [r["battle_id"] for r in by_files] == [r["battle_id"] for r in rows]
    # The card's recipe: the loaded rows, written as JSON lines, give the version's root.
    copy = [json.dumps(r, ensure_ascii=False) for r in by_files]
    assert selectors.copy_compare(version=frozen, lines=copy)["root"] == frozen.root

    by_card = datasets.load_dataset(str(folder), cache_dir=cache)  # README's configs
    assert list(by_card) == ["train"]
    assert by_card["train"].num_rows == frozen.row_count
    assert list(by_card["train"]) == list(by_files)
    # It is the card's configs that datasets followed: pointed at one shard, it loads one.
    card = folder / "README.md"
    card.write_text(card.read_text().replace("data/train-*.parquet", names[0]))
    one = datasets.load_dataset(str(folder), split="train", cache_dir=str(tmp_path / "c2"))
    assert one.num_rows == 5


def test_the_same_version_downloads_to_the_same_bytes(frozen, monkeypatch):
    monkeypatch.setattr(downloads, "SHARD_ROWS", 5)
    for fmt in ("hf", "parquet", "dpo-jsonl"):
        assert body(frozen, fmt)[1] == body(frozen, fmt)[1], fmt


def test_a_published_versions_card_names_its_onchain_record(frozen, operator, evm, tmp_path):
    approve(frozen, operator)
    published = market_flow.version_publish(version_id=frozen.pk)
    folder, names, _data = unpack(published, tmp_path)
    assert names == ["data/train-00000-of-00001.parquet", "README.md"]
    _meta, text = card_header(folder)
    assert published.tx_hash in text and f"block {published.block_number}" in text
    table = pq.read_table(folder / names[0])
    assert table.num_rows == published.row_count


def test_every_licence_has_its_hub_identifier():
    hub = {"cc-by-4.0", "cc-by-sa-4.0", "cc-by-nc-4.0", "cc0-1.0", "odc-by", "odbl"}
    for licence in Licence.values:
        assert downloads.hf_licence(licence)["license"] in hub, licence
    assert downloads.hf_licence("MIT-0") == {"license": "other", "license_name": "mit-0"}
    assert [downloads.size_category(n) for n in (0, 999, 1000, 99_999, 10**6, 10**9)] == [
        "n<1K",
        "n<1K",
        "1K<n<10K",
        "10K<n<100K",
        "1M<n<10M",
        "n>1B",
    ]
    assert list(downloads.FIELD_NOTES) == list(canonical.FIELDS)
