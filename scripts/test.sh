#!/usr/bin/env bash
# The whole suite twice: on SQLite, then on PostgreSQL. Uses the servers that answer on this
# machine, else starts throwaway ones (and removes them on exit); never skips PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PG_PROBE_HOST=${PG_PROBE_HOST:-127.0.0.1}
PG_PROBE_PORT=${PG_PROBE_PORT:-5432}
REDIS_PROBE_PORT=${REDIS_PROBE_PORT:-6379}
WORK=$(mktemp -d)
PG_DATA="" REDIS_PIDFILE=""

cleanup() {
  if [ -n "$PG_DATA" ]; then runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1 || true; fi
  if [ -n "$REDIS_PIDFILE" ] && [ -f "$REDIS_PIDFILE" ]; then kill "$(cat "$REDIS_PIDFILE")" 2>/dev/null || true; fi
  rm -rf "$WORK" 2>/dev/null || { sleep 1; rm -rf "$WORK"; }
}
trap cleanup EXIT

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

apt_install() {
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

answers_pg() { "$PY" - "$1" <<'PYEOF'
import sys, psycopg
try:
    psycopg.connect(sys.argv[1], connect_timeout=3).close()
except Exception:
    sys.exit(1)
PYEOF
}

start_throwaway_postgres() {
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$PG_BIN" ]; then apt_install postgresql >/dev/null; PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1); fi
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  PG_DATA="$WORK/pgdata"; mkdir -p "$PG_DATA" "$WORK/pgsock"; chown -R postgres "$WORK"
  chmod 755 "$WORK"
  local port; port=$(free_port)
  # initdb refuses to run as root: the cluster belongs to the postgres user.
  runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DATA" -A trust -U postgres -E UTF8 >/dev/null
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DATA" -w -l "$WORK/pg.log" \
    -o "-p $port -k $WORK/pgsock -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
  runuser -u postgres -- "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres test
  TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$port/test"
  PG_WHERE="127.0.0.1:$port (throwaway cluster started by this run)"
}

choose_postgres() {
  if [ -n "${TEST_DATABASE_URL:-}" ]; then PG_WHERE="TEST_DATABASE_URL"; return; fi
  local url="postgresql+psycopg://postgres@$PG_PROBE_HOST:$PG_PROBE_PORT/test"
  if answers_pg "${url/+psycopg/}"; then
    TEST_DATABASE_URL=$url; PG_WHERE="$PG_PROBE_HOST:$PG_PROBE_PORT (already running)"
  else
    start_throwaway_postgres
  fi
}

choose_redis() {
  if [ -n "${TEST_REDIS_URL:-}" ]; then REDIS_WHERE="TEST_REDIS_URL"; return; fi
  if command -v redis-cli >/dev/null && [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PROBE_PORT" ping 2>/dev/null)" = "PONG" ]; then
    TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PROBE_PORT/15"; REDIS_WHERE="127.0.0.1:$REDIS_PROBE_PORT (already running)"
    return
  fi
  command -v redis-server >/dev/null || apt_install redis-server >/dev/null
  local port; port=$(free_port)
  REDIS_PIDFILE="$WORK/redis.pid"
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
    --pidfile "$REDIS_PIDFILE" --logfile "$WORK/redis.log" --dir "$WORK" >/dev/null
  for _ in $(seq 50); do [ "$(redis-cli -p "$port" ping 2>/dev/null)" = "PONG" ] && break; sleep 0.1; done
  TEST_REDIS_URL="redis://127.0.0.1:$port/15"; REDIS_WHERE="127.0.0.1:$port (throwaway server started by this run)"
}

run_pytest() {
  local status=0
  # Both cores work: pytest-xdist workers, each on its own database (see tests/conftest.py).
  ${PYTEST_CMD:-$PY -m pytest -q -p no:cacheprovider -n "${PYTEST_WORKERS:-$(nproc)}" --dist worksteal} "$@" || status=$?
  if [ "$status" -eq 5 ]; then echo "make test: no tests were collected" >&2; return 1; fi
  return "$status"
}

# Compiled modules are kept (in the git-ignored __pycache__ folders): each pytest process (two passes,
# a worker per core in each) otherwise compiles the app and rewrites every test module anew, ~7 s each.
unset PYTHONDONTWRITEBYTECODE

echo "== lint: ruff check, ruff format --check =="
.venv/bin/ruff check .
.venv/bin/ruff format --check --quiet grants tests

choose_redis
export TEST_REDIS_URL
echo "Redis for the tests: $REDIS_WHERE"

echo "== pass 1/2: SQLite =="
(unset TEST_DATABASE_URL; run_pytest "$@")

choose_postgres
echo "== pass 2/2: PostgreSQL at $PG_WHERE =="
TEST_DATABASE_URL=$TEST_DATABASE_URL run_pytest "$@"

echo "make test: SQLite pass ok, PostgreSQL pass ok"
