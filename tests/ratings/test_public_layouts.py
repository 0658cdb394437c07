"""The CLI reads every public arena file as published, with default flags.

Each fixture is built from the layout's documented schema (column names,
types and winner values of the public release), with rows that cannot count
where the real files have them.
"""

import csv
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.management import CommandError, call_command

MODELS = ["gpt-4o-2024-05-13", "claude-3-5-sonnet-20240620", "llama-3-70b-instruct"]


def _battles(n=30):
    """(model_a, model_b, outcome) cycling over every pair and outcome."""
    out = []
    for k in range(n):
        a, b = MODELS[k % 3], MODELS[(k + 1 + k // 3 % 2) % 3]
        out.append((a, b, ("model_a", "model_b", "tie", "model_a")[k % 4]))
    return out


def _turns(text, parts=False):
    content = [{"type": "text", "text": text}] if parts else text
    return [
        {"role": "user", "content": [{"type": "text", "text": "q"}] if parts else "q"},
        {"role": "assistant", "content": content},
    ]


def arena_33k(path):
    # chatbot_arena_conversations: question_id, model_a, model_b, winner
    # (model_a / model_b / tie / tie (bothbad)), judge, conversation_a/b, turn,
    # anony, language, tstamp, openai_moderation, toxic_chat_tag.
    rows = []
    for k, (a, b, w) in enumerate(_battles()):
        rows.append(
            {
                "question_id": f"q{k:04x}",
                "model_a": a,
                "model_b": b,
                "winner": "tie (bothbad)" if k % 7 == 0 else w,
                "judge": f"arena_user_{k % 5}",
                "conversation_a": _turns("# A\n- x"),
                "conversation_b": _turns("plain"),
                "turn": 1,
                "anony": True,
                "language": "English",
                "tstamp": 1682351591.1322 + k,
                "openai_moderation": {"categories": {}, "flagged": False},
                "toxic_chat_tag": {"roberta-large": {"flagged": False, "probability": 0.01}},
            }
        )
    path.write_text(json.dumps(rows))
    return path, len(rows), {}


def arena_140k(path, fmt):
    # arena-human-preference-140k: id, model_a, model_b, winner (model_a /
    # model_b / tie / both_bad), conversation_a/b with content as parts,
    # full_conversation, conv_metadata, category_tag, language, is_code,
    # timestamp. The release holds ten rows where a model battles itself.
    rows = []
    for k, (a, b, w) in enumerate(_battles()):
        rows.append(
            {
                "id": f"id-{k}",
                "model_a": a,
                "model_b": a if k in (4, 11) else b,
                "winner": "both_bad" if k % 9 == 0 else w,
                "conversation_a": _turns("**bold**", parts=True),
                "conversation_b": _turns("plain", parts=True),
                "full_conversation": [],
                "conv_metadata": {"sum_user_tokens": 3, "sum_assistant_a_tokens": 5},
                "category_tag": {"criteria_v0.1": {"specificity": True}},
                "language": "en",
                "is_code": False,
                "timestamp": f"2025-04-0{1 + k % 9}T10:00:00",
            }
        )
    if fmt == "parquet":
        pq.write_table(pa.Table.from_pylist(rows), path)
    else:
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path, len(rows), {"a model against itself": 2}


def kaggle_55k(path):
    # lmsys-chatbot-arena train.csv: id, model_a, model_b, prompt, response_a,
    # response_b (JSON lists of strings), winner_model_a, winner_model_b, winner_tie.
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            [
                "id",
                "model_a",
                "model_b",
                "prompt",
                "response_a",
                "response_b",
                "winner_model_a",
                "winner_model_b",
                "winner_tie",
            ]
        )
        battles = _battles()
        for k, (a, b, win) in enumerate(battles):
            flags = {"model_a": (1, 0, 0), "model_b": (0, 1, 0), "tie": (0, 0, 1)}[win]
            w.writerow([30192 + k, a, b, '["q"]', '["# x"]', '["y"]', *flags])
    return path, len(battles), {}


def search_arena_24k(path):
    # search-arena-24k: model_a, model_b, winner (4 values; missing on the
    # conversations without a vote, about half), judge, turn, timestamp,
    # messages_a/b, system_a/b_metadata, primary_intent, secondary_intent, languages.
    rows = []
    for k, (a, b, w) in enumerate(_battles()):
        rows.append(
            {
                "model_a": a,
                "model_b": b,
                "winner": None if k % 3 == 2 else w,
                "judge": "0" * 64,
                "turn": 1,
                "timestamp": "2025-03-18T16:39:00.550000",
                "messages_a": _turns("## Sources\n- [1] x"),
                "messages_b": _turns("short"),
                "system_a_metadata": {"conv_id": f"a{k}"},
                "system_b_metadata": {"conv_id": f"b{k}"},
                "primary_intent": "Info Seeking",
                "secondary_intent": "Unassigned",
                "languages": ["English"],
            }
        )
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path, len(rows), {"no vote": 10}


def llmfao(path):
    # evalica's LLMFAO crowd-comparisons.csv: id, prompt, model_x, model_y,
    # winner (left / right / tie), left, right (model names).
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "prompt", "model_x", "model_y", "winner", "left", "right"])
        for k, (a, b, win) in enumerate(_battles()):
            side = {"model_a": "left", "model_b": "right", "tie": "tie"}[win]
            w.writerow([k, 8, 97, 98, side, a, b])
    return path, 30, {}


