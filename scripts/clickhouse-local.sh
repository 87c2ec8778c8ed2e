#!/usr/bin/env bash
# Starts a local ClickHouse server on 127.0.0.1:8123 (HTTP only) for integration tests and
# CI, without Docker.
#
#   scripts/clickhouse-local.sh          install if missing, start (or confirm it is up)
#   scripts/clickhouse-stop.sh [--wipe]  stop it; --wipe also deletes its data
#
# What you get: Debian's `clickhouse-server` package, which is ClickHouse 18.16 (2018). It
# is enough to test the @clickhouse/client HTTP transport, but far too old for the
# telemetry store (no query parameters, LowCardinality, DateTime64, TTL expressions…): see
# core/src/telemetry/clickhouse-server.int.test.ts. For the real store, run a current
# server instead (docker: clickhouse/clickhouse-server) — this script leaves any ClickHouse
# that already answers on :8123 alone and uses it.
#
# Idempotent: a healthy server is left alone (exit 0), a starting one is waited for. Config,
# data and logs live in one folder (default <repo>/.clickhouse), so nothing touches
# /etc or /var/lib, and the data survives a stop/start.
#
# Environment:
#   CLICKHOUSE_HOME_DIR        state dir (default: <repo>/.clickhouse)
#   CLICKHOUSE_START_TIMEOUT   seconds to wait for `SELECT 1` (default 60)
#   CLICKHOUSE_NO_INSTALL=1    never run apt-get; fail if the server is not installed
set -euo pipefail

# --- shared definitions (scripts/clickhouse-stop.sh sources this part) ------------------
CH_SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$CH_SCRIPTS_DIR/.." && pwd)"
STATE_DIR="${CLICKHOUSE_HOME_DIR:-$REPO_ROOT/.clickhouse}"
DATA_DIR="$STATE_DIR/data"
LOG_DIR="$STATE_DIR/logs"
PID_FILE="$STATE_DIR/clickhouse.pid"
CONFIG_FILE="$STATE_DIR/config.xml"
USERS_FILE="$STATE_DIR/users.xml"
# Written on creation; clickhouse-stop.sh --wipe deletes only folders that carry it, so a
# mistyped CLICKHOUSE_HOME_DIR can never make it rm -rf something else.
STATE_MARKER="$STATE_DIR/.ump-clickhouse-state"
CH_SERVER_BIN=clickhouse-server
# Fixed on purpose: the integration tests look for ClickHouse at this address.
CH_HOST=127.0.0.1
CH_PORT=8123
CH_URL="http://$CH_HOST:$CH_PORT"

ch_say() { printf 'clickhouse: %s\n' "$*"; }
ch_die() { printf 'clickhouse: error: %s\n' "$*" >&2; exit 1; }
# True when the server answers a query, not merely accepts connections: the HTTP port
# opens before the server has loaded its metadata. Short timeouts keep the loop moving.
ch_ready() { [[ "$(curl -fsS --max-time 2 "$CH_URL/?query=SELECT%201" 2>/dev/null)" == 1 ]]; }
ch_port_open() { (exec 3<>"/dev/tcp/$CH_HOST/$CH_PORT") 2>/dev/null; }
ch_version_of_server() { printf 'ClickHouse %s' "$(curl -fsS --max-time 2 "$CH_URL/?query=SELECT%20version()" 2>/dev/null || echo '?')"; }
# Prints the pid from the pid file when it is a live server started with our config;
# otherwise fails. Checking the command line guards against a recycled pid.
ch_running_pid() {
  local pid args
  [[ -f "$PID_FILE" ]] || return 1
  pid="$(tr -dc '0-9' <"$PID_FILE")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  args="$(ps -p "$pid" -o args= 2>/dev/null || true)"
  [[ "$args" == *clickhouse*"$CONFIG_FILE"* ]] || return 1
  printf '%s\n' "$pid"
}
ch_show_log_tail() {
  local f
  for f in "$LOG_DIR/stdout.log" "$LOG_DIR/clickhouse-server.err.log"; do
    [[ -s "$f" ]] || continue
    printf -- '--- last lines of %s ---\n' "$f" >&2
    tail -n 30 "$f" >&2
  done
}
# Sourced (by clickhouse-stop.sh): definitions only.
[[ "${BASH_SOURCE[0]}" != "$0" ]] && return 0

START_TIMEOUT="${CLICKHOUSE_START_TIMEOUT:-60}"
T0=$SECONDS

# --- already up? ---------------------------------------------------------------------
# Any ClickHouse on the port will do for tests (ours, a container, a package-managed
# service): never start a second server or stop someone else's. /ping answers without
# credentials, so a server with a password is recognised too.
ch_pinged() { [[ "$(curl -fsS --max-time 2 "$CH_URL/ping" 2>/dev/null)" == Ok. ]]; }
if pid="$(ch_running_pid)"; then
  if ch_ready; then
    ch_say "already running (pid $pid) on $CH_URL, $(ch_version_of_server)"
    exit 0
  fi
elif ch_pinged; then
  ch_say "a ClickHouse server not started by this script already answers on $CH_URL; using it"
  exit 0
