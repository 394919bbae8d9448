#!/usr/bin/env bash
# Start/stop LocalStack core (Apache-2.0, PyPI `localstack-core`) on the host,
# without Docker or an auth token, bound to 127.0.0.1, with the project's own
# host Lambda executor (scripts/emulator-patches/localstack/ltl_host_lambda):
#   scripts/localstack.sh start | stop | status | check | install
# (or EMULATOR=localstack scripts/emulator.sh ..., i.e. npm run emulator:start).
# Installs into .emulator/localstack-venv (git-ignored) on first use, with a
# Python 3.13 it finds itself. Port: $EMULATOR_PORT (4566).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/emulator-lib.sh
VERSION=4.14.0
PORT="${EMULATOR_PORT:-4566}"
DIR=.emulator
VENV="$DIR/localstack-venv"
LOG="$DIR/localstack-$PORT.log"
PIDFILE="$DIR/localstack-$PORT.pid"
ROOT="$PWD/$DIR/localstack-$PORT"
ADDON=scripts/emulator-patches/localstack
# Nothing is cached outside the clone.
export PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1

# LocalStack 4.14 needs Python 3.13: on 3.12 it starts, then S3 (and every
# service whose models import localstack.utils.tagging, which uses 3.13's
# warnings.deprecated) fails with 500. $LOCALSTACK_PYTHON, then python3.13 on
# PATH, then pyenv's.
find_python() {
  local root="${PYENV_ROOT:-$HOME/.pyenv}" c
  if [ -n "${LOCALSTACK_PYTHON:-}" ] && ! "$LOCALSTACK_PYTHON" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 13) else 1)' 2>/dev/null; then
    echo "LOCALSTACK_PYTHON=$LOCALSTACK_PYTHON is not a Python 3.13, which LocalStack $VERSION needs" >&2
    return 1
  fi
  command -v pyenv >/dev/null 2>&1 && root="$(pyenv root)"
  for c in "${LOCALSTACK_PYTHON:-}" "$(command -v python3.13 || true)" "$root"/versions/3.13*/bin/python; do
    [ -n "$c" ] && [ -x "$c" ] || continue
    if "$c" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 13) else 1)' 2>/dev/null; then
      echo "$c"
      return 0
    fi
  done
  echo "LocalStack $VERSION needs Python 3.13: none found (set LOCALSTACK_PYTHON, or install one with pyenv)" >&2
  return 1
}

