#!/usr/bin/env bash
# Kafka broker, KRaft mode, one combined broker+controller node on loopback, from the
# Maven Central jars in $KAFKA_LIB. Formats the storage on first use, then execs the
# broker JVM in the foreground (the caller owns the PID; SIGTERM stops it cleanly).
#
#   RUN_DIR=...  KAFKA_PORT=9092 KAFKA_CONTROLLER_PORT=9093  bin/kafka.sh
#   KAFKA_HEAP_OPTS="-Xms64m -Xmx256m"   KAFKA_PARTITIONS=8 (broker default for new topics)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
require_built
RUN_DIR="${RUN_DIR:-$PLAYGROUND/run}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
dir="$RUN_DIR/kafka"
mkdir -p "$dir/data" "$dir/logs"

cat > "$dir/server.properties" <<PROPS
# One node that is both broker and controller (KRaft, no ZooKeeper).
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data
num.partitions=${KAFKA_PARTITIONS:-8}
auto.create.topics.enable=false
# single node: internal topics with one replica, few partitions (fast start)
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
# small thread pools for a 2-core machine
num.network.threads=2
num.io.threads=2
background.threads=2
num.recovery.threads.per.data.dir=1
log.cleaner.threads=1
# a demo: keep an hour, small segments
log.retention.hours=1
log.segment.bytes=67108864
PROPS

cat > "$dir/log4j2.properties" <<'PROPS'
status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.kafkaorg.name = org.apache.kafka
logger.kafkaorg.level = WARN
logger.controller.name = kafka.controller
logger.controller.level = WARN
logger.state.name = state.change.logger
logger.state.level = WARN
PROPS

CP=$(lib_classpath "$KAFKA_LIB")
JOPTS=(${KAFKA_HEAP_OPTS:--Xms64m -Xmx256m} -XX:+UseSerialGC -XX:MaxMetaspaceSize=96m -Xss512k
       -Djava.awt.headless=true -Dlog4j2.configurationFile="file:$dir/log4j2.properties"
       -Dkafka.logs.dir="$dir/logs")

if [ ! -f "$dir/data/meta.properties" ]; then
  # A cluster id is 16 random bytes, URL-safe base64 without padding (what `kafka-storage random-uuid` prints).
  cluster_id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=' | cut -c1-22)
  echo "kafka.sh: formatting $dir/data with cluster id $cluster_id" >&2
  # --cluster-id=ID, not -t ID: an id that starts with "-" (1 in 64) would be read as an option.
  "$JAVA" "${JOPTS[@]}" -cp "$CP" kafka.tools.StorageTool format --cluster-id="$cluster_id" -c "$dir/server.properties" >&2
fi
exec "$JAVA" "${JOPTS[@]}" -cp "$CP" kafka.Kafka "$dir/server.properties"
