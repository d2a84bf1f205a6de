#!/usr/bin/env bash
# JobManager: a standalone *application* cluster in reactive mode running the demo job
# (org.apache.flink.container.entrypoint.StandaloneApplicationClusterEntryPoint).
# Execs the JVM in the foreground; logs go to stdout. The job jar is placed in
# <home>/usrlib (the entrypoint finds it via $FLINK_LIB_DIR/../usrlib) and reaches the
# TaskManagers through the blob server.
#
#   RUN_DIR=... FLINK_REST_PORT=8081 FLINK_RPC_PORT=6123 JM_PROM_PORT=9249 \
#     bin/jobmanager.sh [job arguments, e.g. --topic demo --work-us 1000 --checkpoint-ms 10000]
set -euo pipefail
source "$(dirname "$0")/flink-common.sh"
require_built
jm="$RUN_DIR/jobmanager"
mkdir -p "$jm/home/usrlib" "$jm/home/plugins" "$CHECKPOINT_DIR"
ln -sfn "$FLINK_LIB" "$jm/home/lib"
cp "$JOB_JAR" "$jm/home/usrlib/flink-ecs-demo-job.jar"
write_flink_conf "$jm/conf"
params=$(resource_params GET_JM_RESOURCE_PARAMS "$jm/conf")
jvm_mem=$(sed -n 1p <<<"$params")
dyn=$(sed -n 2p <<<"$params")

export FLINK_LIB_DIR="$jm/home/lib" FLINK_PLUGINS_DIR="$jm/home/plugins" FLINK_CONF_DIR="$jm/conf"
# shellcheck disable=SC2086  # word splitting of the flag lists is intended
exec "$JAVA" $jvm_mem $FLINK_GC_OPTS $FLINK_JAVA17_OPTS ${JM_JAVA_OPTS:-} \
  -Dlog4j.configurationFile="file:$jm/conf/log4j-console.properties" \
  -cp "$(lib_classpath "$FLINK_LIB")" \
  org.apache.flink.container.entrypoint.StandaloneApplicationClusterEntryPoint \
  --configDir "$jm/conf" $dyn \
  --job-classname io.flinkecs.playground.DemoJob \
  --bootstrap "$KAFKA_BOOTSTRAP" "$@"
