#!/usr/bin/env bash
# Stops the local ClickHouse server started by scripts/clickhouse-local.sh.
#
#   scripts/clickhouse-stop.sh          graceful stop; data is kept for the next start
#   scripts/clickhouse-stop.sh --wipe   stop, then delete the whole state dir
#
# SIGTERM first (ClickHouse finishes running queries and flushes); SIGKILL only if it is
# still alive after CLICKHOUSE_STOP_TIMEOUT seconds (default 30). A server this script did
# not start (no matching pid file) is never touched.
#
# Environment: CLICKHOUSE_HOME_DIR (state dir, default <repo>/.clickhouse),
# CLICKHOUSE_STOP_TIMEOUT.
set -euo pipefail

# Definitions only (paths, ch_say, ch_running_pid…): the start script returns early when sourced.
# shellcheck source-path=SCRIPTDIR source=clickhouse-local.sh
source "$(dirname "${BASH_SOURCE[0]}")/clickhouse-local.sh"

wipe=0
for arg in "$@"; do
  case "$arg" in
    --wipe) wipe=1 ;;
    -h | --help)
      sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *) ch_die "unknown argument: $arg (usage: clickhouse-stop.sh [--wipe])" ;;
  esac
done

STOP_TIMEOUT="${CLICKHOUSE_STOP_TIMEOUT:-30}"

if pid="$(ch_running_pid)"; then
  ch_say "stopping server (pid $pid)…"
  t0=$SECONDS
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS - t0 >= STOP_TIMEOUT)); then
      ch_say "still alive after ${STOP_TIMEOUT}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.2
  done
  ch_say "stopped after $((SECONDS - t0))s"
else
  ch_say "not running"
  if ch_port_open; then
    ch_say "note: something else listens on $CH_URL; left alone"
  fi
fi
rm -f "$PID_FILE"

if [[ "$wipe" == 1 && -d "$STATE_DIR" ]]; then
  # Guard the rm -rf: only a folder clickhouse-local.sh created (it carries the marker),
  # never the repo root or $HOME, whatever CLICKHOUSE_HOME_DIR says.
  state_real="$(cd "$STATE_DIR" && pwd -P)"
  if [[ ! -f "$STATE_MARKER" || "$state_real" == / || "$state_real" == "$(cd "$REPO_ROOT" && pwd -P)" \
        || "$state_real" == "$(cd "$HOME" && pwd -P)" ]]; then
    ch_die "refusing to wipe $STATE_DIR: not a state dir made by clickhouse-local.sh"
  fi
  rm -rf "$state_real"
  ch_say "wiped $STATE_DIR"
fi
