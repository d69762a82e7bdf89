#!/usr/bin/env bash
# Runs every test: sets the machine up if needed, then the whole workspace's tests against a
# real livekit-server, real PostgreSQL and the official Python LiveKit client.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/setup.sh
# Build caches may live outside the checkout so that fresh clones build warm.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-${INTERVIEWER_CACHE:-$HOME/.cache/ai-interviewer}/target}
cargo test --workspace --locked
for extra in scripts/test.d/*.sh; do
  [ -e "$extra" ] || continue
  echo "== $extra"
  bash "$extra"
done
