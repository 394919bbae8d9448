#!/usr/bin/env bash
# Start/stop MiniStack (MIT, PyPI `ministack`), a LocalStack-compatible emulator
# that runs Node.js Lambdas as local processes (no Docker), bound to 127.0.0.1.
#   scripts/emulator.sh start | stop | status | check
# Installs into .emulator/venv (git-ignored) on first use. Port: $EMULATOR_PORT (4566).
# EMULATOR=localstack runs scripts/localstack.sh instead (LocalStack core, no
# Docker); `stop` stops either.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/emulator-lib.sh
case "${EMULATOR:-ministack}" in
  ministack) ;;
  localstack) [ "${1:-}" = stop ] || exec bash scripts/localstack.sh "$@" ;;
  *) echo "EMULATOR must be ministack or localstack, not '$EMULATOR'" >&2; exit 2 ;;
esac
export PIP_NO_CACHE_DIR=1  # nothing cached outside the clone
VERSION=1.5.33
# MiniStack's Athena runs SQL with DuckDB when it is importable (ATHENA_ENGINE=auto); same engine as `pipeline query`.
DUCKDB_VERSION=1.5.5
PORT="${EMULATOR_PORT:-4566}"
DIR=.emulator
VENV="$DIR/venv"
LOG="$DIR/ministack-$PORT.log"
PIDFILE="$DIR/ministack-$PORT.pid"

install() {
  if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import ministack, importlib.metadata as m; assert m.version('ministack') == '$VERSION' and m.version('duckdb') == '$DUCKDB_VERSION'" 2>/dev/null; then
    echo "installing ministack==$VERSION into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check "ministack==$VERSION" "duckdb==$DUCKDB_VERSION"
  fi
  # Reviewed patches for emulator gaps (see README, "Emulator workarounds").
  for p in scripts/emulator-patches/[!_]*.py; do
    [ -e "$p" ] || continue
    "$VENV/bin/python" "$p"
  done
}

start() {
  install
  if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    echo "ministack already running (pid $(cat "$PIDFILE")) on 127.0.0.1:$PORT"
    return 0
  fi
  mkdir -p "$DIR/data-$PORT"
  # MiniStack runs each Lambda worker as `node` from its PATH: put the project's
  # pinned Node (node_modules/.bin/node, the Lambdas' nodejs24.x) first, and refuse
  # to start on any other, so the emulator tier never tests on the machine's Node.
  local node; node="$(pinned_node)"
  local node_bin; node_bin="$(dirname "$node")"
  echo "emulator Lambda workers: node $("$node" --version) ($node)"
  # BIND_HOST keeps it on loopback; IOT_MTLS_ENABLED=0 and SFTP_ENABLED=0 stop
  # extra listeners from binding 0.0.0.0. Step Functions Wait states and Retry
  # intervals run at their real length (MiniStack's SFN_WAIT_SCALE left at 1), as on AWS.
  # LAMBDA_WARM_TTL_SECONDS: MiniStack runs one Node process per concurrent
  # invocation and keeps the surplus for 300 s; a 200-file burst then held 500+
  # workers (~50 MB each) across five functions and the kernel OOM-killed the
  # emulator. Reaping idle surplus after 20 s keeps the peak to one stage's burst.
  env PATH="$node_bin:$PATH" BIND_HOST=127.0.0.1 GATEWAY_PORT="$PORT" LAMBDA_EXECUTOR=local IOT_MTLS_ENABLED=0 SFTP_ENABLED=0 \
    LAMBDA_WARM_TTL_SECONDS="${LAMBDA_WARM_TTL_SECONDS:-20}" \
    S3_DATA_DIR="$PWD/$DIR/data-$PORT/s3" TMPDIR="$PWD/$DIR" LOG_LEVEL="${EMULATOR_LOG_LEVEL:-INFO}" \
    setsid "$VENV/bin/python" -m ministack >"$LOG" 2>&1 &
  echo $! >"$PIDFILE"
  if ! wait_healthy ministack "$PORT" /_ministack/health "$PIDFILE" "$LOG"; then
    stop
    return 1
  fi
  echo "ministack $VERSION up on http://127.0.0.1:$PORT (pid $(cat "$PIDFILE"), log $LOG)"
}

stop() {
  if [ -f "$PIDFILE" ]; then
    pid=$(cat "$PIDFILE")
    # The whole process group: Lambda workers are its children.
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    rm -f "$PIDFILE"
    echo "ministack stopped"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop; bash scripts/localstack.sh stop ;;
  status) curl -fsS "http://127.0.0.1:$PORT/_ministack/health" && echo ;;
  check) check_loopback "$(cat "$PIDFILE")" ministack "$PORT" ;;
  install) install ;;
  *) echo "usage: $0 start|stop|status|check|install" >&2; exit 2 ;;
esac