fi

mkdir -p "$STATE_DIR"
touch "$STATE_MARKER"

# Two concurrent starts (parallel CI jobs) must not launch two servers on one data dir.
exec 9>"$STATE_DIR/.lock"
flock -w "$((START_TIMEOUT + 300))" 9 || ch_die "another clickhouse-local.sh holds $STATE_DIR/.lock"

# --- install ---------------------------------------------------------------------------
if ! command -v "$CH_SERVER_BIN" >/dev/null 2>&1; then
  [[ "${CLICKHOUSE_NO_INSTALL:-0}" == 1 ]] && ch_die "clickhouse-server is not installed (CLICKHOUSE_NO_INSTALL=1)"
  command -v apt-get >/dev/null 2>&1 || ch_die "clickhouse-server is not installed and apt-get is not available; install ClickHouse or run it in Docker"
  sudo=()
  if [[ "$(id -u)" != 0 ]]; then
    command -v sudo >/dev/null 2>&1 || ch_die "installing clickhouse-server needs root (or sudo)"
    sudo=(sudo)
  fi
  ch_say "installing clickhouse-server with apt-get (Debian's 18.16)…"
  # The package's own service start is refused in containers (policy-rc.d) and unwanted
  # elsewhere: we run the server from our own state dir below.
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends clickhouse-server >/dev/null
fi

# --- config (rewritten on every start so edits here apply) -------------------------------
mkdir -p "$DATA_DIR" "$DATA_DIR/tmp" "$DATA_DIR/user_files" "$LOG_DIR"
cat >"$CONFIG_FILE" <<EOF
<?xml version="1.0"?>
<!-- Generated by scripts/clickhouse-local.sh on every start: edit the script, not this. -->
<yandex>
    <logger>
        <level>information</level>
        <log>$LOG_DIR/clickhouse-server.log</log>
        <errorlog>$LOG_DIR/clickhouse-server.err.log</errorlog>
        <size>10M</size>
        <count>2</count>
    </logger>
    <!-- Loopback only and HTTP only: the tests speak HTTP, and leaving out the native,
         interserver and MySQL ports keeps them free for other tools. -->
    <listen_host>$CH_HOST</listen_host>
    <http_port>$CH_PORT</http_port>
    <path>$DATA_DIR/</path>
    <tmp_path>$DATA_DIR/tmp/</tmp_path>
    <user_files_path>$DATA_DIR/user_files/</user_files_path>
    <format_schema_path>$DATA_DIR/format_schemas/</format_schema_path>
    <users_config>$USERS_FILE</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mark_cache_size>268435456</mark_cache_size>
    <uncompressed_cache_size>268435456</uncompressed_cache_size>
    <max_concurrent_queries>100</max_concurrent_queries>
</yandex>
EOF
cat >"$USERS_FILE" <<'EOF'
<?xml version="1.0"?>
<!-- Generated by scripts/clickhouse-local.sh: user `default`, no password, loopback only. -->
<yandex>
    <profiles>
        <default><max_memory_usage>2000000000</max_memory_usage></default>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas><default></default></quotas>
</yandex>
EOF

# --- start -------------------------------------------------------------------------------
if pid="$(ch_running_pid)"; then
  ch_say "server pid $pid is already starting; waiting until it answers…"
else
  rm -f "$PID_FILE"
  if ch_port_open; then
    ch_die "port $CH_PORT on $CH_HOST is taken by something that does not answer SELECT 1; free it first (ss -ltnp 'sport = :$CH_PORT')"
  fi
  ch_say "starting clickhouse-server on $CH_URL (state: $STATE_DIR)…"
  # stdin/stdout/stderr redirected and fd 9 (the lock) closed so the background server
  # neither holds the caller's pipe open (`out=$(…)` would hang) nor keeps the lock.
  nohup "$CH_SERVER_BIN" --config-file="$CONFIG_FILE" </dev/null >"$LOG_DIR/stdout.log" 2>&1 9>&- &
  pid=$!
  printf '%s\n' "$pid" >"$PID_FILE"
fi

# --- wait until SELECT 1 answers over HTTP -----------------------------------------------
last=0
while ! ch_ready; do
  elapsed=$((SECONDS - T0))
  if ! kill -0 "$pid" 2>/dev/null; then
    ch_show_log_tail
    rm -f "$PID_FILE"
    ch_die "server process $pid exited during start-up (logs: $LOG_DIR)"
  fi
  if ((elapsed >= START_TIMEOUT)); then
    ch_show_log_tail
    "$(dirname "${BASH_SOURCE[0]}")/clickhouse-stop.sh" >&2 || true
    ch_die "server not answering on $CH_URL after ${START_TIMEOUT}s (logs: $LOG_DIR)"
  fi
  if ((elapsed - last >= 5)); then
    ch_say "waiting for $CH_URL… ${elapsed}s"
    last=$elapsed
  fi
  sleep 0.3
done
ch_say "ready on $CH_URL in $((SECONDS - T0))s (pid $pid, $(ch_version_of_server), logs: $LOG_DIR)"
