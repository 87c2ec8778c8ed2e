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

# shellcheck source-path=SCRIPTDIR source=lib/stop.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/stop.sh"

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
  stop_pid "$pid" "$STOP_TIMEOUT" ch_say
else
  ch_say "not running"
  if ch_port_open; then
    ch_say "note: something else listens on $CH_URL; left alone"
  fi
fi
rm -f "$PID_FILE"

if [[ "$wipe" == 1 ]]; then
  wipe_state_dir clickhouse-local.sh ch_say ch_die
fi
