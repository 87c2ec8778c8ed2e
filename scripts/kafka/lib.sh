# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables are used by the scripts that source this
# Shared by scripts/kafka-local.sh, scripts/kafka-stop.sh and scripts/kafka/cli.sh.
# Sourced, not run: it only defines variables and functions.
#
# Everything is derived from this file's location, so the scripts work from
# any working directory and no machine path is baked in.

KAFKA_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$KAFKA_LIB_DIR/../.." && pwd)"
KAFKA_POM="$KAFKA_LIB_DIR/pom.xml"

# State (config, data, logs, pid, cached classpath) lives in one folder,
# gitignored (.kafka/) and ignored by Jest (modulePathIgnorePatterns).
STATE_DIR="${KAFKA_HOME_DIR:-$REPO_ROOT/.kafka}"
DATA_DIR="$STATE_DIR/data"
LOG_DIR="$STATE_DIR/logs"
PID_FILE="$STATE_DIR/kafka.pid"
CP_FILE="$STATE_DIR/classpath.txt"
CP_KEY_FILE="$STATE_DIR/classpath.key"
SERVER_PROPS="$STATE_DIR/server.properties"
LOG4J_PROPS="$STATE_DIR/log4j2.properties"
CLIENT_PROPS="$STATE_DIR/client.properties"
# Written on creation; kafka-stop.sh --wipe deletes only folders that carry it,
# so a mistyped KAFKA_HOME_DIR can never make it rm -rf something else.
STATE_MARKER="$STATE_DIR/.ump-kafka-state"

# Fixed on purpose: tests and services expect the broker at 127.0.0.1:9092.
KAFKA_HOST=127.0.0.1
KAFKA_PORT=9092
KAFKA_CONTROLLER_PORT=9093
KAFKA_BOOTSTRAP="$KAFKA_HOST:$KAFKA_PORT"

kafka_say() { printf 'kafka: %s\n' "$*"; }
kafka_die() { printf 'kafka: error: %s\n' "$*" >&2; exit 1; }

# The version is defined once, in the pom.
kafka_version() {
  sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$KAFKA_POM" | head -n 1
}

# True when something accepts TCP connections on $1 (bash's /dev/tcp; a closed
# port on loopback is refused at once, so no timeout is needed).
kafka_port_open() {
  (exec 3<>"/dev/tcp/$KAFKA_HOST/$1") 2>/dev/null
}

# Prints the pid from the pid file when it is a live broker started from this
# state dir; otherwise prints nothing and fails. Checking the command line
# guards against a recycled pid after a reboot or a crash.
kafka_running_pid() {
  local pid args
  [[ -f "$PID_FILE" ]] || return 1
  pid="$(tr -dc '0-9' <"$PID_FILE")"
  [[ -n "$pid" ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  args="$(ps -p "$pid" -o args= 2>/dev/null || true)"
  [[ "$args" == *kafka.Kafka*"$SERVER_PROPS"* ]] || return 1
  printf '%s\n' "$pid"
}

# Resolves the broker + tools classpath with Maven into ~/.m2 and caches the
# result in $CP_FILE. Maven runs only when the pom changed or a jar vanished
# from ~/.m2, so warm starts skip its ~3 s JVM start. Nothing is copied: the
# classpath points into ~/.m2, which CI caches between runs.
kafka_resolve_classpath() {
  local key jar missing=0 mvn_args jars=()
  key="$(cksum <"$KAFKA_POM")"
  if [[ -s "$CP_FILE" && -f "$CP_KEY_FILE" && "$(cat "$CP_KEY_FILE")" == "$key" ]]; then
    IFS=: read -r -a jars <"$CP_FILE" || true
    for jar in "${jars[@]}"; do
      [[ -f "$jar" ]] || { missing=1; break; }
    done
    if [[ "${#jars[@]}" -gt 0 && "$missing" == 0 ]]; then
      return 0
    fi
  fi

  command -v mvn >/dev/null 2>&1 || kafka_die "mvn not found: Maven resolves the Kafka jars"
  kafka_say "resolving Kafka $(kafka_version) jars with Maven (first run downloads ~45 MB of jars into ~/.m2)…"
  # -B/-q and no colour keep CI logs readable. KAFKA_MVN_OFFLINE=1 adds -o
  # for machines that must not touch the network once ~/.m2 is warm.
  mvn_args=(-B -q -Dstyle.color=never -f "$KAFKA_POM")
  [[ "${KAFKA_MVN_OFFLINE:-0}" == 1 ]] && mvn_args+=(-o)
  if ! mvn "${mvn_args[@]}" dependency:build-classpath \
      -Dmdep.outputFile="$CP_FILE.tmp" -Dmdep.includeScope=runtime >"$LOG_DIR/maven.log" 2>&1; then
    tail -n 30 "$LOG_DIR/maven.log" >&2 || true
    kafka_die "Maven could not resolve the Kafka jars (full output: $LOG_DIR/maven.log)"
  fi
  mv "$CP_FILE.tmp" "$CP_FILE"
  printf '%s\n' "$key" >"$CP_KEY_FILE"
}

kafka_classpath() { cat "$CP_FILE"; }

# Runs a Kafka CLI class (tools, StorageTool) on the cached classpath. The JVM
# flags favour start-up time over throughput: these runs are short.
kafka_java_tool() {
  local cls="$1"
  shift
  java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -cp "$(kafka_classpath)" "$cls" "$@"
}
