#!/usr/bin/env bash
# Stops the local Kafka broker started by scripts/kafka-local.sh.
#
#   scripts/kafka-stop.sh          graceful stop; data is kept for the next start
#   scripts/kafka-stop.sh --wipe   stop, then delete the whole state dir
#
# SIGTERM first: Kafka then shuts down cleanly (flushes logs, writes its
# clean-shutdown marker), so the next start skips log recovery. Only if it is
# still alive after KAFKA_STOP_TIMEOUT seconds (default 30) is it SIGKILLed.
#
# Environment: KAFKA_HOME_DIR (state dir, default <repo>/.kafka),
# KAFKA_STOP_TIMEOUT.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=kafka/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/kafka/lib.sh"

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
    *) kafka_die "unknown argument: $arg (usage: kafka-stop.sh [--wipe])" ;;
  esac
done

STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"

if pid="$(kafka_running_pid)"; then
  kafka_say "stopping broker (pid $pid)…"
  stop_pid "$pid" "$STOP_TIMEOUT" kafka_say
else
  kafka_say "not running"
  if kafka_port_open "$KAFKA_PORT"; then
    # Not ours (no matching pid file): never kill what we did not start.
    kafka_say "note: something else listens on $KAFKA_BOOTSTRAP; left alone"
  fi
fi
rm -f "$PID_FILE"

if [[ "$wipe" == 1 ]]; then
  wipe_state_dir kafka-local.sh kafka_say kafka_die
fi
