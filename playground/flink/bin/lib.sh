# Shared definitions for the playground's scripts. Source it; it defines no side effects
# beyond variables and functions.
#   PLAYGROUND        playground/flink
#   FLINK_VERSION ... from flink-version.json (the one definition)
#   FLINK_ECS_CACHE   cache root (default ~/.cache/flink-ecs-autoscaler)
#   FLINK_LIB         $FLINK_ECS_CACHE/flink-<v>/lib      (cluster classpath)
#   KAFKA_LIB         $FLINK_ECS_CACHE/kafka-<v>/lib      (broker classpath)
#   JOB_JAR           playground/flink/job/target/flink-ecs-demo-job.jar

PLAYGROUND="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VERSION_JSON="$PLAYGROUND/flink-version.json"

# json_get KEY: the string value of a top-level key in the flat flink-version.json.
json_get() {
  local v
  v=$(sed -n "s/^[[:space:]]*\"$1\"[[:space:]]*:[[:space:]]*\"\([^\"]*\)\".*/\1/p" "$VERSION_JSON")
  if [ -z "$v" ]; then echo "flink-version.json has no \"$1\"" >&2; return 1; fi
  printf '%s\n' "$v"
}

FLINK_VERSION=$(json_get flink)
KAFKA_CONNECTOR_VERSION=$(json_get kafkaConnector)
KAFKA_VERSION=$(json_get kafka)
SCALA_BINARY_VERSION=$(json_get scala)
LOG4J_VERSION=$(json_get log4j)

FLINK_ECS_CACHE="${FLINK_ECS_CACHE:-$HOME/.cache/flink-ecs-autoscaler}"
FLINK_DIST="$FLINK_ECS_CACHE/flink-$FLINK_VERSION"
FLINK_LIB="$FLINK_DIST/lib"
KAFKA_DIST="$FLINK_ECS_CACHE/kafka-$KAFKA_VERSION"
KAFKA_LIB="$KAFKA_DIST/lib"
JOB_JAR="$PLAYGROUND/job/target/flink-ecs-demo-job.jar"

JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"

# The --add-opens/--add-exports Flink's own config.yaml sets for Java 17 (env.java.opts.all).
FLINK_JAVA17_OPTS="--add-exports=java.base/sun.net.util=ALL-UNNAMED --add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED --add-exports=jdk.compiler/com.sun.tools.javac.api=ALL-UNNAMED --add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED --add-exports=jdk.compiler/com.sun.tools.javac.parser=ALL-UNNAMED --add-exports=jdk.compiler/com.sun.tools.javac.tree=ALL-UNNAMED --add-exports=jdk.compiler/com.sun.tools.javac.util=ALL-UNNAMED --add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.text=ALL-UNNAMED --add-opens=java.base/java.time=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED"

# The classpath of a lib directory, in a stable (sorted) order.
lib_classpath() {
  local dir=$1 cp="" f
  for f in $(ls "$dir"/*.jar | sort); do cp="${cp:+$cp:}$f"; done
  printf '%s\n' "$cp"
}

require_built() {
  if [ ! -f "$FLINK_DIST/.complete" ] || [ ! -f "$KAFKA_DIST/.complete" ] || [ ! -f "$JOB_JAR" ]; then
    echo "not built: run $PLAYGROUND/build.sh first" >&2
    return 1
  fi
}

now_ms() { date +%s%3N; }
