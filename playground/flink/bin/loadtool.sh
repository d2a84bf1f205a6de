#!/usr/bin/env bash
# The load tool (io.flinkecs.playground.LoadTool in the job jar): create-topic, produce
# (a trace into the topic's partitions, reporting the consumer group's lag), lag.
#   bin/loadtool.sh create-topic --bootstrap 127.0.0.1:9092 --topic demo --partitions 8
#   bin/loadtool.sh produce --topic demo --rate 3000 --group flink-demo --status-port 9300
#   bin/loadtool.sh lag --topic demo --group flink-demo
set -euo pipefail
source "$(dirname "$0")/lib.sh"
require_built
log4j=$(mktemp -t loadtool-log4j.XXXXXX.properties)
trap 'rm -f "$log4j"' EXIT
cat > "$log4j" <<'PROPS'
rootLogger.level = WARN
rootLogger.appenderRef.e.ref = STDERR
appender.e.name = STDERR
appender.e.type = CONSOLE
appender.e.target = SYSTEM_ERR
appender.e.layout.type = PatternLayout
appender.e.layout.pattern = %d{HH:mm:ss,SSS} %-5p %c{1} - %m%n
PROPS
cp="$JOB_JAR"
for j in "$FLINK_LIB"/slf4j-api-*.jar "$FLINK_LIB"/log4j-slf4j-impl-*.jar "$FLINK_LIB"/log4j-api-*.jar "$FLINK_LIB"/log4j-core-*.jar; do cp="$cp:$j"; done
# not exec: the EXIT trap removes the temp log config (a TERM reaches java via the process group)
"$JAVA" -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Dlog4j.configurationFile="file:$log4j" \
  -cp "$cp" io.flinkecs.playground.LoadTool "$@" &
child=$!
trap 'kill -TERM $child 2>/dev/null; wait $child; rm -f "$log4j"; exit 143' TERM INT
wait $child
