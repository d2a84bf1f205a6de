#!/usr/bin/env bash
# The acceptance test of real Flink in the loop (issue 12), as CI runs it (.ci/run; not part
# of `npm test`): playground/src/flink/e2e.ts on real TaskManager JVMs, the product's scaler
# and failover functions unmodified. About 5-7 minutes on the 2-core machine.
#
#   bash playground/flink/e2e.sh            # RUN_DIR=<dir> keeps configs and logs there
#
# Needs Java 17+ and Maven (the first run fetches Flink and Kafka from Maven Central into
# ~/.cache/flink-ecs-autoscaler); fails naming what is missing. Writes nothing into the
# working tree (configs, logs, checkpoints and Kafka's data go to a temporary directory; the
# build's outputs are git-ignored). Every JVM is stopped on success, failure and Ctrl-C, and
# ps checks that none whose command line names the run directory is left.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
t0=$(date +%s)

source playground/flink/bin/lib.sh
if ! command -v "$JAVA" >/dev/null 2>&1; then
  echo "e2e.sh: FAILED: Java 17 is required and no java was found (apt-get install openjdk-17-jdk-headless, or set JAVA_HOME)" >&2
  exit 1
fi
jv=$("$JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
if [ -z "$jv" ] || [ "${jv%%.*}" -lt 17 ]; then
  echo "e2e.sh: FAILED: Java 17 is required, found Java ${jv:-of unknown version} (apt-get install openjdk-17-jdk-headless, or set JAVA_HOME)" >&2
  exit 1
fi
if ! command -v mvn >/dev/null 2>&1; then
  echo "e2e.sh: FAILED: Maven is required to fetch Flink and Kafka from Maven Central and no mvn was found (apt-get install maven)" >&2
  exit 1
fi

own_run_dir=0
if [ -z "${RUN_DIR:-}" ]; then RUN_DIR=$(mktemp -d -t flink-e2e.XXXXXX); own_run_dir=1; fi
export RUN_DIR
export E2E_RESULTS="${E2E_RESULTS:-$RUN_DIR/e2e-results.json}"

orphans() { ps -eo pid=,args= | grep -F -- "$RUN_DIR" | grep -v -e grep -e "e2e.sh" || true; }
node_pid=
finish() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$node_pid" ] && kill -0 "$node_pid" 2>/dev/null; then
    kill -TERM "$node_pid" 2>/dev/null || true
    wait "$node_pid" 2>/dev/null || true
  fi
  local left; left=$(orphans)
  if [ -n "$left" ]; then
    echo "e2e.sh: FAILED: processes of the run were left, killing them:" >&2
    echo "$left" >&2
    echo "$left" | awk '{print $1}' | xargs -r kill -KILL 2>/dev/null || true
    rc=1
  else
    echo "e2e.sh: no process of the run is left (ps)"
  fi
  if [ "$rc" = 0 ] && [ "$own_run_dir" = 1 ]; then
    cp "$E2E_RESULTS" "${TMPDIR:-/tmp}/flink-e2e-results.json" 2>/dev/null || true
    rm -rf "$RUN_DIR"
  elif [ "$rc" != 0 ]; then
    echo "e2e.sh: logs kept in $RUN_DIR/logs" >&2
    for f in "$RUN_DIR"/logs/jobmanager.log "$RUN_DIR"/logs/loadtool.log; do
      [ -f "$f" ] && { echo "--- tail $f" >&2; tail -n 10 "$f" >&2; }
    done
  fi
  echo "e2e.sh: $( [ "$rc" = 0 ] && echo passed || echo FAILED ) in $(( $(date +%s) - t0 )) s"
  exit "$rc"
}
trap finish EXIT
trap 'echo "e2e.sh: interrupted" >&2; exit 130' INT TERM

npx tsx playground/src/flink/e2e.ts &
node_pid=$!
wait "$node_pid"