LAYOUTS = {
    "arena-33k": lambda d: arena_33k(d / "clean_battle_conv.json"),
    "arena-140k": lambda d: arena_140k(d / "arena-140k.parquet", "parquet"),
    "arena-140k-jsonl": lambda d: arena_140k(d / "arena-140k.jsonl", "jsonl"),
    "kaggle": lambda d: kaggle_55k(d / "train.csv"),
    "search-arena": lambda d: search_arena_24k(d / "search-arena-24k.parquet"),
    "llmfao": lambda d: llmfao(d / "crowd-comparisons.csv"),
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_the_cli_reads_each_public_layout_with_default_flags(layout, tmp_path, capsys):
    path, n_rows, reasons = LAYOUTS[layout](tmp_path)
    out = tmp_path / "out.json"
    call_command("leaderboard", "--input", str(path), "--rounds", "20", "--output", str(out))
    printed = capsys.readouterr()
    meta = json.loads(out.read_text())["meta"]
    assert meta["layout"] == layout.removesuffix("-jsonl")
    assert meta["skip_reasons"] == reasons
    skipped = sum(reasons.values())
    assert meta["n_battles"] == n_rows - skipped
    for name in MODELS:
        assert name in printed.out
    if skipped:
        # One line sums the skipped rows up with their reasons.
        lines = [x for x in printed.err.splitlines() if x.startswith("skipped")]
        assert len(lines) == 1
        assert lines[0].startswith(f"skipped {skipped} of {n_rows} rows that cannot count: ")
        for why, n in reasons.items():
            assert f"{n} {why}" in lines[0]
    else:
        assert "skipped" not in printed.err


@pytest.mark.parametrize("layout", ["arena-140k", "search-arena"])
def test_strict_refuses_rows_that_cannot_count_and_names_them(layout, tmp_path):
    path, _, _ = LAYOUTS[layout](tmp_path)
    with pytest.raises(CommandError, match=r"row \d+: .*--strict"):
        call_command("leaderboard", "--input", str(path), "--rounds", "5", "--strict")


@pytest.mark.parametrize("layout", ["arena-33k", "arena-140k", "kaggle", "search-arena"])
def test_style_control_reads_the_answers_of_each_layout_that_has_them(layout, tmp_path, capsys):
    path, _, _ = LAYOUTS[layout](tmp_path)
    call_command("leaderboard", "--input", str(path), "--style", "--style-rounds", "5")
    assert "style coefficients" in capsys.readouterr().out


def test_the_cli_offers_sandwich_intervals_and_reweighting(tmp_path, capsys):
    path, _, _ = LAYOUTS["arena-140k"](tmp_path)
    out = tmp_path / "out.json"
    call_command(
        "leaderboard",
        "--input",
        str(path),
        "--interval",
        "sandwich",
        "--reweight",
        "--prior-sd",
        "300",
        "--output",
        str(out),
    )
    meta = json.loads(out.read_text())["meta"]
    assert meta["params"]["interval"] == "sandwich"
    assert meta["params"]["reweight"] is True
    assert meta["params"]["prior_sd"] == 300
    rows = json.loads(out.read_text())["rows"]
    assert all(r["lower"] < r["score"] < r["upper"] for r in rows)
