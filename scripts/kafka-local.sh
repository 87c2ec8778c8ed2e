#!/usr/bin/env bash
# Starts a real single-node Apache Kafka broker (KRaft: broker and controller
# in one JVM) on 127.0.0.1:9092 for integration tests and CI, without Docker.
#
#   scripts/kafka-local.sh          start (or confirm it is already up)
#   scripts/kafka-stop.sh [--wipe]  stop it; --wipe also deletes its data
#   scripts/kafka/cli.sh topics --list   run a Kafka CLI tool against it
#
# How: Maven resolves the broker jars (version in scripts/kafka/pom.xml) into
# ~/.m2 and we run `java -cp <those jars> kafka.Kafka`. Only Java 17+ and
# Maven are needed; with a warm ~/.m2 it needs no network at all.
#
# Idempotent: a healthy broker is left alone (exit 0), a broker that is still
# starting is waited for, storage is formatted only once, so data survives a
# stop/start.
#
# Environment:
#   KAFKA_HOME_DIR        state dir (default: <repo>/.kafka, gitignored)
#   KAFKA_START_TIMEOUT   seconds to wait for the broker (default 90)
#   KAFKA_HEAP_OPTS       broker heap (default "-Xmx512m -Xms256m")
#   KAFKA_MVN_OFFLINE=1   run Maven with -o (never touch the network)
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=kafka/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/kafka/lib.sh"

START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xmx512m -Xms256m}"

command -v java >/dev/null 2>&1 || kafka_die "java not found: Kafka $(kafka_version) needs Java 17+"

mkdir -p "$DATA_DIR" "$LOG_DIR"
touch "$STATE_MARKER"

# Two concurrent starts (e.g. parallel test jobs) must not both format the
# storage or launch two JVMs. flock is util-linux only; elsewhere we go on
# without the lock rather than fail.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$STATE_DIR/.lock"
  flock -w "$((START_TIMEOUT + 120))" 9 || kafka_die "another kafka-local.sh holds $STATE_DIR/.lock"
fi

# --- readiness ---------------------------------------------------------------

# An open port only means the socket server is bound; a metadata round trip
# (list topics through the Admin client) means the broker has registered with
# its controller and can serve clients. Timeouts are short so one probe never
# hangs the wait loop.
write_client_props() {
  cat >"$CLIENT_PROPS" <<EOF
# Used by the readiness probe (scripts/kafka-local.sh); safe for any CLI tool.
request.timeout.ms=3000
default.api.timeout.ms=5000
EOF
}

broker_ready() {
  kafka_port_open "$KAFKA_PORT" || return 1
  kafka_java_tool org.apache.kafka.tools.TopicCommand \
    --bootstrap-server "$KAFKA_BOOTSTRAP" --command-config "$CLIENT_PROPS" --list \
    >"$LOG_DIR/probe.log" 2>&1
}

show_log_tail() {
  local f
  for f in "$LOG_DIR/kafka.out" "$LOG_DIR/server.log"; do
    [[ -s "$f" ]] || continue
    printf -- '--- last lines of %s ---\n' "$f" >&2
    tail -n 40 "$f" >&2
  done
}

# Waits for $1 (the broker pid) to become ready. Prints a progress line every
# 5 s so CI logs show it is alive; fails fast if the JVM dies.
wait_ready() {
  local pid="$1" start=$SECONDS last=0 elapsed
  while true; do
    elapsed=$((SECONDS - start))
    if ! kill -0 "$pid" 2>/dev/null; then
      show_log_tail
      rm -f "$PID_FILE"
      kafka_die "broker process $pid exited during start-up (logs: $LOG_DIR)"
    fi
    if broker_ready; then
      return 0
    fi
    if ((elapsed >= START_TIMEOUT)); then
      show_log_tail
      [[ -s "$LOG_DIR/probe.log" ]] && { echo '--- last readiness probe ---' >&2; tail -n 5 "$LOG_DIR/probe.log" >&2; }
      # Do not leave a half-started broker behind: the next run would find a
      # live pid and wait on it again, or find the ports taken.
      "$(dirname "${BASH_SOURCE[0]}")/kafka-stop.sh" >&2 || true
      kafka_die "broker not ready after ${START_TIMEOUT}s (logs: $LOG_DIR)"
    fi
    if ((elapsed - last >= 5)); then
      kafka_say "waiting for the broker on $KAFKA_BOOTSTRAP… ${elapsed}s"
      last=$elapsed
    fi
    sleep 0.5
  done
}

# --- already running? ----------------------------------------------------------

T0=$SECONDS
write_client_props

if pid="$(kafka_running_pid)"; then
  kafka_resolve_classpath
  if broker_ready; then
    kafka_say "already running (pid $pid) on $KAFKA_BOOTSTRAP"
    exit 0
  fi
  kafka_say "broker pid $pid is up but not ready yet; waiting…"
  wait_ready "$pid"
  kafka_say "ready on $KAFKA_BOOTSTRAP (pid $pid) after $((SECONDS - T0))s"
  exit 0
fi
rm -f "$PID_FILE" # stale: process gone or pid reused

# Someone else (another Kafka, a container from another project) on our ports
# would make the broker fail with a bind error deep in its log; say it now.
for port in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
  if kafka_port_open "$port"; then
    kafka_die "port $port on $KAFKA_HOST is already in use by another process (not the broker of $STATE_DIR); free it first, e.g. find it with: ss -ltnp 'sport = :$port'"
  fi
