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
  t0=$SECONDS
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS - t0 >= STOP_TIMEOUT)); then
      kafka_say "still alive after ${STOP_TIMEOUT}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      # A SIGKILLed process is gone as soon as the kernel reaps it; wait
      # briefly so the ports are free when we return.
      for _ in 1 2 3 4 5 6 7 8 9 10; do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
      done
      break
    fi
    sleep 0.2
  done
  kafka_say "stopped after $((SECONDS - t0))s"
else
  kafka_say "not running"
  if kafka_port_open "$KAFKA_PORT"; then
    # Not ours (no matching pid file): never kill what we did not start.
    kafka_say "note: something else listens on $KAFKA_BOOTSTRAP; left alone"
  fi
fi
rm -f "$PID_FILE"

if [[ "$wipe" == 1 && -d "$STATE_DIR" ]]; then
  # Guard the rm -rf: only a folder that kafka-local.sh created (it carries
  # the marker) and never the repo root or $HOME, whatever KAFKA_HOME_DIR says.
  state_real="$(cd "$STATE_DIR" && pwd -P)"
  if [[ ! -f "$STATE_MARKER" || "$state_real" == / || "$state_real" == "$(cd "$REPO_ROOT" && pwd -P)" \
        || "$state_real" == "$(cd "$HOME" && pwd -P)" ]]; then
    kafka_die "refusing to wipe $STATE_DIR: not a state dir made by kafka-local.sh"
  fi
  rm -rf "$state_real"
  kafka_say "wiped $STATE_DIR"
fi