install() {
  local want_core="localstack-core[runtime]==$VERSION $(cat "$ADDON/constraints.txt" | sha256sum | cut -c1-16)"
  if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$VENV/.ltl-core" 2>/dev/null)" != "$want_core" ] ||
    ! "$VENV/bin/python" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 13) else 1)'; then
    local py; py="$(find_python)"
    echo "installing localstack-core[runtime]==$VERSION into $VENV ($("$py" --version), $py)"
    rm -rf "$VENV"
    "$py" -m venv "$VENV"
    "$VENV/bin/pip" install -q -c "$ADDON/constraints.txt" "localstack-core[runtime]==$VERSION"
    echo "$want_core" >"$VENV/.ltl-core"
  fi
  # The host executor add-on: reinstalled when its files change (built from a
  # copy, so no build files land in the source tree).
  local want_addon; want_addon="$(find "$ADDON/ltl_host_lambda" "$ADDON/pyproject.toml" -type f ! -name '*.pyc' | sort | xargs cat | sha256sum | cut -c1-16)"
  if [ "$(cat "$VENV/.ltl-addon" 2>/dev/null)" != "$want_addon" ]; then
    rm -rf "$DIR/addon-build" && mkdir -p "$DIR/addon-build"
    cp -r "$ADDON/pyproject.toml" "$ADDON/ltl_host_lambda" "$DIR/addon-build/"
    find "$DIR/addon-build" -name __pycache__ -prune -exec rm -rf {} +
    "$VENV/bin/pip" install -q --no-deps --force-reinstall "$DIR/addon-build"
    rm -rf "$DIR/addon-build"
    echo "$want_addon" >"$VENV/.ltl-addon"
    echo "installed the host Lambda executor add-on ($want_addon)"
  fi
  # Reviewed patches for LocalStack gaps, then the check that the code the
  # executor plugs into has not moved (see README, "Emulator workarounds").
  # Patches apply to pristine code: when they change, LocalStack's own files
  # are reinstalled first.
  local want_patches; want_patches="$(cat "$ADDON"/*.py scripts/emulator-patches/_patchlib.py | sha256sum | cut -c1-16)"
  local had_patches; had_patches="$(cat "$VENV/.ltl-patches" 2>/dev/null || true)"
  if [ -n "$had_patches" ] && [ "$had_patches" != "$want_patches" ]; then
    echo "patches changed: reinstalling localstack-core==$VERSION's files before applying them"
    "$VENV/bin/pip" install -q --no-deps --force-reinstall -c "$ADDON/constraints.txt" "localstack-core==$VERSION"
  fi
  for p in "$ADDON"/*.py; do
    "$VENV/bin/python" "$p"
  done
  echo "$want_patches" >"$VENV/.ltl-patches"
}

running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

start() {
  install
  if running; then
    echo "localstack already running (pid $(cat "$PIDFILE")) on 127.0.0.1:$PORT"
    return 0
  fi
  local node; node="$(pinned_node)"
  echo "emulator Lambda workers: node $("$node" --version) ($node), host executor (no Docker)"
  mkdir -p "$ROOT/tmp"
  # GATEWAY_SERVER=hypercorn with GATEWAY_LISTEN keeps the gateway on loopback
  # (the default server binds 0.0.0.0); DNS_ADDRESS=0: no DNS server;
  # LAMBDA_KEEPALIVE_MS: idle environments (one node process each) go after
  # 20 s, as MiniStack's are reaped. The AWS_* variables of the caller are the
  # tests', not the emulator's.
  env -u AWS_ENDPOINT_URL -u AWS_ENDPOINT_URL_S3 \
    GATEWAY_SERVER=hypercorn GATEWAY_LISTEN="127.0.0.1:$PORT" LOCALSTACK_HOST="127.0.0.1:$PORT" \
    SQS_ENDPOINT_STRATEGY=path DNS_ADDRESS=0 PERSISTENCE=0 SKIP_SSL_CERT_DOWNLOAD=1 DISABLE_EVENTS=1 \
    FILESYSTEM_ROOT="$ROOT" CONFIG_DIR="$ROOT/config" TMPDIR="$ROOT/tmp" \
    LAMBDA_RUNTIME_EXECUTOR=host-node LTL_HOST_LAMBDA_NODE="$node" \
    LAMBDA_KEEPALIVE_MS="${LAMBDA_KEEPALIVE_MS:-20000}" LAMBDA_RUNTIME_ENVIRONMENT_TIMEOUT=60 \
    LS_LOG="${EMULATOR_LOG_LEVEL:-info}" \
    setsid bash -c 'echo $$ >"$0"; exec "$@"' "$PIDFILE" "$VENV/bin/python" -m localstack.runtime.main >"$LOG" 2>&1 &
  if ! wait_healthy localstack "$PORT" /_localstack/health "$PIDFILE" "$LOG"; then
    stop
    return 1
  fi
  echo "localstack $(info_version) up on http://127.0.0.1:$PORT (pid $(cat "$PIDFILE"), log $LOG)"
}

info_version() {
  curl -fsS "http://127.0.0.1:$PORT/_localstack/info" | "$VENV/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["version"])'
}

stop() {
  if [ -f "$PIDFILE" ]; then
    local pid; pid=$(cat "$PIDFILE")
    # The whole process group: the host Lambda workers are its children.
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    rm -f "$PIDFILE"
    echo "localstack stopped"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) curl -fsS "http://127.0.0.1:$PORT/_localstack/health" && echo ;;
  check) running && check_loopback "$(cat "$PIDFILE")" localstack "$PORT" ;;
  install) install ;;
  *) echo "usage: $0 start|stop|status|check|install" >&2; exit 2 ;;
esac