done

# --- jars ----------------------------------------------------------------------

kafka_resolve_classpath

# --- config --------------------------------------------------------------------
# Rewritten on every start so edits to this script apply; the data dir is
# untouched by that.

cat >"$SERVER_PROPS" <<EOF
# Generated by scripts/kafka-local.sh on every start: edit the script, not this.
# Single-node KRaft: this one process is both broker and (sole) controller.
process.roles=broker,controller
node.id=1
# Dynamic quorum (KIP-853, the Kafka 4 default): the controller finds the
# quorum through this address; storage is formatted with --standalone, which
# makes node 1 the only voter.
controller.quorum.bootstrap.servers=$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
# Loopback only: a test broker has no business on other interfaces.
listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT,CONTROLLER://$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT,CONTROLLER://$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT

log.dirs=$DATA_DIR

# Topics. auto.create.topics.enable stays true (Kafka's default) on purpose:
# tests may produce to a fresh topic name without an admin step, the way a dev
# broker usually behaves. Tests that depend on partition counts or configs
# should still create their topics explicitly with the Admin client.
auto.create.topics.enable=true
num.partitions=3
default.replication.factor=1
delete.topic.enable=true

# One broker: every internal topic must live with a single replica, or
# consumer groups / transactions / share groups fail to initialise.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
min.insync.replicas=1
# Fewer internal partitions than the default 50: faster first group join and
# first transaction, and less disk; plenty for tests.
offsets.topic.num.partitions=5
transaction.state.log.num.partitions=5

# No 3 s wait before the first rebalance: consumers in tests start at once.
group.initial.rebalance.delay.ms=0

# Small segments and short retention: test data is disposable and the state
# dir must not grow without bound on a dev machine or a cached CI runner.
log.segment.bytes=16777216
log.retention.ms=3600000
log.retention.bytes=67108864
log.retention.check.interval.ms=60000
# The log cleaner (compacts __consumer_offsets) reserves its dedupe buffer on
# the heap up front: 128 MiB by default, a quarter of our 512 MiB heap.
log.cleaner.dedupe.buffer.size=16777216
num.io.threads=4
num.network.threads=2
EOF

cat >"$LOG4J_PROPS" <<EOF
# Generated by scripts/kafka-local.sh. Broker log, rolled at 10 MB (2 kept).
status = warn
appender.file.type = RollingFile
appender.file.name = FILE
appender.file.fileName = $LOG_DIR/server.log
appender.file.filePattern = $LOG_DIR/server.log.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 10MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 2
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
# Per-request and per-partition state chatter: noise for test runs.
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.state.name = state.change.logger
logger.state.level = WARN
EOF

# --- format storage (once) -------------------------------------------------------
# KRaft refuses to start on an unformatted log dir. meta.properties is what
# format writes; its presence means "formatted", so restarts keep the data.

if [[ ! -f "$DATA_DIR/meta.properties" ]]; then
  kafka_say "formatting storage in $DATA_DIR…"
  cluster_id="$(kafka_java_tool kafka.tools.StorageTool random-uuid)"
  if ! kafka_java_tool kafka.tools.StorageTool format --standalone \
      --cluster-id "$cluster_id" --config "$SERVER_PROPS" >"$LOG_DIR/format.log" 2>&1; then
    cat "$LOG_DIR/format.log" >&2
    kafka_die "formatting storage failed"
  fi
fi

# --- start -----------------------------------------------------------------------

# A fresh server.log per start keeps failure output (show_log_tail) about
# this start; the previous run's log is kept once as server.prev.log.
if [[ -f "$LOG_DIR/server.log" ]]; then
  mv -f "$LOG_DIR/server.log" "$LOG_DIR/server.prev.log"
fi
rm -f "$LOG_DIR/server.log".[0-9]* "$LOG_DIR/probe.log"

kafka_say "starting Kafka $(kafka_version) on $KAFKA_BOOTSTRAP (state: $STATE_DIR)…"
# JVM flags follow Kafka's own kafka-run-class.sh (G1, short pauses, headless).
# stdin/stdout/stderr are all redirected so the background JVM never holds the
# caller's terminal or pipe open (e.g. `out=$(scripts/kafka-local.sh)` or
# `| tee` would otherwise hang until the broker exits); nohup keeps it alive
# when the calling shell goes away. 9>&- keeps the start lock (fd 9) out of
# the JVM, or the broker would hold it for its whole life.
# shellcheck disable=SC2086 # HEAP_OPTS is a list of JVM flags, split on purpose
nohup java $HEAP_OPTS -server \
  -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
  -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true \
  -Dkafka.logs.dir="$LOG_DIR" -Dlog4j2.configurationFile="$LOG4J_PROPS" \
  -cp "$(kafka_classpath)" kafka.Kafka "$SERVER_PROPS" \
  </dev/null >"$LOG_DIR/kafka.out" 2>&1 9>&- &
pid=$!
printf '%s\n' "$pid" >"$PID_FILE"

wait_ready "$pid"
kafka_say "started on $KAFKA_BOOTSTRAP in $((SECONDS - T0))s (pid $pid, logs: $LOG_DIR)"
