# The README's commands. Each one sets up what it needs from the project's files.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?= -n auto

.PHONY: install run serve serve-http serve-ws test test-services lint format migrations-check vendor-redoc contracts contracts-check bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e ".[dev]"
	touch $@

# The interface's compiled catalogues (.mo) from the committed .po files
# (datafi/locale), by Babel: pure Python, so no system gettext is needed.
MO_FILES := $(patsubst %.po,%.mo,$(wildcard datafi/locale/*/LC_MESSAGES/*.po))
%.mo: %.po $(VENV)/.installed
	$(PY) -m datafi.catalogues $< $@

install: $(VENV)/.installed $(MO_FILES)

## make run: set everything up and serve the demo on http://127.0.0.1:8000
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py load_demo
	$(PY) manage.py load_quality_demo
	@echo "datafi is serving on http://$(HOST):$(PORT)/"
	@# Mails (password reset) land as files in var/mail/ (EMAIL_FILE_PATH) unless EMAIL_BACKEND is set.
	EMAIL_BACKEND="$${EMAIL_BACKEND:-django.core.mail.backends.filebased.EmailBackend}" $(MAKE) --no-print-directory serve

## make serve: HTTP and websockets from one process (daphne, Django's own ASGI handler)
# Servers never read X-Forwarded-* themselves (daphne does not by default): the
# app decides the client address from TRUSTED_PROXY_COUNT alone.
serve:
	$(VENV)/bin/daphne -b $(HOST) -p $(PORT) datafi.asgi:application

## make serve-http: the scaled HTTP workers (gunicorn threads on Django's WSGI handler)
HTTP_WORKERS ?= 2
HTTP_THREADS ?= 2
serve-http:
	$(VENV)/bin/gunicorn datafi.wsgi:application -c deploy/gunicorn.conf.py --bind $(HOST):$(PORT) --workers $(HTTP_WORKERS) --worker-class gthread --threads $(HTTP_THREADS) --forwarded-allow-ips ''

## make serve-ws: the scaled websocket workers (Channels under uvicorn)
serve-ws:
	$(VENV)/bin/uvicorn datafi.asgi:application --host $(HOST) --port $(PORT) --no-proxy-headers --no-access-log

## make topology: the production topology on this machine, under supervisor: nginx in
## front, gunicorn HTTP workers, uvicorn websocket workers, the fold, ratings and rewards
## workers, and PostgreSQL, Redis and anvil when not running (deploy/, README "Production topology")
.PHONY: topology
topology: install
	$(PY) deploy/topology.py

## make messages: bring the catalogues up to date with the strings marked in the code
## (needs GNU gettext's xgettext); then translate the new entries of datafi/locale/*/LC_MESSAGES/*.po
## and run make install to compile them
MESSAGE_IGNORES := --ignore=.venv --ignore=node_modules --ignore=staticfiles --ignore=static/vendor \
	--ignore=tests --ignore=bench --ignore=contracts --ignore=deploy --ignore=var --ignore=artifacts
LOCALES ?= $(notdir $(wildcard datafi/locale/*))
.PHONY: messages
messages: $(VENV)/.installed
	$(PY) manage.py makemessages $(addprefix -l ,$(LOCALES)) -d django --no-location --no-obsolete $(MESSAGE_IGNORES)
	$(PY) manage.py makemessages $(addprefix -l ,$(LOCALES)) -d djangojs --no-location --no-obsolete $(MESSAGE_IGNORES)
	@echo "Translate the new and fuzzy entries, then make install compiles the catalogues."

## make test: the test suite on the embedded defaults (SQLite, in-memory channels, in-process EVM)
test: install
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

migrations-check: install
	$(PY) manage.py makemigrations --check --dry-run

## make vendor-redoc: copy Redoc from drf-spectacular-sidecar into static/vendor/redoc/ (without its logo fetched from cdn.redoc.ly)
vendor-redoc: $(VENV)/.installed
	$(PY) -m datafi.vendor_redoc

clean:
	rm -rf $(VENV) staticfiles var
