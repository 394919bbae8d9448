# Shared by scripts/emulator.sh (MiniStack) and scripts/localstack.sh (sourced).

# The project's pinned Node (node_modules/.bin/node, the Lambdas' runtime) or a
# loud failure: the emulator tier never runs Lambdas on the machine's Node.
pinned_node() {
  local node_bin="$PWD/node_modules/.bin"
  local want; want="v$(sed -n 's/.*"node": "\([0-9][0-9.]*\)".*/\1/p' package.json | head -1)"
  local got; got="$(PATH="$node_bin:$PATH" node --version 2>/dev/null || true)"
  if [ "$got" != "$want" ]; then
    echo "emulator Lambda workers would run node '$got', not the pinned $want: run npm ci first" >&2
    return 1
  fi
  echo "$node_bin/node"
}

# check_loopback PGID NAME PORT: every TCP/UDP socket listened on by the
# emulator's process group (the emulator and every worker it started) must be
# on loopback, and the gateway port must be among them; otherwise report and
# fail (the caller stops the emulator).
check_loopback() {
  local pgid=$1 name=$2 port=$3 pids listeners bad
  pids=$(ps -e -o pid=,pgid= | awk -v g="$pgid" '$2 == g { print $1 }' | paste -sd'|')
  [ -n "$pids" ] || { echo "$name: no process in group $pgid" >&2; return 1; }
  listeners=$(ss -H -ltnup | grep -E "pid=($pids)," | awk '{ print $1 " " $5 }' || true)
  bad=$(printf '%s\n' "$listeners" | awk 'NF && $2 !~ /^(127\.[0-9.]+|\[::1\]|\[::ffff:127\.[0-9.]+\]):[0-9]+$/' || true)
  if [ -n "$bad" ]; then
    printf '%s listens beyond loopback:\n%s\n' "$name" "$bad" >&2
    return 1
  fi
  if ! printf '%s\n' "$listeners" | grep -qE "^tcp 127\.0\.0\.1:$port\$"; then
    printf '%s: gateway not found listening on 127.0.0.1:%s (listeners: %s)\n' "$name" "$port" "$listeners" >&2
    return 1
  fi
  echo "$name: every listening socket of its process group is on loopback ($(printf '%s\n' "$listeners" | awk 'NF { print $2 }' | paste -sd' '))"
}

# wait_healthy NAME PORT HEALTH_PATH PIDFILE LOG: polls the emulator's health URL for 60 s. Healthy:
# its listeners are checked (check_loopback) and 0 is returned; the caller prints its banner.
# The process gone, a listener beyond loopback, or 60 s without health: its log's last lines
# or the reason on stderr, and 1 (the caller stops the emulator).
wait_healthy() {
  local name=$1 port=$2 url="http://127.0.0.1:$2$3" pidfile=$4 log=$5
  for _ in $(seq 1 120); do
    if curl -fsS "$url" >/dev/null 2>&1; then
      check_loopback "$(cat "$pidfile")" "$name" "$port"
      return
    fi
    if [ -f "$pidfile" ] && ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      echo "$name exited during start; last log lines:" >&2
      tail -20 "$log" >&2
      return 1
    fi
    sleep 0.5
  done
  echo "$name did not become healthy in 60 s; see $log" >&2
  return 1
}
