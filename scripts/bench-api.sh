#!/usr/bin/env bash
# Load benchmark of control-api (release build) on loopback with wrk, on SQLite and on the
# local PostgreSQL: throughput and latency percentiles per endpoint.
#
# Interview endpoints (`POST /api/v1/interviews/{id}/token`, `GET /api/v1/interviews/{id}`) are
# measured when the service documents them in /openapi.json; until then the script measures
# what exists (`GET /api/v1/auth/me`, `POST /api/v1/auth/login`) and says so.
#
# Usage: scripts/bench-api.sh [sqlite|postgres|both]   (default both)
# Env:   BENCH_SECONDS (10), BENCH_CONNECTIONS (32), BENCH_THREADS (2),
#        BENCH_POSTGRES_ADMIN_URL (postgres://interviewer:interviewer@127.0.0.1:5432/postgres),
#        BENCH_INTERVIEW_BODY, BENCH_TOKEN_BODY (JSON bodies for interview create and token).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-${INTERVIEWER_CACHE:-$HOME/.cache/ai-interviewer}/target}
which=${1:-both}
seconds=${BENCH_SECONDS:-10}
connections=${BENCH_CONNECTIONS:-32}
threads=${BENCH_THREADS:-2}
pg_admin=${BENCH_POSTGRES_ADMIN_URL:-postgres://interviewer:interviewer@127.0.0.1:5432/postgres}
interview_body=${BENCH_INTERVIEW_BODY:-'{"title":"Bench interview","job_description":"Backend engineer","candidate_name":"Bench Candidate","candidate_email":"candidate@example.com","language":"en","duration_minutes":30}'}
token_body=${BENCH_TOKEN_BODY:-'{}'}

command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk; see scripts/apt-packages.txt)" >&2; exit 1; }
cargo build -q --release -p control-api --bin control-api --locked
bin="$CARGO_TARGET_DIR/release/control-api"

work=$(mktemp -d)
server_pid=
pg_db=
stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
  fi
}
drop_pg() {
  if [ -n "$pg_db" ]; then
    psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true
    pg_db=
  fi
}
cleanup() {
  stop_server
  drop_pg
  rm -rf "$work"
}
trap cleanup EXIT

# Starts the service on a kernel-chosen loopback port; sets $base.
start_server() {
  local url=$1 log="$work/server-$2.log"
  NO_COLOR=1 RUST_LOG=warn,control_api=info BIND=127.0.0.1:0 DATABASE_URL="$url" \
    JWT_SECRET="bench-$RANDOM$RANDOM" LOGIN_ATTEMPTS_PER_MINUTE=100000000 RATE_LIMIT_USER_PER_MINUTE=0 \
    RATE_LIMIT_ANONYMOUS_PER_MINUTE=0 PASSWORD_HASH_QUEUE=1000 \
    "$bin" >"$log" 2>&1 &
  server_pid=$!
  local addr=
  for _ in $(seq 1 300); do
    addr=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -o 'addr=127\.0\.0\.1:[0-9]*' | head -1 | cut -d= -f2 || true)
    if [ -n "$addr" ] && curl -fsS "http://$addr/ready" >/dev/null 2>&1; then
      base="http://$addr"
      return 0
    fi
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$log" >&2
  echo "control-api did not become ready" >&2
  exit 1
}

json_field() {
  .venv/bin/python -c "import json,sys; print(json.load(sys.stdin)[sys.argv[1]])" "$1" 2>/dev/null ||
    python3 -c "import json,sys; print(json.load(sys.stdin)[sys.argv[1]])" "$1"
}

# wrk Lua script for one request shape.
lua() {
  local file=$1 method=$2 body=$3 token=$4
  {
    echo "wrk.method = \"$method\""
    echo "wrk.headers[\"Authorization\"] = \"Bearer $token\""
    if [ -n "$body" ]; then
      echo 'wrk.headers["Content-Type"] = "application/json"'
      printf 'wrk.body = [[%s]]\n' "$body"
    fi
  } >"$file"
}

