#!/usr/bin/env bash
# Runs the product on one machine with embedded defaults: a local livekit-server in loopback
# dev mode, control-api on SQLite, and an agent worker on local providers (the offline
# pocketsphinx recognizer, the scripted or an OpenAI-compatible interviewer, espeak-ng)
# unless cloud keys are set. Ctrl-C stops everything.
#
#   scripts/run.sh          the stack, until Ctrl-C; prints an invite link to a demo
#                           interview (open it in a browser and talk) and the console's
#                           sign-in
#   scripts/run.sh --demo   the stack plus a simulated candidate answering a two-minute
#                           interview by voice; prints the transcript and the report's
#                           location, then stops everything
set -euo pipefail
demo=false
case "${1:-}" in
  --demo) demo=true ;;
  "") ;;
  *) echo "usage: scripts/run.sh [--demo]" >&2; exit 2 ;;
esac
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/setup.sh
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-${INTERVIEWER_CACHE:-$HOME/.cache/ai-interviewer}/target}
cargo build --locked -p control-api -p agent
if $demo; then cargo build --locked -p tests --bin demo; fi
bin=$CARGO_TARGET_DIR/debug

export LIVEKIT_URL=${LIVEKIT_URL:-ws://127.0.0.1:7880}
export LIVEKIT_API_KEY=${LIVEKIT_API_KEY:-devkey}
export LIVEKIT_API_SECRET=${LIVEKIT_API_SECRET:-secret}
if $demo; then
  # The demo keeps its own database, so it starts from nothing every time.
  rm -f "$root/.data/demo.db"
  export DATABASE_URL=sqlite://$root/.data/demo.db?mode=rwc
fi
export DATABASE_URL=${DATABASE_URL:-sqlite://$root/.data/interviewer.db?mode=rwc}
export BIND=${BIND:-127.0.0.1:8000}
export WEB_DIR=${WEB_DIR:-$root/web/dist}
mkdir -p "$root/.data"

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

cat >"$root/.data/livekit-dev.yaml" <<YAML
port: 7880
bind_addresses: ["127.0.0.1"]
rtc:
  udp_port: 7882
  tcp_port: 7881
  node_ip: 127.0.0.1
  enable_loopback_candidate: true
  ips:
    includes: ["127.0.0.1/32"]
  use_external_ip: false
# Room and participant events go to control-api: it re-dispatches the agent when a worker dies
# mid-interview and removes anyone who rejoins an interview that is over.
webhook:
  api_key: $LIVEKIT_API_KEY
  urls: ["http://$BIND/api/v1/livekit/webhook"]
YAML
.tools/bin/livekit-server --dev --config "$root/.data/livekit-dev.yaml" >"$root/.data/livekit.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  curl -fsS http://127.0.0.1:7880/ >/dev/null 2>&1 && break
  sleep 0.1
done

"$bin/control-api" &
pids+=($!)
# The worker runs the voice interview. Speech recognition: Deepgram with DEEPGRAM_API_KEY (or
# DEEPGRAM_URL), else an OpenAI-compatible transcription server with STT_TRANSCRIPTIONS_URL,
# else the local pocketsphinx recognizer (STT_PROVIDER forces one). The interviewer: scripted
# or an OpenAI-compatible LLM (LLM_PROVIDER=open-ai, LLM_API_KEY); the voice: espeak-ng or a
# cloud voice (TTS_PROVIDER); Silero VAD from the tools folder. The worker checks its
# providers before it registers and exits naming the one that is not ready.
export SERVICE_TOKEN=${SERVICE_TOKEN:-dev-service-token}
if [ -n "${DEEPGRAM_API_KEY:-}" ] || [ -n "${DEEPGRAM_URL:-}" ]; then
  stt_note="Deepgram"
elif [ -n "${STT_TRANSCRIPTIONS_URL:-}" ]; then
  stt_note="transcriptions at $STT_TRANSCRIPTIONS_URL"
else
  stt_note="local pocketsphinx (offline, English)"
fi
agent_note="dispatched as \"${AGENT_NAME:-interviewer}\" into every started interview; speech: ${STT_PROVIDER:-$stt_note}"
export WORKER_HTTP=${WORKER_HTTP:-127.0.0.1:9100}
"$bin/agent" worker --loopback --control-api "http://$BIND" \
  --onnx-runtime "$root/.tools/onnx/libonnxruntime.so" --silero-model "$root/.tools/onnx/silero_vad.onnx" \
  >"$root/.data/agent.log" 2>&1 &
pids+=($!)

cat <<MSG

  livekit-server  $LIVEKIT_URL   (keys $LIVEKIT_API_KEY / $LIVEKIT_API_SECRET, log .data/livekit.log)
  control-api     http://$BIND   (console at /, API under /api/v1, docs at /docs)
  database        $DATABASE_URL
  agent worker    $agent_note
                  (log .data/agent.log, health http://$WORKER_HTTP/ready)
                  (see README "Configuration")

MSG
if ! $demo; then
  # A demo role and interview, so that a newcomer has a link to open.
  for _ in $(seq 1 300); do
    curl -fsS "http://$BIND/ready" >/dev/null 2>&1 && break
    kill -0 "${pids[1]}" 2>/dev/null || { echo "control-api exited; see above" >&2; exit 1; }
    sleep 0.1
  done
  python3 "$root/scripts/seed-demo.py" "http://$BIND"
fi
echo
echo "  Ctrl-C stops everything."
if $demo; then
  # The worker checks its providers, then registers: wait for it to report ready.
  ready=false
  for _ in $(seq 1 600); do
    if curl -fsS "http://$WORKER_HTTP/ready" >/dev/null 2>&1; then ready=true; break; fi
    kill -0 "${pids[2]}" 2>/dev/null || break
    sleep 0.1
  done
  if ! $ready; then
    echo "the agent worker did not become ready; its log:" >&2
    tail -n 20 "$root/.data/agent.log" >&2
    exit 1
  fi
  "$bin/demo" --api "http://$BIND"
  exit $?
fi
wait -n "${pids[@]}"
