#!/usr/bin/env bash
# Browser end to end: the built front end (web/dist) served by the real control-api, a real
# livekit-server, the agent worker and the Deepgram wire-format fake, all on free loopback
# ports, driven by Playwright through Debian's Chromium with a fake microphone that plays a
# spoken answer (espeak-ng) followed by silence. Tests and screenshots: web/e2e/, config:
# web/playwright.config.ts. Bounded: every wait polls with a limit and the Playwright run has
# a hard time limit. Logs go to a temp dir whose tails are printed on failure.
#
# Needs web/node_modules and web/dist (scripts/setup.sh builds them). Arguments go to
# `playwright test` (for example `--grep "network drop"`).
# Env: BROWSER_ARTIFACTS (screenshots, default web/test-results/screenshots),
#      BROWSER_TIME_LIMIT seconds for the Playwright run (default 480; its global timeout,
#      with a hard kill a minute later),
#      BROWSER_KEEP_LOGS=1 keeps the log dir after a passing run.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-${INTERVIEWER_CACHE:-$HOME/.cache/ai-interviewer}/target}
time_limit=${BROWSER_TIME_LIMIT:-480}

for need in web/node_modules/@playwright/test web/node_modules/@axe-core/playwright web/dist/index.html; do
  if [ ! -e "$need" ]; then
    echo "browser tests: $need is missing; build the front end first (scripts/setup.sh, or: cd web && npm ci && npm run build)" >&2
    exit 1
  fi
done
for tool in /usr/bin/chromium espeak-ng sox curl python3; do
  command -v "$tool" >/dev/null || { echo "browser tests: $tool is not installed (scripts/apt-packages.txt)" >&2; exit 1; }
done

# (`--bin` applies to every package named, so each binary is named.)
cargo build -q --locked -p control-api -p agent -p tests --bin control-api --bin agent --bin fakes
bin=$CARGO_TARGET_DIR/debug

