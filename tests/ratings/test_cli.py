"""`manage.py leaderboard`: battle files in every public layout, no database, and
the same numbers as the page and the REST API for the same votes."""

import csv
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.management import CommandError, call_command

from tests.ratings.conftest import cast_votes

BATTLES = [
    ("alpha", "beta", "model_a"),
    ("beta", "gamma", "model_a"),
    ("alpha", "gamma", "model_a"),
    ("gamma", "alpha", "tie"),
    ("beta", "alpha", "model_b"),
    ("gamma", "beta", "both_bad"),
    ("alpha", "beta", "model_b"),
    ("gamma", "alpha", "model_b"),
    ("beta", "gamma", "tie"),
    ("alpha", "gamma", "model_a"),
] * 3


def _conv(text):
    return [{"role": "user", "content": "q"}, {"role": "assistant", "content": text}]


def write_files(tmp_path):
    answer = {"alpha": "# Title\n\n- **one**\n- two", "beta": "plain answer", "gamma": "short"}
    arena140 = [
        {
            "model_a": a,
            "model_b": b,
            "winner": w,
            "conversation_a": _conv(answer[a]),
            "conversation_b": _conv(answer[b]),
        }
        for a, b, w in BATTLES
    ]
    files = {}
    files["jsonl"] = tmp_path / "arena140k.jsonl"
    files["jsonl"].write_text("".join(json.dumps(r) + "\n" for r in arena140))
    arena33 = [
        r | {"winner": "tie (bothbad)" if r["winner"] == "both_bad" else r["winner"]}
        for r in arena140
    ]
    files["json"] = tmp_path / "arena33k.json"
    files["json"].write_text(json.dumps(arena33))
    files["csv"] = tmp_path / "kaggle.csv"
    with open(files["csv"], "w", newline="") as f:
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
        for k, (a, b, win) in enumerate(BATTLES):
            w.writerow(
                [
                    k,
                    a,
                    b,
                    '["q"]',
                    json.dumps([answer[a]]),
                    json.dumps([answer[b]]),
                    int(win == "model_a"),
                    int(win == "model_b"),
                    int(win in ("tie", "both_bad")),
                ]
            )
    files["parquet"] = tmp_path / "arena.parquet"
    pq.write_table(
        pa.Table.from_pylist(
            [{k: r[k] for k in ("model_a", "model_b", "winner")} for r in arena140]
        ),
        files["parquet"],
    )
    return files


def run_cli(capsys, *args):
    call_command("leaderboard", *args)
    return capsys.readouterr()


def test_every_layout_and_format_gives_the_same_scores_without_a_database(tmp_path, capsys):
    # No db fixture: pytest-django fails any database access in this test.
    files = write_files(tmp_path)
    results = {}
    for fmt, path in files.items():
        out = tmp_path / f"{fmt}.json"
        printed = run_cli(capsys, "--input", str(path), "--rounds", "50", "--output", str(out))
        data = json.loads(out.read_text())
        results[fmt] = {r["model"]: r["score"] for r in data["rows"]}
        assert data["meta"]["n_battles"] == len(BATTLES)
        assert "alpha" in printed.out and "95% interval" in printed.out
    layouts = {
        fmt: json.loads((tmp_path / f"{fmt}.json").read_text())["meta"]["layout"] for fmt in files
    }
    assert layouts == {
        "jsonl": "arena-140k",
        "json": "arena-33k",
        "csv": "kaggle",
        "parquet": "arena-140k",
    }
    first = results["jsonl"]
    for fmt, scores in results.items():
        assert scores == pytest.approx(first, abs=1e-9), fmt
    assert first["alpha"] > first["gamma"]


def test_it_writes_csv_and_runs_elo_and_style(tmp_path, capsys):
    files = write_files(tmp_path)
    out = tmp_path / "out.csv"
    run_cli(capsys, "--input", str(files["csv"]), "--method", "elo", "--output", str(out))
    rows = list(csv.DictReader(out.open()))
    assert [r["model"] for r in rows][0] == "alpha" and rows[0]["lower"] == ""
    printed = run_cli(capsys, "--input", str(files["jsonl"]), "--style", "--rounds", "20")
    assert "style coefficients" in printed.out and "bradley-terry+style" in printed.out


def test_it_draws_a_progress_bar_on_stderr(tmp_path, capsys):
    files = write_files(tmp_path)
    printed = run_cli(
        capsys, "--input", str(files["jsonl"]), "--rounds", "10", "--progress", "always"
    )
    assert "100.0%" in printed.err and "[####" in printed.err
    assert "[#" not in printed.out and "reading" not in printed.out


@pytest.mark.parametrize(
    "args,message",
    [
        (["--input", "/nonexistent.jsonl"], "no such file"),
        (["--output", "x.txt"], "must end in .json or .csv"),
        (["--rounds", "-1"], "non-negative"),
    ],
)
def test_it_refuses_bad_arguments_clearly(tmp_path, args, message):
    files = write_files(tmp_path)
    base = ["--input", str(files["jsonl"])]
    with pytest.raises(CommandError, match=message):
        call_command("leaderboard", *(base + args))


