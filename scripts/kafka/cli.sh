#!/usr/bin/env bash
# Runs a Kafka command-line tool from the jars kafka-local.sh resolved, so no
# Kafka distribution (bin/kafka-*.sh) is needed. Examples:
#
#   scripts/kafka/cli.sh topics --bootstrap-server 127.0.0.1:9092 --list
#   scripts/kafka/cli.sh topics --bootstrap-server 127.0.0.1:9092 --create --topic t
#   echo hi | scripts/kafka/cli.sh console-producer --bootstrap-server 127.0.0.1:9092 --topic t
#   scripts/kafka/cli.sh console-consumer --bootstrap-server 127.0.0.1:9092 \
#       --topic t --from-beginning --max-messages 1
#
# Tools: topics, console-producer, console-consumer, consumer-groups,
# api-versions, metadata-quorum, storage; or any fully qualified class name.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -ge 1 ]] || { sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
tool="$1"
shift
case "$tool" in
  topics) cls=org.apache.kafka.tools.TopicCommand ;;
  console-producer) cls=org.apache.kafka.tools.ConsoleProducer ;;
  console-consumer) cls=org.apache.kafka.tools.consumer.ConsoleConsumer ;;
  consumer-groups) cls=org.apache.kafka.tools.consumer.group.ConsumerGroupCommand ;;
  api-versions) cls=org.apache.kafka.tools.BrokerApiVersionsCommand ;;
  metadata-quorum) cls=org.apache.kafka.tools.MetadataQuorumCommand ;;
  storage) cls=kafka.tools.StorageTool ;;
  *.*) cls="$tool" ;;
  *) kafka_die "unknown tool: $tool" ;;
esac

mkdir -p "$LOG_DIR"
kafka_resolve_classpath >&2
kafka_java_tool "$cls" "$@"
