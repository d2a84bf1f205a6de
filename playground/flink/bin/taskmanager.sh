#!/usr/bin/env bash
# TaskManager: org.apache.flink.runtime.taskexecutor.TaskManagerRunner with a given
# resource id (the ECS task id) and a given Prometheus port. Execs the JVM in the
# foreground; logs go to stdout; SIGTERM shuts it down, SIGKILL is a crash.
#
#   RUN_DIR=... TM_SLOTS=2 TM_PROCESS_SIZE=512m bin/taskmanager.sh <resource-id> <prom-port>
set -euo pipefail
source "$(dirname "$0")/flink-common.sh"
require_built
id=${1:?usage: taskmanager.sh <resource-id> <prometheus-port>}
prom=${2:?usage: taskmanager.sh <resource-id> <prometheus-port>}
tm="$RUN_DIR/taskmanager-$id"
mkdir -p "$tm/tmp"
write_flink_conf "$tm/conf"
params=$(resource_params GET_TM_RESOURCE_PARAMS "$tm/conf")
jvm_mem=$(sed -n 1p <<<"$params")
dyn=$(sed -n 2p <<<"$params")

export FLINK_CONF_DIR="$tm/conf"
# shellcheck disable=SC2086
exec "$JAVA" $jvm_mem $FLINK_GC_OPTS $FLINK_JAVA17_OPTS ${TM_JAVA_OPTS:-} \
  -Dlog4j.configurationFile="file:$tm/conf/log4j-console.properties" \
  -cp "$(lib_classpath "$FLINK_LIB")" \
  org.apache.flink.runtime.taskexecutor.TaskManagerRunner \
  --configDir "$tm/conf" $dyn \
  -D "taskmanager.resource-id=$id" \
  -D "metrics.reporter.prom.port=$prom" \
  -D "io.tmp.dirs=$tm/tmp"
