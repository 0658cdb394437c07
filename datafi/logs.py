"""One structured log format for every process of the topology: one JSON object a line.

Django and the workers (``LOG_FORMAT=json``), gunicorn and uvicorn
(``deploy/logging.json``) format their records here; nginx writes the same keys
with its own ``log_format`` (``deploy/nginx.conf.template``). Keys: ``time``
(UTC, ISO 8601), ``level``, ``logger``, ``message``, ``pid``, and where a
request is at hand ``method``, ``path``, ``status``, ``duration_s``,
``remote_addr``, ``request_id`` (nginx's ``$request_id``, passed upstream as
``X-Request-ID``, so one request can be followed from the proxy to the worker).

``python -m datafi.logs <command> [args]`` runs a management command with its
``stdout``/``stderr`` writes turned into log records, so the workers' progress
lines come out in the same format.
"""

import json
import logging
import sys
import traceback
from datetime import UTC, datetime

# Attributes every LogRecord has; anything else was passed with ``extra=``.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
# Extras read above (request, status_code) or only for terminals (uvicorn's coloured copy).
_DROPPED = {"request", "status_code", "color_message"}


def _request_fields(record: logging.LogRecord) -> dict:
    fields: dict = {}
    args = record.args
    if record.name == "gunicorn.access" and isinstance(args, dict):
        # gunicorn passes its access-log atoms as the record's mapping argument.
        fields = {
            "method": args.get("m"),
            "path": args.get("U"),
            "query": args.get("q") or None,
            "status": _int(args.get("s")),
            "bytes": _int(args.get("B")),
            "duration_s": args["D"] / 1_000_000 if isinstance(args.get("D"), int) else None,
            "remote_addr": args.get("h"),
            "user_agent": args.get("a"),
            "request_id": args.get("{x-request-id}i"),
        }
    elif record.name == "uvicorn.access" and isinstance(args, tuple) and len(args) == 5:
        client, method, path, _version, status = args
        fields = {"method": method, "path": path, "status": _int(status), "remote_addr": client}
    request = getattr(record, "request", None)
    if request is not None and hasattr(request, "method"):
        fields.setdefault("method", request.method)
        fields.setdefault("path", getattr(request, "path", None))
        headers = getattr(request, "headers", None)
        if headers is not None:
            fields.setdefault("request_id", headers.get("X-Request-ID"))
    status = getattr(record, "status_code", None)
    if status is not None:
        fields.setdefault("status", status)
    return {k: v for k, v in fields.items() if v not in (None, "-", "")}


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class JsonFormatter(logging.Formatter):
    """A log record as one line of JSON (see the module docstring for the keys)."""

    def format(self, record: logging.LogRecord) -> str:
        if record.name == "gunicorn.access" and isinstance(record.args, dict):
            args = record.args
            message = f"{args.get('m')} {args.get('U')} {args.get('s')}"
        else:
            message = record.getMessage()
        out = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": message,
            "pid": record.process,
        }
        out.update(_request_fields(record))
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in out and key not in _DROPPED:
                out[key] = value
        if record.exc_info:
            out["exc"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        elif record.stack_info:
            out["stack"] = record.stack_info
        return json.dumps(out, default=str, ensure_ascii=False)


class _LogWriter:
    """A file-like object whose complete lines become log records."""

    def __init__(self, logger: logging.Logger, level: int):
        self.logger, self.level, self.buffer = logger, level, ""

    def write(self, text: str) -> int:
        self.buffer += text
        *lines, self.buffer = self.buffer.split("\n")
        for line in lines:
            if line.strip():
                self.logger.log(self.level, line.rstrip())
        return len(text)

    def flush(self) -> None:
        if self.buffer.strip():
            self.logger.log(self.level, self.buffer.rstrip())
        self.buffer = ""

    def isatty(self) -> bool:
        return False


def main(argv: list[str]) -> None:
    import os

    import django
    from django.core.management import call_command

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "datafi.settings")
    django.setup()
    logging.captureWarnings(True)
    name = argv[0]
    logger = logging.getLogger(f"datafi.command.{name}")
    # Progress lines are informative whatever the root level; errors stay errors.
    logger.setLevel(logging.INFO)

    def excepthook(kind, value, tb):
        logger.critical("%s crashed", name, exc_info=(kind, value, tb))

    sys.excepthook = excepthook
    out, err = _LogWriter(logger, logging.INFO), _LogWriter(logger, logging.ERROR)
    try:
        call_command(name, *argv[1:], stdout=out, stderr=err)
    finally:
        out.flush()
        err.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
