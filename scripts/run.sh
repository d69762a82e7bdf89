#!/usr/bin/env bash
# Runs the product on one machine with embedded defaults: a local livekit-server in loopback
# dev mode, control-api on SQLite, and an agent worker. Ctrl-C stops everything.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/setup.sh
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-${INTERVIEWER_CACHE:-$HOME/.cache/ai-interviewer}/target}
cargo build --locked -p control-api -p agent
bin=$CARGO_TARGET_DIR/debug

export LIVEKIT_URL=${LIVEKIT_URL:-ws://127.0.0.1:7880}
export LIVEKIT_API_KEY=${LIVEKIT_API_KEY:-devkey}
export LIVEKIT_API_SECRET=${LIVEKIT_API_SECRET:-secret}
export DATABASE_URL=${DATABASE_URL:-sqlite://$root/.data/interviewer.db?mode=rwc}
export BIND=${BIND:-127.0.0.1:8000}
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
# The worker runs the voice interview: Deepgram live STT (DEEPGRAM_API_KEY, DEEPGRAM_URL),
# the scripted interviewer or an OpenAI-compatible LLM (LLM_PROVIDER=open-ai, LLM_API_KEY),
# espeak-ng or a cloud voice (TTS_PROVIDER), Silero VAD from the tools folder.
# The worker checks its providers before it registers and exits if one is not ready, so it
# is started only when a speech recognizer is configured.
export SERVICE_TOKEN=${SERVICE_TOKEN:-dev-service-token}
agent_note="dispatched as \"${AGENT_NAME:-interviewer}\" into every started interview"
if [ -n "${DEEPGRAM_API_KEY:-}" ] || [ -n "${DEEPGRAM_URL:-}" ]; then
  "$bin/agent" worker --loopback --control-api "http://$BIND" \
    --onnx-runtime "$root/.tools/onnx/libonnxruntime.so" --silero-model "$root/.tools/onnx/silero_vad.onnx" &
  pids+=($!)
else
  agent_note="NOT STARTED: no speech recognizer (set DEEPGRAM_API_KEY, or DEEPGRAM_URL for a compatible server)"
fi

cat <<MSG

  livekit-server  $LIVEKIT_URL   (keys $LIVEKIT_API_KEY / $LIVEKIT_API_SECRET, log .data/livekit.log)
  control-api     http://$BIND   (API under /api/v1, docs at http://$BIND/docs)
  database        $DATABASE_URL
  agent worker    $agent_note
                  (see README "Configuration")

  Ctrl-C stops everything.
MSG
wait -n "${pids[@]}"
