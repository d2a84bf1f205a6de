#!/usr/bin/env bash
# Idempotent build of the real-Flink playground:
#   - the job jar (job/target/flink-ecs-demo-job.jar: demo job + load tool),
#   - the Flink cluster classpath   -> $FLINK_ECS_CACHE/flink-<flink>/lib
#   - the Kafka broker classpath    -> $FLINK_ECS_CACHE/kafka-<kafka>/lib
# Versions come from flink-version.json only (passed to Maven as -D properties).
# Skips everything when the inputs (versions, poms, sources) are unchanged since the
# last successful build and the outputs still exist. FORCE=1 rebuilds.
set -euo pipefail
source "$(dirname "$0")/bin/lib.sh"
t0=$(now_ms)

if ! command -v "$JAVA" >/dev/null 2>&1; then
  echo "build.sh: java not found (need Java 17+; set JAVA_HOME or install openjdk-17-jdk)" >&2; exit 1
fi
jv=$("$JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
if [ -z "$jv" ] || [ "${jv%%.*}" -lt 17 ]; then
  echo "build.sh: Java ${jv:-unknown} found, need 17+ (set JAVA_HOME)" >&2; exit 1
fi
if ! command -v mvn >/dev/null 2>&1; then
  echo "build.sh: mvn not found (need Maven 3.8+; apt-get install maven)" >&2; exit 1
fi

inputs_hash() {
  (cd "$PLAYGROUND" && cat flink-version.json pom.xml job/pom.xml runtime/flink/pom.xml runtime/kafka/pom.xml \
      $(find job/src -type f | sort) | sha256sum | cut -c1-16)
}
hash=$(inputs_hash)
stamp="$PLAYGROUND/job/target/.build-stamp"
if [ "${FORCE:-0}" != 1 ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ] \
   && [ -f "$JOB_JAR" ] && [ -f "$FLINK_DIST/.complete" ] && [ -f "$KAFKA_DIST/.complete" ]; then
  echo "build.sh: up to date (flink $FLINK_VERSION, connector $KAFKA_CONNECTOR_VERSION, kafka $KAFKA_VERSION; inputs $hash) in $(( $(now_ms) - t0 )) ms"
  exit 0
fi

echo "build.sh: building flink $FLINK_VERSION, kafka connector $KAFKA_CONNECTOR_VERSION, kafka $KAFKA_VERSION (scala $SCALA_BINARY_VERSION), cache $FLINK_ECS_CACHE"
# The cache directories are keyed by version. When a pom changed, clear them so a
# removed dependency does not linger on the classpath; a change of the job's sources
# alone leaves them alone (JVMs already running keep a complete classpath).
deps_hash=$(cd "$PLAYGROUND" && cat flink-version.json pom.xml runtime/flink/pom.xml runtime/kafka/pom.xml | sha256sum | cut -c1-16)
for d in "$FLINK_DIST" "$KAFKA_DIST"; do
  if [ "$(cat "$d/.deps-hash" 2>/dev/null)" != "$deps_hash" ]; then rm -rf "$d/lib" "$d/.complete"; fi
  mkdir -p "$d"
done
(cd "$PLAYGROUND" && mvn -q -B -Dstyle.color=never ${MVN_OPTS:-} package \
    -Dflink.version="$FLINK_VERSION" \
    -Dkafka.connector.version="$KAFKA_CONNECTOR_VERSION" \
    -Dkafka.version="$KAFKA_VERSION" \
    -Dscala.binary.version="$SCALA_BINARY_VERSION" \
    -Dlog4j.version="$LOG4J_VERSION" \
    -Dflink.ecs.cache="$FLINK_ECS_CACHE" 2>&1 | sed -u 's/\x1b\[[0-9;]*m//g')
cp "$VERSION_JSON" "$FLINK_DIST/flink-version.json"
for d in "$FLINK_DIST" "$KAFKA_DIST"; do echo "$deps_hash" > "$d/.deps-hash"; touch "$d/.complete"; done
echo "$hash" > "$stamp"
echo "build.sh: job jar $JOB_JAR ($(du -h "$JOB_JAR" | cut -f1))"
echo "build.sh: flink lib $FLINK_LIB ($(ls "$FLINK_LIB" | wc -l) jars, $(du -sh "$FLINK_LIB" | cut -f1))"
echo "build.sh: kafka lib $KAFKA_LIB ($(ls "$KAFKA_LIB" | wc -l) jars, $(du -sh "$KAFKA_LIB" | cut -f1))"
echo "build.sh: done in $(( ($(now_ms) - t0) / 1000 )).$(( ($(now_ms) - t0) % 1000 / 100 )) s"