def test_it_names_the_bad_row_of_a_broken_file(tmp_path, capsys):
    path = tmp_path / "bad.jsonl"
    path.write_text(
        '{"model_a": "x", "model_b": "y", "winner": "model_a"}\n'
        '{"model_a": "x", "model_b": "y", "winner": "maybe"}\n'
    )
    with pytest.raises(CommandError, match="line 2"):
        call_command("leaderboard", "--input", str(path), "--strict")
    printed = run_cli(capsys, "--input", str(path), "--rounds", "5")
    assert "skipped 1 of 2 rows that cannot count: 1 unknown winner" in printed.err
    # The flag of the days when refusing was the default still works.
    printed = run_cli(capsys, "--input", str(path), "--skip-bad-rows", "--rounds", "5")
    assert "skipped 1 of 2 rows" in printed.err
    nostyle = tmp_path / "nostyle.jsonl"
    nostyle.write_text('{"model_a": "x", "model_b": "y", "winner": "model_a"}\n')
    with pytest.raises(CommandError, match="style control needs the answer texts"):
        call_command("leaderboard", "--input", str(nostyle), "--style")


def export_votes(path):
    """The counted votes as an arena-140k JSONL file, in vote order."""
    from evals.models import Vote

    votes = (
        Vote.objects.filter(battle__excluded=False)
        .select_related(
            "battle__model_a", "battle__model_b", "battle__answer_a", "battle__answer_b"
        )
        .order_by("battle__voted_at", "battle_id")
    )
    with open(path, "w") as f:
        for v in votes:
            b = v.battle
            f.write(
                json.dumps(
                    {
                        "model_a": b.model_a.name,
                        "model_b": b.model_b.name,
                        "winner": v.choice,
                        "conversation_a": _conv(b.answer_a.text),
                        "conversation_b": _conv(b.answer_b.text),
                    }
                )
                + "\n"
            )


def test_page_rest_and_cli_show_the_same_numbers(tmp_path, capsys, arena, alice, client, settings):
    from evals import services
    from evals.models import Battle
    from ratings import services as ratings_services
    from ratings.selectors import leaderboard_latest

    # Answers with different styles, so style control has something to fit.
    for k, prompt in enumerate(arena["prompts"]):
        for j, model in enumerate(arena["models"]):
            text = "## Plan\n\n" + "- **step**\n" * j + "word " * (10 * ((j + k) % 4) + 5)
            services.answer_upsert(prompt=prompt, model=model, text=text)
    voted = cast_votes(alice, 60, seed=7)
    # One battle excluded after the fact: page, REST and file all leave it out.
    battle, choice = voted[5]
    Battle.objects.filter(id=battle.id).update(excluded=True, exclusion_reason="identity leak")
    assert ratings_services.battle_outcome_retract(battle=battle, choice=choice)
    ratings_services.refresh_dirty(worker="t")
    path = tmp_path / "votes.jsonl"
    export_votes(path)

    for method in ("bt", "style", "elo"):
        snap = leaderboard_latest(method=method)
        assert snap.vote_count == 59
        out = tmp_path / f"{method}.json"
        run_cli(
            capsys,
            "--input",
            str(path),
            "--method",
            method,
            "--rounds",
            str(settings.RATINGS_BOOTSTRAP_ROUNDS),
            "--style-rounds",
            str(settings.RATINGS_STYLE_ROUNDS),
            "--min-votes",
            str(settings.RATINGS_PRELIMINARY_VOTES),
            "--output",
            str(out),
        )
        cli = json.loads(out.read_text())["rows"]
        rest = client.get(f"/api/v1/leaderboard?method={method}").json()["rows"]
        page = client.get(f"/leaderboard/?method={method}").content.decode()
        keys = ["rank", "model", "votes", "preliminary", "component"]
        nums = ["score", "lower", "upper", "win_rate", "both_bad_rate"]
        for ours, theirs in ((snap.rows, cli), (rest, cli)):
            assert [{k: r[k] for k in keys} for r in ours] == [
                {k: r[k] for k in keys} for r in theirs
            ]
            for a, b in zip(ours, theirs, strict=True):
                for k in nums:
                    assert (a[k] is None) == (b[k] is None), (method, k)
                    if a[k] is not None:
                        assert a[k] == pytest.approx(b[k], abs=1e-6), (method, a["model"], k)
        for r in cli:
            assert f'<td class="num">{round(r["score"])}' in page, (method, r)


def test_a_model_named_like_a_formula_is_written_as_text_in_the_csv(tmp_path, capsys):
    """A name from a public battle file lands in the operator's spreadsheet."""
    src = tmp_path / "battles.csv"
    with src.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["model_a", "model_b", "winner"])
        for a, b, w in BATTLES:
            writer.writerow(
                ['=HYPERLINK("https://evil.example/","x")' if a == "alpha" else a, b, w]
            )
    out = tmp_path / "board.csv"
    run_cli(capsys, "--input", str(src), "--rounds", "20", "--output", str(out))
    rows = list(csv.DictReader(out.open()))
    cells = [v for r in rows for v in r.values()]
    assert '\'=HYPERLINK("https://evil.example/","x")' in cells
    assert not any(c.startswith(("=", "+", "@")) for c in cells)
    assert not any(c.startswith("'-") for c in cells)  # a negative number stays a number