# A name of its own: a broad clean-up of /tmp/tmp.* elsewhere must not take the logs and
# the database away mid-run.
work=$(mktemp -d -t interviewer-browser.XXXXXX)
pids=()
names=()
ok=false
cleanup() {
  local status=$?
  if ! $ok; then
    for i in "${!pids[@]}"; do
      kill -0 "${pids[$i]}" 2>/dev/null || echo "browser tests: ${names[$i]} had exited before the end" >&2
    done
  fi
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if ! $ok; then
    for log in "$work"/*.log; do
      [ -e "$log" ] || continue
      echo "---- tail of $(basename "$log")" >&2
      # livekit-server --dev logs at debug level: show its other lines, each cut short.
      # The Rust binaries colour their logs: strip the escapes.
      grep -v '	DEBUG	' "$log" | sed 's/\x1b\[[0-9;]*m//g' | tail -n 30 | cut -c 1-400 >&2
    done
    echo "browser tests: logs kept in $work" >&2
  elif [ "${BROWSER_KEEP_LOGS:-}" = 1 ]; then
    echo "browser tests: logs in $work"
  else
    rm -rf "$work"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Waits until `curl URL` answers 2xx, at most $2 tenths of a second, while process $3 lives.
wait_http() {
  local url=$1 tries=$2 pid=$3 name=$4
  for _ in $(seq 1 "$tries"); do
    curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { echo "browser tests: $name exited" >&2; return 1; }
    sleep 0.1
  done
  echo "browser tests: $name not ready at $url" >&2
  return 1
}

# Free loopback ports: livekit (HTTP/WebSocket, ICE TCP, ICE UDP), control-api, worker health.
read -r lk_http lk_tcp lk_udp api_port worker_port < <(python3 - <<'PY'
import socket
held, ports = [], []
for kind in (socket.SOCK_STREAM, socket.SOCK_STREAM, socket.SOCK_DGRAM, socket.SOCK_STREAM, socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    held.append(s)
    ports.append(s.getsockname()[1])
for s in held:
    s.close()
print(*ports)
PY
)
base_url="http://127.0.0.1:$api_port"

# The fake microphone: 14 s of silence, a spoken answer (about 4 s), 11 s of silence; Chromium
# plays it from the start for every capture and loops it. So the candidate first listens to
# the agent's opening disclosure (about 12 s), then answers, and between answers there are
# 25 s of silence in which the agent's long-silence nudge (12 s) fires.
espeak-ng -s 165 -w "$work/answer.wav" \
  "I have built backend services in Rust for five years, mostly payment systems." >/dev/null
sox "$work/answer.wav" -r 48000 -c 1 -b 16 "$work/mic.wav" pad 14 11

# The Deepgram fake "hears" these, one per speech burst, in turn. Each says yes (the agent's
# spoken consent question comes first) and none says no or not; each is about as many words
# as the spoken answer, so that the speech rate the agent measures stays natural.
"$bin/fakes" \
  --stt-utterance "Yes, I have built backend services in Rust for five years." \
  --stt-utterance "Sure, I moved our monolith to Kubernetes and cut latency." \
  --stt-utterance "Okay, I designed a Tokio pipeline for payment messages." \
  >"$work/fakes.log" 2>&1 &
pids+=($!) names+=(fakes)
deepgram_url=
for _ in $(seq 1 100); do
  deepgram_url=$(sed -n 's/^DEEPGRAM_URL=//p' "$work/fakes.log")
  [ -n "$deepgram_url" ] && break
  kill -0 "${pids[0]}" 2>/dev/null || break
  sleep 0.1
done
[ -n "$deepgram_url" ] || { echo "browser tests: the fakes did not start" >&2; exit 1; }

export LIVEKIT_URL="ws://127.0.0.1:$lk_http"
export LIVEKIT_API_KEY=devkey
export LIVEKIT_API_SECRET=secret
export SERVICE_TOKEN="browser-service-$RANDOM$RANDOM$RANDOM"
cat >"$work/livekit.yaml" <<YAML
port: $lk_http
bind_addresses: ["127.0.0.1"]
rtc:
  udp_port: $lk_udp
  tcp_port: $lk_tcp
  node_ip: 127.0.0.1
  enable_loopback_candidate: true
  ips:
    includes: ["127.0.0.1/32"]
  use_external_ip: false
  stun_servers: ["127.0.0.1:3478"]
webhook:
  api_key: $LIVEKIT_API_KEY
  urls: ["$base_url/api/v1/livekit/webhook"]
YAML
.tools/bin/livekit-server --dev --config "$work/livekit.yaml" >"$work/livekit.log" 2>&1 &
pids+=($!) names+=(livekit-server)
wait_http "http://127.0.0.1:$lk_http/" 200 "${pids[-1]}" livekit-server

# The offline heuristic scorer (nothing leaves the machine), the pages from web/dist.
env -u EVALUATION_LLM_BASE_URL -u EVALUATION_LLM_API_KEY -u CORS_ORIGINS \
  DATABASE_URL="sqlite://$work/interviewer.db?mode=rwc" BIND="127.0.0.1:$api_port" \
  PUBLIC_URL="$base_url" WEB_DIR="$root/web/dist" \
  "$bin/control-api" >"$work/control-api.log" 2>&1 &
api_pid=$!
pids+=("$api_pid") names+=(control-api)
wait_http "$base_url/ready" 600 "$api_pid" control-api

# The scripted interviewer and espeak-ng voice; speech recognition from the Deepgram fake.
# --max-load 2 turns load-based refusal off: Chromium shares the two cores with the worker.
env -u DEEPGRAM_API_KEY -u STT_PROVIDER -u STT_TRANSCRIPTIONS_URL -u LLM_PROVIDER -u TTS_PROVIDER \
  DEEPGRAM_URL="$deepgram_url" WORKER_HTTP="127.0.0.1:$worker_port" \
  "$bin/agent" worker --loopback --max-load 2 --control-api "$base_url" \
  --onnx-runtime "$root/.tools/onnx/libonnxruntime.so" --silero-model "$root/.tools/onnx/silero_vad.onnx" \
  >"$work/agent.log" 2>&1 &
pids+=($!) names+=("agent worker")
wait_http "http://127.0.0.1:$worker_port/ready" 600 "${pids[-1]}" "agent worker"
wait_http "$base_url/" 50 "$api_pid" "control-api (web pages)"

echo "browser tests: stack up at $base_url (logs in $work)"
start=$(date +%s)
(
  cd web
  BASE_URL="$base_url" FAKE_AUDIO_WAV="$work/mic.wav" \
    ARTIFACT_DIR="${BROWSER_ARTIFACTS:-$root/web/test-results/screenshots}" \
    BROWSER_TIME_LIMIT="$time_limit" timeout --kill-after=10 "$((time_limit + 60))" npx playwright test "$@"
)
echo "browser tests: passed in $(( $(date +%s) - start )) s"
ok=true
