#!/usr/bin/env bash
# Makes a fresh Debian 12 machine ready to build, run and test the project.
#
# Installs only from Debian packages, crates.io, PyPI and the Go module proxy, at pinned
# versions. Idempotent: a second run checks each step and does nothing.
#
# Results, all git-ignored inside the checkout:
#   .tools/bin/livekit-server      livekit-server v1.13.5 built with `go install`
#   .tools/onnx/libonnxruntime.so  from the onnxruntime wheel (for ort's load-dynamic)
#   .tools/onnx/silero_vad.onnx    from the silero-vad wheel
#   .venv/                         Python with the official livekit SDK (test client)
#   web/node_modules, web/dist     the pages' npm packages and their Vite build
# Built artefacts are also cached outside the checkout (INTERVIEWER_CACHE, default
# ~/.cache/ai-interviewer) so that a fresh clone on the same machine sets up in seconds.
set -euo pipefail

LIVEKIT_VERSION=v1.13.5
PYTHON=${PYTHON:-python3}
root=$(cd "$(dirname "$0")/.." && pwd)
cache=${INTERVIEWER_CACHE:-$HOME/.cache/ai-interviewer}
tools=$root/.tools

say() { printf '[setup] %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# 1. Debian packages.
apt_packages() {
  local missing=()
  while read -r pkg; do
    case "$pkg" in '' | '#'*) continue ;; esac
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done <"$root/scripts/apt-packages.txt"
  if [ ${#missing[@]} -eq 0 ]; then
    say "apt packages present"
    return
  fi
  say "installing apt packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# 2. livekit-server from the Go module proxy.
livekit_server() {
  local cached=$cache/bin/livekit-server-$LIVEKIT_VERSION
  if [ ! -x "$cached" ]; then
    say "building livekit-server $LIVEKIT_VERSION with go install"
    command -v go >/dev/null || { echo "go is required (Go >= 1.26)" >&2; exit 1; }
    local gobin
    gobin=$(mktemp -d)
    GOBIN=$gobin GOFLAGS=-mod=mod go install "github.com/livekit/livekit-server/cmd/server@$LIVEKIT_VERSION"
    mkdir -p "$cache/bin"
    mv "$gobin/server" "$cached"
    rmdir "$gobin"
  fi
  mkdir -p "$tools/bin"
  if ! cmp -s "$cached" "$tools/bin/livekit-server" 2>/dev/null; then
    cp "$cached" "$tools/bin/livekit-server"
  fi
  say "livekit-server $("$tools/bin/livekit-server" --version 2>&1 | tail -n 1)"
}

# 3. Python virtual environment with the official LiveKit SDK, plus the model wheels.
python_env() {
  local stamp=$root/.venv/.requirements.sha256
  local want
  want=$(cat "$root/scripts/requirements-test.txt" "$root/scripts/requirements-models.txt" | sha256sum | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    say "python venv up to date"
    return
  fi
  say "creating python venv"
  "$PYTHON" -m venv "$root/.venv"
  "$root/.venv/bin/pip" install -q --disable-pip-version-check -r "$root/scripts/requirements-test.txt"
  "$root/.venv/bin/pip" install -q --disable-pip-version-check --no-deps -r "$root/scripts/requirements-models.txt"
  echo "$want" >"$stamp"
}

# 4. ONNX Runtime library and Silero VAD model, copied out of the wheels.
onnx_files() {
  local site
  site=$("$root/.venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  mkdir -p "$tools/onnx"
  local lib
  lib=$(find "$site/onnxruntime/capi" -name 'libonnxruntime.so.*' | head -n 1)
  [ -n "$lib" ] || { echo "libonnxruntime.so not found in the onnxruntime wheel" >&2; exit 1; }
  cmp -s "$lib" "$tools/onnx/libonnxruntime.so" 2>/dev/null || cp "$lib" "$tools/onnx/libonnxruntime.so"
  local model=$site/silero_vad/data/silero_vad.onnx
  [ -f "$model" ] || { echo "silero_vad.onnx not found in the silero-vad wheel" >&2; exit 1; }
  cmp -s "$model" "$tools/onnx/silero_vad.onnx" 2>/dev/null || cp "$model" "$tools/onnx/silero_vad.onnx"
  say "onnx runtime and silero model in .tools/onnx"
}

# 5. PostgreSQL: the machine's cluster running, with a role the tests may use.
postgres() {
  if ! pg_lsclusters -h 2>/dev/null | grep -q .; then
    say "no PostgreSQL cluster found; creating one"
    as_root pg_createcluster 15 main >/dev/null
  fi
  local ver name
  read -r ver name _ < <(pg_lsclusters -h | head -n 1)
  if ! pg_lsclusters -h | head -n 1 | grep -q online; then
    say "starting PostgreSQL cluster $ver/$name"
    as_root pg_ctlcluster "$ver" "$name" start
  fi
  local sql="DO \$\$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'interviewer') THEN
      CREATE ROLE interviewer LOGIN SUPERUSER PASSWORD 'interviewer';
    END IF; END \$\$;"
  as_root runuser -u postgres -- psql -q -v ON_ERROR_STOP=1 -c "$sql" >/dev/null
  say "PostgreSQL ready (role interviewer on 127.0.0.1:5432)"
}

# 6. The pages (web/): npm packages pinned by web/package-lock.json, built by Vite into
# web/dist, which control-api serves. Rebuilt only when the sources or the lock change.
web_pages() {
  command -v npm >/dev/null || { say "npm (Node.js 20) is required to build web/"; exit 1; }
  local web=$root/web lock_hash src_hash
  lock_hash=$(sha256sum "$web/package-lock.json" | cut -d' ' -f1)
  if [ "$(cat "$web/node_modules/.lock-hash" 2>/dev/null)" != "$lock_hash" ]; then
    say "installing web packages (npm ci)"
    (cd "$web" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
    echo "$lock_hash" >"$web/node_modules/.lock-hash"
  fi
  src_hash=$(cd "$web" && find src index.html vite.config.ts tsconfig.json package-lock.json -type f -print0 \
    | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$web/dist/.build-hash" 2>/dev/null)" != "$src_hash" ]; then
    say "building web/ into web/dist"
    (cd "$web" && npm run --silent build >/dev/null)
    echo "$src_hash" >"$web/dist/.build-hash"
  fi
  say "pages built in web/dist"
}

apt_packages
livekit_server
python_env
onnx_files
postgres
web_pages
say "ready"
