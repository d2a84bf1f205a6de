#!/usr/bin/env bash
# How many TaskManagers fit on this machine, and does N of them give N x the capacity?
# For each N: fresh Kafka + JobManager + N TaskManagers (TM_SLOTS each), a topic with
# N x TM_SLOTS partitions, a load of OVERLOAD x the nominal capacity (so every subtask
# has a backlog), then over WINDOW_S: records processed per second (from the
# TaskManagers' numRecordsIn counters), machine CPU busy %, load average, and memory.
# Usage: experiments/scale.sh 4 8 16
set -euo pipefail
HERE="$(cd "$(dirname "$0")/.." && pwd)"
source "$HERE/bin/lib.sh"
export TM_SLOTS="${TM_SLOTS:-2}"
WORK_US="${WORK_US:-1000}" OVERLOAD="${OVERLOAD:-1.2}" WINDOW_S="${WINDOW_S:-30}"
export KAFKA_PORT=39092 KAFKA_CONTROLLER_PORT=39093 FLINK_REST_PORT=38081 FLINK_RPC_PORT=36123 FLINK_BLOB_PORT=36124 JM_PROM_PORT=39249
export KAFKA_BOOTSTRAP=127.0.0.1:39092
REST=http://127.0.0.1:38081
PIDS=()
stop_all() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done; PIDS=(); }
trap stop_all EXIT
prom() { curl -sf "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1 ~ "^"m"({|$)" {s+=$NF} END {print s+0}'; }
# CPU seconds used by this experiment's JVMs (the bin scripts exec java; the load tool's
# java is a child of its wrapper), so other work on the machine does not count
own_cpu() { local t=0 p c; for p in "${PIDS[@]}"; do for c in $p $(pgrep -P "$p" 2>/dev/null); do
  t=$((t + $(awk '{print $14 + $15}' /proc/$c/stat 2>/dev/null || echo 0))); done; done; echo $t; }
HZ=$(getconf CLK_TCK)
for n in "$@"; do
  export RUN_DIR; RUN_DIR=$(mktemp -d -t scale.XXXXXX)
  parts=$((n * TM_SLOTS)); cap=$((parts * 1000000 / WORK_US)); rate=$(python3 -c "print(int($cap * $OVERLOAD))")
  "$HERE/bin/kafka.sh" > "$RUN_DIR/kafka.log" 2>&1 & PIDS+=($!)
  until (echo > /dev/tcp/127.0.0.1/39092) 2>/dev/null; do sleep 0.2; done
  "$HERE/bin/loadtool.sh" create-topic --bootstrap $KAFKA_BOOTSTRAP --topic demo --partitions $parts > /dev/null
  "$HERE/bin/jobmanager.sh" --topic demo --work-us "$WORK_US" > "$RUN_DIR/jm.log" 2>&1 & PIDS+=($!)
  t0=$SECONDS
  for i in $(seq 1 "$n"); do "$HERE/bin/taskmanager.sh" "tm-$i" $((39300 + i)) > "$RUN_DIR/tm-$i.log" 2>&1 & PIDS+=($!); done
  ok=0
  for _ in $(seq 1 300); do
    s=$(curl -sf "$REST/jobs/overview" | python3 -c "import json,sys; j=json.load(sys.stdin)['jobs']; print(j[0]['state'], j[0]['tasks']['running'], j[0]['tasks']['total']) if j else print('none 0 0')" 2>/dev/null || echo "none 0 0")
    read -r st run tot <<< "$s"
    if [ "$st" = RUNNING ] && [ "$run" = "$parts" ] && [ "$tot" = "$parts" ]; then ok=1; break; fi
    sleep 1
  done
  [ $ok = 1 ] || { echo "N=$n: job not running at parallelism $parts after 300 s ($s); logs in $RUN_DIR"; stop_all; continue; }
  up=$((SECONDS - t0))
  "$HERE/bin/loadtool.sh" produce --bootstrap $KAFKA_BOOTSTRAP --topic demo --rate "$rate" > "$RUN_DIR/load.log" 2>&1 & PIDS+=($!)
  sleep 15
  # (timestamps: the middle of each scrape round, which takes seconds on a busy machine)
  # records read from Kafka: the sum over partitions of the source's currentOffset (the
  # newest value per partition over all series, so a lingering series cannot double count)
  sum_in() { for i in $(seq 1 "$n"); do curl -sf "http://127.0.0.1:$((39300 + i))/metrics" || true; done | python3 -c "
import re,sys; o={}
for l in sys.stdin:
    if l.startswith('flink_taskmanager_job_task_operator_KafkaSourceReader_topic_partition_currentOffset{'):
        p=re.search(r'partition=\"(\d+)\"', l).group(1); o[p]=max(o.get(p,-1), float(l.rsplit(' ',1)[1]))
print(int(sum(o.values())), len(o))"; }
  restarts() { prom 39249 flink_jobmanager_job_numRestarts | cut -d. -f1; }
  ta=$(date +%s%3N); read -r r0 np0 < <(sum_in); tb=$(date +%s%3N); x0=$(restarts); c0=$(own_cpu); t1=$(( (ta + tb) / 2 ))
  sleep "$WINDOW_S"
  ta=$(date +%s%3N); read -r r1 np1 < <(sum_in); tb=$(date +%s%3N); x1=$(restarts); c1=$(own_cpu); t2=$(( (ta + tb) / 2 ))
  rss=0; for p in "${PIDS[@]}"; do v=$(awk '/VmRSS/ {print $2}' /proc/$p/status 2>/dev/null || echo 0); rss=$((rss + v)); done
  echo "N=$n TMs ($parts slots, $parts partitions): all subtasks RUNNING ${up}s after the TMs were started; input $rate/s (nominal capacity $cap/s): read from Kafka $(python3 -c "print(round(($r1-$r0)/(($t2-$t1)/1000)))")/s ($np1/$parts partitions seen, restarts in the window: $((x1 - x0))); CPU of these JVMs $(python3 -c "print(round(100*($c1-$c0)/$HZ/(($t2-$t1)/1000)))")% of one core; loadavg (whole machine) $(cut -d' ' -f1 /proc/loadavg); RSS of all JVMs $((rss / 1024)) MB; MemAvailable $(awk '/MemAvailable/ {print int($2/1024)}' /proc/meminfo) MB"
  stop_all; rm -rf "$RUN_DIR"
done
