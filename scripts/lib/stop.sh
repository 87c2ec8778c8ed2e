#!/usr/bin/env bash
# Shared by scripts/kafka-stop.sh and scripts/clickhouse-stop.sh. The caller has sourced its
# service's definitions (STATE_DIR, STATE_MARKER, REPO_ROOT) and passes its own say / die
# functions, so messages keep the service's prefix.

# stop_pid PID TIMEOUT SAY: SIGTERM first, so the service shuts down cleanly; SIGKILL only if
# it is still alive after TIMEOUT seconds. Returns once the process is gone (a SIGKILLed one
# within ~2 s, when the kernel has reaped it), so its ports are free.
stop_pid() {
  local pid="$1" timeout="$2" say="$3" t0=$SECONDS
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS - t0 >= timeout)); then
      "$say" "still alive after ${timeout}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      for _ in 1 2 3 4 5 6 7 8 9 10; do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
      done
      break
    fi
    sleep 0.2
  done
  "$say" "stopped after $((SECONDS - t0))s"
}

# wipe_state_dir CREATOR SAY DIE: deletes STATE_DIR, but only a folder CREATOR made (it
# carries STATE_MARKER), never /, the repo root or $HOME, whatever the environment says.
wipe_state_dir() {
  local creator="$1" say="$2" die="$3" state_real
  [[ -d "$STATE_DIR" ]] || return 0
  state_real="$(cd "$STATE_DIR" && pwd -P)"
  if [[ ! -f "$STATE_MARKER" || "$state_real" == / || "$state_real" == "$(cd "$REPO_ROOT" && pwd -P)" \
        || "$state_real" == "$(cd "$HOME" && pwd -P)" ]]; then
    "$die" "refusing to wipe $STATE_DIR: not a state dir made by $creator"
  fi
  rm -rf "$state_real"
  "$say" "wiped $STATE_DIR"
}