# Runs wrk and prints one result row.
run_wrk() {
  local backend=$1 label=$2 url=$3 script=$4 conns=${5:-$connections}
  local out="$work/wrk.out"
  wrk -t"$threads" -c"$conns" -d"${seconds}s" --latency -s "$script" "$url" >"$out"
  local rps p50 p99 errors
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$out")
  p50=$(awk '$1 == "50%" {print $2}' "$out")
  p99=$(awk '$1 == "99%" {print $2}' "$out")
  errors=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$out")
  printf '%-9s %-38s %12s %10s %10s %10s\n' "$backend" "$label" "$rps" "$p50" "$p99" "${errors:-0}"
}

bench_backend() {
  local backend=$1 url
  case "$backend" in
    sqlite) url="sqlite://$work/bench.db?mode=rwc" ;;
    postgres)
      pg_db="bench_$(date +%s)_$RANDOM"
      psql -q "$pg_admin" -c "CREATE DATABASE $pg_db" >/dev/null
      url="${pg_admin%/*}/$pg_db"
      ;;
    *) echo "unknown backend $backend" >&2; exit 2 ;;
  esac
  start_server "$url" "$backend"
  local email="bench-$backend@example.com" password="bench-password-1"
  curl -fsS -H 'content-type: application/json' \
    -d "{\"email\":\"$email\",\"password\":\"$password\"}" "$base/api/v1/auth/register" >/dev/null
  local token
  token=$(curl -fsS -H 'content-type: application/json' \
    -d "{\"username\":\"$email\",\"password\":\"$password\"}" "$base/api/v1/auth/login" | json_field access_token)

  local measured=0
  if curl -fsS "$base/openapi.json" | grep -q '/api/v1/interviews/{id}/token'; then
    local interview
    if interview=$(curl -fsS -H 'content-type: application/json' -H "authorization: Bearer $token" \
      -d "$interview_body" "$base/api/v1/interviews" | json_field id); then
      lua "$work/token.lua" POST "$token_body" "$token"
      lua "$work/get.lua" GET "" "$token"
      if curl -fsS -o /dev/null -X POST -H 'content-type: application/json' -H "authorization: Bearer $token" \
        -d "$token_body" "$base/api/v1/interviews/$interview/token"; then
        run_wrk "$backend" "POST /api/v1/interviews/{id}/token" "$base/api/v1/interviews/$interview/token" "$work/token.lua"
        measured=1
      else
        echo "# $backend: POST /interviews/{id}/token refused BENCH_TOKEN_BODY; set it" >&2
      fi
      run_wrk "$backend" "GET /api/v1/interviews/{id}" "$base/api/v1/interviews/$interview" "$work/get.lua"
    else
      echo "# $backend: creating an interview with BENCH_INTERVIEW_BODY failed; set it" >&2
    fi
  fi
  if [ "$measured" -eq 0 ]; then
    echo "# $backend: interview endpoints not available; measuring the existing ones" >&2
  fi
  lua "$work/me.lua" GET "" "$token"
  run_wrk "$backend" "GET /api/v1/auth/me" "$base/api/v1/auth/me" "$work/me.lua"
  lua "$work/login.lua" POST "{\"username\":\"$email\",\"password\":\"$password\"}" "$token"
  # Login verifies an argon2 hash (deliberately slow): fewer connections.
  run_wrk "$backend" "POST /api/v1/auth/login (argon2)" "$base/api/v1/auth/login" "$work/login.lua" 4
  stop_server
  drop_pg
}

echo "control-api release build, wrk ${threads} threads, ${connections} connections, ${seconds}s per row, loopback; $(nproc) cores shared by server and load generator"
printf '%-9s %-38s %12s %10s %10s %10s\n' backend endpoint "req/s" p50 p99 non-2xx
case "$which" in
  both) bench_backend sqlite; bench_backend postgres ;;
  sqlite | postgres) bench_backend "$which" ;;
  *) echo "usage: $0 [sqlite|postgres|both]" >&2; exit 2 ;;
esac
