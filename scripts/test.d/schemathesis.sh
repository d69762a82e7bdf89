#!/usr/bin/env bash
# Property-based API test: schemathesis (pinned in scripts/requirements-test.txt, installed in
# .venv) generates requests from the real control-api's /openapi.json and checks that no
# response is a server error or breaks the documented schema, status codes, content types or
# headers. The service runs from its built binary on a free loopback port with SQLite in a temp
# dir; requests carry a bearer token of a freshly registered user. Bounded: a fixed number of
# examples per operation, one worker, and a hard time limit. A real livekit-server on free
# loopback ports backs the start/token operations; the agent's internal operations get the
# service token; stored objects are seeded so that operations on an id reach their logic.
# Request rate limits are off for the run (they are tested in control-api/tests/rate_limits.rs).
#
# Env: SCHEMATHESIS_MAX_EXAMPLES (default 50), SCHEMATHESIS_TIME_LIMIT seconds (default 480),
#      SCHEMATHESIS_SEED (default 1).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-${INTERVIEWER_CACHE:-$HOME/.cache/ai-interviewer}/target}
max_examples=${SCHEMATHESIS_MAX_EXAMPLES:-50}
time_limit=${SCHEMATHESIS_TIME_LIMIT:-480}
seed=${SCHEMATHESIS_SEED:-1}

if ! .venv/bin/schemathesis --version >/dev/null 2>&1; then
  .venv/bin/pip install -q -r scripts/requirements-test.txt
fi
cargo build -q -p control-api --bin control-api --locked
bin="$CARGO_TARGET_DIR/debug/control-api"

work=$(mktemp -d)
server_pid=
livekit_pid=
cleanup() {
  for pid in "$server_pid" "$livekit_pid"; do
    if [ -n "$pid" ]; then
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$work"
}
trap cleanup EXIT

# livekit-server on free loopback ports (the same settings as tests::livekit::LiveKitServer).
livekit_secret="schemathesis-livekit-secret-0123456789"
read -r lk_http lk_tcp lk_udp < <(.venv/bin/python - <<'PY'
import socket
ports = []
for kind in (socket.SOCK_STREAM, socket.SOCK_STREAM, socket.SOCK_DGRAM):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    ports.append(s.getsockname()[1])
    s.close()
print(*ports)
PY
)
cat >"$work/livekit.yaml" <<YAML
port: $lk_http
bind_addresses: ["127.0.0.1"]
log_level: warn
rtc:
  udp_port: $lk_udp
  tcp_port: $lk_tcp
  node_ip: 127.0.0.1
  enable_loopback_candidate: true
  ips:
    includes: ["127.0.0.1/32"]
  use_external_ip: false
  stun_servers: ["127.0.0.1:3478"]
keys:
  devkey: $livekit_secret
YAML
.tools/bin/livekit-server --config "$work/livekit.yaml" >"$work/livekit.log" 2>&1 &
livekit_pid=$!
for _ in $(seq 1 200); do
  curl -fsS "http://127.0.0.1:$lk_http/" >/dev/null 2>&1 && break
  kill -0 "$livekit_pid" 2>/dev/null || { cat "$work/livekit.log" >&2; echo "livekit-server exited" >&2; exit 1; }
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$lk_http/" >/dev/null || { cat "$work/livekit.log" >&2; echo "livekit-server not ready" >&2; exit 1; }
service_token="schemathesis-service-$RANDOM$RANDOM"

# Port 0: the kernel picks a free port; the service logs the address it bound.
NO_COLOR=1 RUST_LOG=info BIND=127.0.0.1:0 \
  DATABASE_URL="sqlite://$work/api.db?mode=rwc" \
  JWT_SECRET="schemathesis-$RANDOM$RANDOM" \
  LOGIN_ATTEMPTS_PER_MINUTE=100000 RATE_LIMIT_USER_PER_MINUTE=0 RATE_LIMIT_KEY_PER_MINUTE=0 \
  RATE_LIMIT_ANONYMOUS_PER_MINUTE=0 REGISTRATIONS_PER_MINUTE=0 \
  LIVEKIT_URL="ws://127.0.0.1:$lk_http" LIVEKIT_API_KEY=devkey LIVEKIT_API_SECRET="$livekit_secret" \
  SERVICE_TOKEN="$service_token" \
  "$bin" >"$work/server.log" 2>&1 &
server_pid=$!
addr=
for _ in $(seq 1 200); do
  addr=$(sed 's/\x1b\[[0-9;]*m//g' "$work/server.log" | grep -o 'addr=127\.0\.0\.1:[0-9]*' | head -1 | cut -d= -f2 || true)
  if [ -n "$addr" ] && curl -fsS "http://$addr/ready" >/dev/null 2>&1; then
    break
  fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    cat "$work/server.log" >&2
    echo "control-api exited before becoming ready" >&2
    exit 1
  fi
  sleep 0.1
done
[ -n "$addr" ] || { cat "$work/server.log" >&2; echo "control-api did not report its address" >&2; exit 1; }
base="http://$addr"

email="schemathesis@example.com"
password="correct-horse-battery-staple"
curl -fsS -H 'content-type: application/json' \
  -d "{\"email\":\"$email\",\"password\":\"$password\"}" "$base/api/v1/auth/register" >/dev/null
