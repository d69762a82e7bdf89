#!/usr/bin/env bash
# Turn-taking as the candidate hears it, through a real room (release build): a real
# livekit-server on loopback, the official Python SDK as the candidate (espeak-ng speech on its
# microphone, the agent recorded), the agent's voice session in-process in LLM mode against
# the vendor fakes, whose delays are the provider floor (STT result 250 ms + LLM first token
# 300 ms + TTS first byte 200 ms = 750 ms). Runs complete sentences, mid-sentence pauses,
# backchannels and coughs during a reply, and interruptions, with the candidate's microphone
# published with Opus DTX on and then off, and prints per mode: response latency (p50/p90/p99,
# and minus the floor), cut-offs in pauses, false interruptions, barge-in times, the longest
# silence inside replies, and wasted LLM generations. About ten minutes.
#
# Usage: scripts/bench-room.sh [room_turns options: --dtx on|off, --verbose, --repeat N,
#        --stt-latency-ms, --llm-ttft-ms, --llm-token-ms, --tts-ttfb-ms, --keep DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-${INTERVIEWER_CACHE:-$HOME/.cache/ai-interviewer}/target}
cargo build -q --release -p agent --example room_turns --locked
"$CARGO_TARGET_DIR/release/examples/room_turns" "$@"
