#!/usr/bin/env bash
# Schemathesis over every operation of /api/v1/schema against a real server
# process (not the in-process app): a fresh PostgreSQL database with the demo
# data, a provider key with every scope, every check. Fails if any check fails
# or if the server process died during the run.
#
#   SCHEMATHESIS_PORT      port the server binds on 127.0.0.1 (default 18250)
#   SCHEMATHESIS_EXAMPLES  examples per operation and phase (default 300)
#   SCHEMATHESIS_MAX_TIME  time budget of the run in seconds (default 330): on a
#                          slow or busy machine the phases stop there, with fewer
#                          examples, so that CI stays under about six minutes
#   SCHEMATHESIS_DB        database name (default datafi_schemathesis)
#   PG_URL                 server to create it on (default postgres://postgres@127.0.0.1:5432)
set -euo pipefail
cd "$(dirname "$0")/.."

PORT="${SCHEMATHESIS_PORT:-18250}"
EXAMPLES="${SCHEMATHESIS_EXAMPLES:-300}"
DB="${SCHEMATHESIS_DB:-datafi_schemathesis}"
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432}"
# How the server is started: one place, so that the serving path can change.
SERVER_CMD=(.venv/bin/daphne -b 127.0.0.1 -p "$PORT" datafi.asgi:application)

export DATABASE_URL="$PG_URL/$DB"
export DATA_DIR="${DATA_DIR:-$(mktemp -d)}"
export DEBUG=0 PYTHONUNBUFFERED=1
# The run sends a few thousand requests with one key in a few minutes; the
# throttle is tested elsewhere and would only turn the run into 429s.
export PROVIDER_API_RATE="1000000/min" PROVIDER_EXPORT_RATE="1000000/min"
# Registering a live model probes its endpoint: schemathesis' URLs are refused
# (private addresses, names that do not resolve) or answered by whatever is
# there; short limits keep a probe of an address that never answers short.
export PROVIDER_ENDPOINTS_ALLOW_PRIVATE=0 PROVIDER_PROBE_TIMEOUT_S=2 PROVIDER_DNS_TIMEOUT_S=1

work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT

echo "fresh database $DB"
psql "$PG_URL/postgres" -qtA -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null
psql "$PG_URL/postgres" -qtA -c "CREATE DATABASE $DB" >/dev/null
.venv/bin/python manage.py migrate --noinput -v 0
.venv/bin/python manage.py load_demo >/dev/null

# A provider (not an operator): the API as most callers see it, with a key
# holding every scope, for the demo organisation that has models and answers.
.venv/bin/python manage.py shell -v 0 -c '
from datafi.accounts import services as s
from datafi.accounts.models import ApiKey, Organization
org = Organization.objects.order_by("slug").first()
user = s.user_create(username="schemathesis", password="schemathesis-password-1")
s.membership_add(organization=org, user=user, role="owner")
key = s.api_key_create(
    organization=org, name="schemathesis", scopes=list(ApiKey.Scope.values), created_by=user
)
print(key.plaintext)
' >"$work/key"
KEY="$(tail -n 1 "$work/key")"

echo "server: ${SERVER_CMD[*]}"
"${SERVER_CMD[@]}" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 240); do
  if curl -fs -o /dev/null "http://127.0.0.1:$PORT/api/v1/schema" 2>/dev/null; then break; fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "the server did not start:" >&2
    cat "$work/server.log" >&2
    exit 1
  fi
  sleep 0.5
done

status=0
repo="$PWD"
# From the scratch directory: schemathesis keeps a cache in ./.schemathesis.
(cd "$work" && SCHEMATHESIS_HOOKS=ci_schemathesis_hooks PYTHONPATH="$repo/.ci" \
  "$repo/.venv/bin/schemathesis" --config-file "$repo/.ci/schemathesis.toml" \
  run "http://127.0.0.1:$PORT/api/v1/schema" \
  --wait-for-schema 60 \
  --checks all \
  --max-examples "$EXAMPLES" \
  --max-time "${SCHEMATHESIS_MAX_TIME:-330}" \
  --workers 1 \
  --seed "${SCHEMATHESIS_SEED:-20261130}" \
  --suppress-health-check all \
  --request-timeout 30 \
  --header "Authorization: Bearer $KEY" \
  --report junit --report-dir "${SCHEMATHESIS_REPORT_DIR:-$work/report}") || status=$?

if ! kill -0 "$server_pid" 2>/dev/null; then
  echo "FAIL: the server process died during the run" >&2
  tail -n 50 "$work/server.log" >&2
  status=1
elif grep -qE "Traceback|Internal Server Error" "$work/server.log"; then
  echo "FAIL: the server logged an error:" >&2
  grep -nE -A20 "Traceback|Internal Server Error" "$work/server.log" | head -n 80 >&2
  status=1
fi
exit "$status"
