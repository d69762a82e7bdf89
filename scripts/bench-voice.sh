#!/usr/bin/env bash
# Agent-added latency per turn of the voice loop (issue 6, must show 7): release build, real
# voice sessions (dsp with Silero, Deepgram live client, engine, OpenAI-compatible LLM and
# TTS clients, playout) against the fake vendors on loopback, one session and then 50.
#
# Usage: scripts/bench-voice.sh   Env: BENCH_TURNS (20), BENCH_SESSIONS (50), BENCH_MANY_TURNS (5)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-${INTERVIEWER_CACHE:-$HOME/.cache/ai-interviewer}/target}
cargo build -q --release -p agent --example voice_latency --locked
bin="$CARGO_TARGET_DIR/release/examples/voice_latency"
echo "== one session"
"$bin" --sessions 1 --turns "${BENCH_TURNS:-20}" --silero
echo "== ${BENCH_SESSIONS:-50} concurrent sessions"
"$bin" --sessions "${BENCH_SESSIONS:-50}" --turns "${BENCH_MANY_TURNS:-5}" --silero
