#!/usr/bin/env bash
# Find the smallest taskmanager.memory.process.size that runs the demo job reliably:
# for each size, a fresh Kafka + JobManager + 2 TaskManagers, RATE records/s (above
# their capacity, so the source always has a backlog) for DURATION_S, one scale-up to a
# 3rd TaskManager, then: restarts beyond the expected ones, TaskManager alive, heap
# and GC, RSS.  Usage: experiments/tm-memory.sh 320m 384m 448m 512m
set -euo pipefail
HERE="$(cd "$(dirname "$0")/.." && pwd)"
source "$HERE/bin/lib.sh"
RATE="${RATE:-5000}" DURATION_S="${DURATION_S:-60}"
export KAFKA_PORT=29092 KAFKA_CONTROLLER_PORT=29093 FLINK_REST_PORT=28081 FLINK_RPC_PORT=26123 FLINK_BLOB_PORT=26124 JM_PROM_PORT=29249
export KAFKA_BOOTSTRAP=127.0.0.1:29092
REST=http://127.0.0.1:28081
PIDS=()
stop_all() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done; PIDS=(); }
trap stop_all EXIT
prom() { curl -sf "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1 ~ "^"m"({|$)" {s+=$NF} END {print s+0}'; }
for size in "$@"; do
  export RUN_DIR; RUN_DIR=$(mktemp -d -t tm-mem.XXXXXX)
  export TM_PROCESS_SIZE=$size
  "$HERE/bin/kafka.sh" > "$RUN_DIR/kafka.log" 2>&1 & PIDS+=($!)
  until (echo > /dev/tcp/127.0.0.1/29092) 2>/dev/null; do sleep 0.2; done
  "$HERE/bin/loadtool.sh" create-topic --bootstrap $KAFKA_BOOTSTRAP --topic demo --partitions 8 > /dev/null
  "$HERE/bin/jobmanager.sh" --topic demo > "$RUN_DIR/jm.log" 2>&1 & PIDS+=($!)
  # Flink's own validation of the memory model (what taskmanager.sh runs first)
  if ! out=$(bash -c 'source "$1/bin/flink-common.sh"; write_flink_conf "$RUN_DIR/check"; resource_params GET_TM_RESOURCE_PARAMS "$RUN_DIR/check"' _ "$HERE" 2>&1); then
    echo "$size: rejected by Flink: $(grep -m1 -o 'IllegalConfigurationException.*' <<<"$out" | cut -c1-240)"; stop_all; continue
  fi
  echo "$size: JVM flags $(head -1 <<<"$out")"
  "$HERE/bin/taskmanager.sh" tm-1 29251 > "$RUN_DIR/tm-1.log" 2>&1 & PIDS+=($!); tm1=$!
  "$HERE/bin/taskmanager.sh" tm-2 29252 > "$RUN_DIR/tm-2.log" 2>&1 & PIDS+=($!)
  deadline=$((SECONDS + 90))
  until curl -sf $REST/jobs/overview | grep -q RUNNING; do
    [ $SECONDS -lt $deadline ] || { echo "$size: job not RUNNING after 90 s"; break; }; sleep 0.5
  done
  sleep 10
  "$HERE/bin/loadtool.sh" produce --bootstrap $KAFKA_BOOTSTRAP --topic demo --rate "$RATE" > /dev/null 2>&1 & PIDS+=($!)
  heap_max=0; gc0=$(prom 29251 flink_taskmanager_Status_JVM_GarbageCollector_All_Time)
  for i in $(seq 1 $((DURATION_S / 5))); do
    sleep 5
    h=$(prom 29251 flink_taskmanager_Status_JVM_Memory_Heap_Used); heap_max=$(python3 -c "print(max($heap_max, $h))")
    [ "$i" = $((DURATION_S / 10)) ] && { "$HERE/bin/taskmanager.sh" tm-3 29253 > "$RUN_DIR/tm-3.log" 2>&1 & PIDS+=($!); }
  done
  gc1=$(prom 29251 flink_taskmanager_Status_JVM_GarbageCollector_All_Time)
  restarts=$(prom 29249 flink_jobmanager_job_numRestarts); rescales=$(prom 29249 flink_jobmanager_job_numRescales)
  alive=$(kill -0 $tm1 2>/dev/null && echo yes || echo NO)
  rss=$(awk '/VmRSS/ {printf "%.0f", $2/1024}' /proc/$tm1/status 2>/dev/null || echo -)
  oom=$(cat "$RUN_DIR"/tm-*.log | grep -c "OutOfMemoryError" || true)
  echo "$size: tm-1 alive $alive, numRestarts $restarts, numRescales $rescales, heap used max $(python3 -c "print(round($heap_max/2**20))") MB, GC $(python3 -c "print(round(($gc1-$gc0)/$DURATION_S))") ms/s, RSS $rss MB, logs with OOM: $oom"
  stop_all
  rm -rf "$RUN_DIR"
done
