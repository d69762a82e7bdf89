#!/usr/bin/env bash
# The one-command demo end to end: the whole stack on local providers (no cloud keys) and a
# simulated candidate answering a two-question plan by voice through the official Python
# LiveKit client. Fails unless the interview completes, the candidate's words are heard and
# the report is ready.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
start=$(date +%s)
# The binaries are built first, as run.sh builds them, so the demo's time limit covers the
# interview and not a compile on a busy machine.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-${INTERVIEWER_CACHE:-$HOME/.cache/ai-interviewer}/target}
cargo build -q --locked -p control-api -p agent
cargo build -q --locked -p tests --bin demo
if ! env -u DEEPGRAM_API_KEY -u DEEPGRAM_URL -u STT_TRANSCRIPTIONS_URL -u LLM_PROVIDER \
  timeout 600 bash scripts/run.sh --demo >"$log" 2>&1; then
  echo "demo failed; its output:" >&2
  grep -v ' INFO ' "$log" | tail -n 60 >&2
  echo "agent log:" >&2
  tail -n 30 .data/agent.log >&2 || true
  exit 1
fi
sed -n '/^interview .* started/,$p' "$log" | grep -v ' INFO '
echo "demo: finished in $(( $(date +%s) - start )) s"