token=$(curl -fsS -H 'content-type: application/json' \
  -d "{\"username\":\"$email\",\"password\":\"$password\"}" "$base/api/v1/auth/login" |
  .venv/bin/python -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

# One stored resume, so that the /resumes/{id} operations reach their logic, not only 404.
.venv/bin/python - >"$work/cv.pdf" <<'PY'
import sys
lines = ["Jane Doe", "jane@example.com | +1-555-123-4567", "EXPERIENCE",
         "Senior Engineer | Tech Corp | Jan 2020 - Present", "- Built the platform",
         "EDUCATION", "Stanford University, Master of Science in Computer Science, 2017",
         "SKILLS", "Rust, Go, PostgreSQL"]
def esc(s): return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
content = "BT /F1 11 Tf 14 TL 40 800 Td " + " ".join(f"({esc(l)}) Tj T*" for l in lines) + " ET"
objs = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] >>",
    "<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
]
out = bytearray(b"%PDF-1.4\n")
offsets = []
for i, body in enumerate(objs, 1):
    offsets.append(len(out))
    out += f"{i} 0 obj\n{body}\nendobj\n".encode()
xref = len(out)
out += f"xref\n0 {len(objs)+1}\n0000000000 65535 f \n".encode()
for off in offsets:
    out += f"{off:010d} 00000 n \n".encode()
out += f"trailer\n<< /Size {len(objs)+1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
sys.stdout.buffer.write(out)
PY
upload_resume() {
  curl -fsS -H "authorization: Bearer $token" -F "file=@$work/cv.pdf;type=application/pdf" \
    "$base/api/v1/resumes/upload" | .venv/bin/python -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}
resume_id=$(upload_resume)
doomed_id=$(upload_resume)
post_json() {
  curl -fsS -H "authorization: Bearer $token" -H 'content-type: application/json' -d "$2" "$base$1" |
    .venv/bin/python -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}
role_body='{"name":"Backend Engineer","category":"Engineering","specialization":"Backend","experience_level":"Senior","required_skills":[{"name":"Rust","level":"Expert"}],"interview_structure":{"technical":2,"behavioral":1,"coding":1}}'
role_id=$(post_json /api/v1/roles "$role_body")
interview_body="{\"title\":\"Backend interview\",\"role_id\":\"$role_id\",\"resume_id\":\"$resume_id\",\"candidate_name\":\"Jane Doe\",\"candidate_email\":\"jane@example.com\",\"duration_minutes\":30}"
interview_id=$(post_json /api/v1/interviews "$interview_body")
completed_id=$(post_json /api/v1/interviews "$interview_body")
# The agent's internal operations: service token and a stored interview, in both runs below.
cat >"$work/internal.toml" <<TOML
[[operations]]
include-path-regex = "/internal/"
headers = { Authorization = "Bearer $service_token" }
parameters = { "path.id" = "$interview_id" }
TOML
# Generated phases: operations on an id get stored objects. DELETE and complete get their own
# objects so that they cannot take the others away mid-run; role and interview deletes reach
# real ids in the stateful run, through the document's links.
cat "$work/internal.toml" - >"$work/generated.toml" <<TOML
[[operations]]
include-operation-id-regex = "^(read|update|download)_resume$"
parameters = { "path.id" = "$resume_id" }

[[operations]]
include-operation-id = "delete_resume"
parameters = { "path.id" = "$doomed_id" }

[[operations]]
include-operation-id-regex = "^(read|update)_role$"
parameters = { "path.id" = "$role_id" }

[[operations]]
include-operation-id-regex = "^(read_interview|update_interview|start_interview|interview_token|interview_state|interview_report|interview_report_feedback|api_interview_token|submit_code)$"
parameters = { "path.id" = "$interview_id" }

[[operations]]
include-operation-id = "complete_interview"
parameters = { "path.id" = "$completed_id" }
TOML

# Logout would revoke the token the rest of the run depends on; it is tested in tests/sessions.rs.
# Two runs: the generated phases with the stored ids above, then the stateful phase without
# them (an override would replace the ids that links pass from one call to the next).
deadline=$((SECONDS + time_limit))
status=0
run_schemathesis() {
  local config=$1 phases=$2 left=$((deadline - SECONDS))
  [ "$left" -gt 0 ] || return 124
  # Run from the temp dir: schemathesis keeps its example database in the working directory.
  # One worker: with two, CPython 3.11's ast module (used by hypothesis to describe filters) can
  # fail with "AST constructor recursion depth mismatch" when two threads parse at once.
  (cd "$work" && timeout --kill-after=10 "$left" "$root/.venv/bin/schemathesis" --config-file "$config" run "$base/openapi.json" \
    --header "Authorization: Bearer $token" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,negative_data_rejection,ignored_auth,use_after_free,ensure_resource_availability \
    --exclude-path /api/v1/auth/logout \
    --phases "$phases" \
    --max-examples "$max_examples" \
    --seed "$seed" \
    --workers 1 \
    --request-timeout 30 \
    --no-color \
    --report junit --report-dir "$work/report")
}
run_schemathesis "$work/generated.toml" examples,coverage,fuzzing || status=$?
if [ "$status" -eq 0 ]; then
  run_schemathesis "$work/internal.toml" stateful || status=$?
fi
if [ "$status" -ne 0 ]; then
  echo "== control-api log (last 50 lines)" >&2
  tail -50 "$work/server.log" >&2
  if [ "$status" -eq 124 ]; then
    echo "schemathesis exceeded ${time_limit}s" >&2
  fi
fi
exit "$status"
