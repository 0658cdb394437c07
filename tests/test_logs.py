"""The topology's one log format (datafi/logs.py): one JSON object a line."""

import io
import json
import logging

from django.test import RequestFactory

from datafi.logs import JsonFormatter, _LogWriter


def _record(name, msg, args=(), level=logging.INFO, **extra):
    record = logging.LogRecord(name, level, __file__, 1, msg, args, None)
    record.__dict__.update(extra)
    return record


def test_it_writes_a_record_as_one_line_of_json_with_the_common_keys():
    line = JsonFormatter().format(_record("datafi.x", "folded %d votes\nand more", (3,)))
    assert "\n" not in line
    record = json.loads(line)
    assert record["message"] == "folded 3 votes\nand more"
    assert record["level"] == "info" and record["logger"] == "datafi.x"
    assert record["time"].endswith("+00:00") and isinstance(record["pid"], int)


def test_it_turns_gunicorn_access_atoms_into_request_fields():
    atoms = {
        "m": "POST",
        "U": "/arena/battles/x/vote",
        "q": "",
        "s": "200",
        "B": 41,
        "D": 12_500,
        "h": "127.0.0.1",
        "a": "httpx",
        "{x-request-id}i": "abc123",
    }
    record = _record("gunicorn.access", '%(h)s "%(r)s"', ())
    record.args = atoms  # as gunicorn passes them: one mapping
    out = json.loads(JsonFormatter().format(record))
    assert out["message"] == "POST /arena/battles/x/vote 200"
    assert out["method"] == "POST" and out["status"] == 200 and out["bytes"] == 41
    assert out["duration_s"] == 0.0125 and out["request_id"] == "abc123"
    assert "query" not in out  # empty fields are left out


def test_it_reads_the_request_of_a_django_request_record_and_keeps_tracebacks():
    request = RequestFactory().get("/api/v1/leaderboard", HTTP_X_REQUEST_ID="r-1")
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        exc_info = sys.exc_info()
    record = _record(
        "django.request", "Internal Server Error: %s", ("/api/v1/leaderboard",), logging.ERROR
    )
    record.request, record.status_code, record.exc_info = request, 500, exc_info
    out = json.loads(JsonFormatter().format(record))
    assert out["method"] == "GET" and out["path"] == "/api/v1/leaderboard"
    assert out["status"] == 500 and out["request_id"] == "r-1"
    assert "ValueError: boom" in out["exc"]
    assert "request" not in out and "status_code" not in out


def test_it_turns_a_commands_printed_lines_into_records():
    stream = io.StringIO()
    logger = logging.getLogger("datafi.command.test")
    logger.propagate = False
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        writer = _LogWriter(logger, logging.INFO)
        writer.write("Refreshed 2 leaderboard")
        writer.write(" slices.\n\nFolded 5 votes.")
        writer.flush()
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [r["message"] for r in lines] == ["Refreshed 2 leaderboard slices.", "Folded 5 votes."]
