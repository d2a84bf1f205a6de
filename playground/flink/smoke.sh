#!/usr/bin/env bash
# Smoke run of the real-Flink playground, end to end, with measurements:
#   build -> Kafka (KRaft) -> topic (P partitions) -> JobManager (application cluster,
#   reactive) + 2 TaskManagers -> job RUNNING at 2 x slots -> idle CPU -> producer above
#   one TaskManager's capacity -> busy/throughput from Prometheus + REST -> fixture scrape
#   -> 3rd TaskManager: reactive rescale timings -> SIGKILL one: detection, restart at
#   the lower parallelism, records replayed -> clean stop, no orphan JVMs.
# Needs: bash, curl, python3 (JSON), java 17, mvn. Prints a summary; writes
# $RUN_DIR/smoke-results.json and fixtures/taskmanager-scrape.txt (+ jobmanager-scrape.txt).
#
# Knobs (env): RATE=5000 PARTITIONS=8 TM_SLOTS=2 WORK_US=1000 CHECKPOINT_MS=10000
#   PIPELINE=chained PORT_BASE=19000 RUN_DIR=<temp dir> KEEP_RUN_DIR=0
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/bin/lib.sh"

RATE="${RATE:-5000}"
PARTITIONS="${PARTITIONS:-8}"
export TM_SLOTS="${TM_SLOTS:-2}"
WORK_US="${WORK_US:-1000}"
CHECKPOINT_MS="${CHECKPOINT_MS:-10000}"
PIPELINE="${PIPELINE:-chained}"
PORT_BASE="${PORT_BASE:-19000}"
export KAFKA_PORT=$((PORT_BASE + 92)) KAFKA_CONTROLLER_PORT=$((PORT_BASE + 93))
export FLINK_REST_PORT=$((PORT_BASE + 81)) FLINK_RPC_PORT=$((PORT_BASE + 123)) FLINK_BLOB_PORT=$((PORT_BASE + 124))
export JM_PROM_PORT=$((PORT_BASE + 249))
TM_PROM_BASE=$((PORT_BASE + 250))    # tm-N gets TM_PROM_BASE + N
LOADTOOL_PORT=$((PORT_BASE + 300))
export KAFKA_BOOTSTRAP="127.0.0.1:$KAFKA_PORT"
export RUN_DIR="${RUN_DIR:-$(mktemp -d -t flink-smoke.XXXXXX)}"
REST="http://127.0.0.1:$FLINK_REST_PORT"
TOPIC=demo GROUP=flink-demo
mkdir -p "$RUN_DIR/logs"
T_START=$(now_ms)

declare -A PIDS=()      # name -> pid, everything this script started
declare -A R=()         # results
ORDER=()

log() { printf '[smoke %6.1fs] %s\n' "$(( $(now_ms) - T_START ))e-3" "$*"; }
die() { log "FAILED: $*"; exit 1; }

# ---- cleanup: by PID only, TERM then KILL, then verify nothing of ours is left ----------
stop_pid() {  # name [signal]
  local name=$1 sig=${2:-TERM} pid=${PIDS[$1]:-}
  [ -n "$pid" ] || return 0
  kill -"$sig" "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then log "$name ($pid) ignored SIG$sig for 10 s: SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; fi
  wait "$pid" 2>/dev/null || true
  unset "PIDS[$name]"
}
orphans() { ps -eo pid=,args= | grep -F -- "$RUN_DIR" | grep -v -e grep -e "smoke.sh" || true; }
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [ "$rc" = 0 ] || log "cleaning up after exit code $rc"
  for n in loadtool tm-3 tm-2 tm-1 jobmanager kafka; do stop_pid "$n"; done
  for n in "${!PIDS[@]}"; do stop_pid "$n"; done
  local left; left=$(orphans)
  if [ -n "$left" ]; then log "ORPHANS left:"; echo "$left"; rc=1; else log "no JVM of this run is left (ps)"; fi
  if [ "$rc" != 0 ]; then
    log "logs kept in $RUN_DIR/logs"; for f in "$RUN_DIR"/logs/*.log; do echo "--- tail $f"; tail -n 15 "$f"; done
  elif [ "${KEEP_RUN_DIR:-0}" != 1 ]; then rm -rf "$RUN_DIR"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

start() {  # name command... (stdout+stderr to logs/name.log)
  local name=$1; shift
  "$@" > "$RUN_DIR/logs/$name.log" 2>&1 &
  PIDS[$name]=$!
  ORDER+=("$name")
}

# ---- small helpers ------------------------------------------------------------------
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
wait_for() {  # timeout_s description command...
  local timeout=$1 what=$2; shift 2
  local deadline=$(( $(now_ms) + timeout * 1000 ))
  until "$@" >/dev/null 2>&1; do
    [ "$(now_ms)" -lt "$deadline" ] || die "timed out after ${timeout}s waiting for $what"
    sleep 0.1
  done
}
port_open() { (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
rss_mb() { awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
secs() { python3 -c "print(round(($2 - $1) / 1000, 2))"; }
job_id() { curl -sf "$REST/jobs/overview" | json "d['jobs'][0]['jid'] if d['jobs'] else ''"; }
# "<state> <parallelism of every vertex, comma separated> <running subtasks>/<total>"
job_status() {
  curl -sf "$REST/jobs/$JOB" | json "d['state'] + ' ' + ','.join(str(v['parallelism']) for v in d['vertices']) + ' ' + str(sum(v['tasks'].get('RUNNING',0) for v in d['vertices'])) + '/' + str(sum(v['parallelism'] for v in d['vertices']))"
}
status_check() {  # python condition over st (state), ps (vertex parallelisms), r, t (running/total subtasks)
  local s; s=$(job_status) || return 1
  python3 -c "
import sys; st, par, run = sys.argv[1].split(' ')
ps = [int(x) for x in par.split(',')]; r, t = (int(x) for x in run.split('/'))
sys.exit(0 if ($1) else 1)" "$s"
}
job_running_at() { status_check "st == 'RUNNING' and all(p == $1 for p in ps) and r == t"; }
job_not_running() { status_check "not (st == 'RUNNING' and r == t)"; }
# the current execution graph's CREATED time (the adaptive scheduler builds a new graph
# for every restart or rescale, so this is when the restart/rescale finished cancelling)
graph_created_ms() { curl -sf "$REST/jobs/$JOB" | json "d['timestamps']['CREATED']"; }
# the newest failure the JobManager recorded: "<timestamp ms> <exception name>"
last_failure() { curl -sf "$REST/jobs/$JOB/exceptions?maxExceptions=1" | json "(lambda e: '%d %s' % (e[0]['timestamp'], e[0]['exceptionName']) if e else '0 none')(d['exceptionHistory']['entries'])"; }
# watch_transition P: poll until RUNNING at parallelism P; sets W_LEFT (first poll that saw
# the job not running, 0 if none did) and W_BACK (when every subtask ran at P)
watch_transition() {
  local deadline=$(( $(now_ms) + 120000 ))
  W_LEFT=0
  while :; do
    if job_running_at "$1"; then
      if [ "$W_LEFT" != 0 ] || [ "$(graph_created_ms)" -gt "$2" ]; then W_BACK=$(now_ms); return 0; fi
    elif [ "$W_LEFT" = 0 ]; then W_LEFT=$(now_ms); fi
    [ "$(now_ms)" -lt "$deadline" ] || die "timed out waiting for the job to run at parallelism $1"
    sleep 0.1
  done
}
tm_registered() { curl -sf "$REST/taskmanagers" | json "'$1' in [t['id'] for t in d['taskmanagers']]" | grep -qx True; }
tm_gone() { curl -sf "$REST/taskmanagers" | json "'$1' in [t['id'] for t in d['taskmanagers']]" | grep -qx False; }
# sum of a TaskManager counter/gauge over its series: prom_sum port metric_regex [task_name_regex]
prom_sum() { curl -sf "http://127.0.0.1:$1/metrics" | python3 -c "
import re,sys; tot=0.0
for l in sys.stdin:
    if l.startswith('#'): continue
    m = re.match(r'(\w+)\{(.*)\} (\S+)', l)
    if not m or not re.fullmatch(sys.argv[1], m.group(1)): continue
    t = re.search(r'task_name=\"([^\"]*)\"', m.group(2))
    if len(sys.argv) > 2 and not (t and re.search(sys.argv[2], t.group(1))): continue
    tot += float(m.group(3))
print(tot)" "$2" "${3:-.*}"; }
# one scrape of the given TaskManagers -> {"current": {partition: last emitted offset},
# "committed": {partition: offset committed at the last completed checkpoint}}
source_offsets() { for p in "$@"; do curl -sf "http://127.0.0.1:$p/metrics" || true; done | python3 -c "
import re,sys,json; out={'current':{}, 'committed':{}}
pre='flink_taskmanager_job_task_operator_KafkaSourceReader_topic_partition_'
for l in sys.stdin:
    for k, name in (('current', 'currentOffset'), ('committed', 'committedOffset')):
        if l.startswith(pre + name + '{'):
            m = re.search(r'partition=\"(\d+)\"', l); v = float(l.rsplit(' ',1)[1])
            if m and v >= 0: out[k][m.group(1)] = max(out[k].get(m.group(1), -1), int(v))
print(json.dumps(out))"; }

# ---- 0. ports free --------------------------------------------------------------------
for p in $KAFKA_PORT $KAFKA_CONTROLLER_PORT $FLINK_REST_PORT $FLINK_RPC_PORT $FLINK_BLOB_PORT $JM_PROM_PORT \
         $((TM_PROM_BASE+1)) $((TM_PROM_BASE+2)) $((TM_PROM_BASE+3)) $LOADTOOL_PORT; do
  port_open "$p" && die "port $p is in use (set PORT_BASE)"
done
log "run dir $RUN_DIR; flink $FLINK_VERSION, connector $KAFKA_CONNECTOR_VERSION, kafka $KAFKA_VERSION; rate $RATE/s, $PARTITIONS partitions, $TM_SLOTS slots/TM, ${WORK_US}us/record, pipeline $PIPELINE"

# ---- 1. build -------------------------------------------------------------------------
t=$(now_ms); "$HERE/build.sh"; R[build_s]=$(secs "$t" "$(now_ms)")

# ---- 2. Kafka -------------------------------------------------------------------------
t=$(now_ms); start kafka "$HERE/bin/kafka.sh"
wait_for 60 "Kafka on $KAFKA_PORT" port_open "$KAFKA_PORT"
R[kafka_port_open_s]=$(secs "$t" "$(now_ms)")
"$HERE/bin/loadtool.sh" create-topic --bootstrap "$KAFKA_BOOTSTRAP" --topic $TOPIC --partitions "$PARTITIONS"
R[kafka_topic_ready_s]=$(secs "$t" "$(now_ms)")
log "Kafka: port open after ${R[kafka_port_open_s]} s (incl. storage format), topic ready after ${R[kafka_topic_ready_s]} s"

# ---- 3. JobManager + 2 TaskManagers -----------------------------------------------------
t=$(now_ms)
start jobmanager "$HERE/bin/jobmanager.sh" --topic $TOPIC --group $GROUP --work-us "$WORK_US" \
  --checkpoint-ms "$CHECKPOINT_MS" --pipeline "$PIPELINE"
wait_for 90 "JobManager REST" curl -sf "$REST/overview"
R[jm_rest_up_s]=$(secs "$t" "$(now_ms)")
log "JobManager REST up after ${R[jm_rest_up_s]} s"
t=$(now_ms)
start tm-1 "$HERE/bin/taskmanager.sh" tm-1 $((TM_PROM_BASE + 1))
start tm-2 "$HERE/bin/taskmanager.sh" tm-2 $((TM_PROM_BASE + 2))
wait_for 90 "tm-1 registered" tm_registered tm-1
wait_for 90 "tm-2 registered" tm_registered tm-2
R[tm12_registered_s]=$(secs "$t" "$(now_ms)")
wait_for 90 "a job" test -n "$(job_id)"
JOB=$(job_id)
P2=$((2 * TM_SLOTS))
wait_for 120 "job RUNNING at parallelism $P2" job_running_at $P2
R[tm12_job_running_s]=$(secs "$t" "$(now_ms)")
log "2 TaskManagers: registered after ${R[tm12_registered_s]} s, job $JOB RUNNING at parallelism $P2 after ${R[tm12_job_running_s]} s"
curl -sf "$REST/jobs/$JOB" | json "'\n'.join('  vertex %s: parallelism %d, %s' % (v['name'], v['parallelism'], v['status']) for v in d['vertices'])"
curl -sf "$REST/taskmanagers" | json "'\n'.join('  taskmanager %s: %d slots, %d free' % (t['id'], t['slotsNumber'], t['freeSlots']) for t in d['taskmanagers'])"

# the exact command lines, as a spawner would run them
for n in kafka jobmanager tm-1; do echo "== $n"; tr '\0' ' ' < "/proc/${PIDS[$n]}/cmdline"; echo; done > "$RUN_DIR/logs/cmdlines.txt"

# ---- 4. idle CPU (job running, no input) -------------------------------------------------
sleep 3
declare -A C0=()
for n in kafka jobmanager tm-1 tm-2; do C0[$n]=$(cpu_ticks "${PIDS[$n]}"); done
sleep 10
HZ=$(getconf CLK_TCK)
for n in kafka jobmanager tm-1 tm-2; do
  R[idle_cpu_pct_$n]=$(python3 -c "print(round(($(cpu_ticks "${PIDS[$n]}") - ${C0[$n]}) / $HZ / 10 * 100, 1))")
done
log "idle CPU (% of one core, 10 s): kafka ${R[idle_cpu_pct_kafka]}, jobmanager ${R[idle_cpu_pct_jobmanager]}, tm-1 ${R[idle_cpu_pct_tm-1]}, tm-2 ${R[idle_cpu_pct_tm-2]}"

# ---- 5. load above one TaskManager's capacity -------------------------------------------
start loadtool "$HERE/bin/loadtool.sh" produce --bootstrap "$KAFKA_BOOTSTRAP" --topic $TOPIC --rate "$RATE" \
  --group $GROUP --status-port $LOADTOOL_PORT --report-ms 1000
wait_for 30 "load tool status" curl -sf "http://127.0.0.1:$LOADTOOL_PORT/lag"
sleep 15
sample() {  # -> "busy_ms records" summed over the subtasks of the task that runs "work"
  local b=0 n=0
  for p in $((TM_PROM_BASE + 1)) $((TM_PROM_BASE + 2)); do
    b=$(python3 -c "print($b + $(prom_sum $p 'flink_taskmanager_job_task_accumulateBusyTimeMs' work))")
    n=$(python3 -c "print($n + $(prom_sum $p 'flink_taskmanager_job_task_numRecordsIn' work))")
  done
  echo "$b $n"
}
t0=$(now_ms); read -r b0 n0 < <(sample); c0=$(cpu_ticks "${PIDS[tm-1]}")
sleep 10
t1=$(now_ms); read -r b1 n1 < <(sample); c1=$(cpu_ticks "${PIDS[tm-1]}")
dt=$(python3 -c "print(($t1 - $t0) / 1000)")
R[busy_ms_per_s_per_subtask]=$(python3 -c "print(round(($b1 - $b0) / $dt / $P2))")
R[records_per_s_total_p$P2]=$(python3 -c "print(round(($n1 - $n0) / $dt))")
R[capacity_per_slot_rps]=$(python3 -c "b=($b1-$b0)/$dt/$P2; r=($n1-$n0)/$dt/$P2; print(round(r / (b / 1000)) if b > 0 else 0)")
R[load_cpu_pct_tm-1]=$(python3 -c "print(round(($c1 - $c0) / $HZ / $dt * 100, 1))")
log "under load ($RATE/s in): $P2 work subtasks busy ${R[busy_ms_per_s_per_subtask]} ms/s each, processing ${R[records_per_s_total_p$P2]} records/s => ${R[capacity_per_slot_rps]} records/s per slot at 100% busy; tm-1 CPU ${R[load_cpu_pct_tm-1]}%"
log "REST view (60 s moving averages):"
for vid in $(curl -sf "$REST/jobs/$JOB" | json "' '.join(v['id'] for v in d['vertices'])"); do
  curl -sf "$REST/jobs/$JOB/vertices/$vid/subtasks/metrics?get=busyTimeMsPerSecond,backPressuredTimeMsPerSecond,idleTimeMsPerSecond,numRecordsInPerSecond&agg=min,max,avg" \
    | json "'\n'.join('  %s min %.0f max %.0f avg %.0f' % (m['id'], m['min'], m['max'], m['avg']) for m in d)"
  curl -sf "$REST/jobs/$JOB/vertices/$vid/backpressure" | json "'  backpressure: %s (%s)' % (d.get('backpressureLevel', d.get('status')), ', '.join('%.2f' % s['ratio'] for s in d.get('subtasks', [])))" || true
done
lag_line=$(curl -sf "http://127.0.0.1:$LOADTOOL_PORT/lag")
# the FLIP-33 pendingRecords summed over the subtasks vs. the backlog at the readers'
# positions (log-end offsets from the load tool's last report, positions from the scrape)
pending=$(python3 -c "print(int($(prom_sum $((TM_PROM_BASE + 1)) flink_taskmanager_job_task_operator_pendingRecords) + $(prom_sum $((TM_PROM_BASE + 2)) flink_taskmanager_job_task_operator_pendingRecords)))")
positions=$(source_offsets $((TM_PROM_BASE + 1)) $((TM_PROM_BASE + 2)))
R[backlog_pendingRecords_sum]=$pending
R[backlog_at_reader_positions]=$(python3 -c "
import json; d=json.loads('$lag_line'); cur=json.loads('$positions')['current']
ends=[l + c for l, c in zip(d['lagPerPartition'], d['committedPerPartition'])]
print(sum(max(0, ends[int(p)] - (cur[p] + 1)) for p in cur))")
log "backlog: sum of pendingRecords ${R[backlog_pendingRecords_sum]}, log-end minus reader positions ${R[backlog_at_reader_positions]}"
log "load tool: $(echo "$lag_line" | json "'produced %d, committed lag %d' % (d['produced'], d['lag'])")"
R[rss_mb_kafka]=$(rss_mb "${PIDS[kafka]}"); R[rss_mb_jobmanager]=$(rss_mb "${PIDS[jobmanager]}")
R[rss_mb_tm-1]=$(rss_mb "${PIDS[tm-1]}"); R[rss_mb_tm-2]=$(rss_mb "${PIDS[tm-2]}")
R[rss_mb_loadtool]=$(rss_mb "$(pgrep -P "${PIDS[loadtool]}" java | head -1)")
log "RSS MB: kafka ${R[rss_mb_kafka]}, jobmanager ${R[rss_mb_jobmanager]}, tm-1 ${R[rss_mb_tm-1]}, tm-2 ${R[rss_mb_tm-2]}, load tool ${R[rss_mb_loadtool]}"

# the fixture: a real scrape of one TaskManager (and the JobManager) under load
FIXTURES_DIR="${FIXTURES_DIR:-$HERE/fixtures}"
mkdir -p "$FIXTURES_DIR"
curl -sf "http://127.0.0.1:$((TM_PROM_BASE + 1))/metrics" > "$FIXTURES_DIR/taskmanager-scrape.txt"
curl -sf "http://127.0.0.1:$JM_PROM_PORT/metrics" > "$FIXTURES_DIR/jobmanager-scrape.txt"
R[fixture_tm_series]=$(grep -vc '^#' "$FIXTURES_DIR/taskmanager-scrape.txt")
R[jm_has_job_pendingRecords]=$(grep -q '^flink_jobmanager_job_pendingRecords' "$FIXTURES_DIR/jobmanager-scrape.txt" && echo yes || echo no)
R[tm_has_operator_pendingRecords]=$(grep -q '^flink_taskmanager_job_task_operator_pendingRecords{' "$FIXTURES_DIR/taskmanager-scrape.txt" && echo yes || echo no)
log "$FIXTURES_DIR/taskmanager-scrape.txt: ${R[fixture_tm_series]} series; TM operator pendingRecords: ${R[tm_has_operator_pendingRecords]}; JM flink_jobmanager_job_pendingRecords: ${R[jm_has_job_pendingRecords]}"

# ---- 6. a 3rd TaskManager: reactive scale-up ------------------------------------------
P3=$((3 * TM_SLOTS))
t=$(now_ms)
start tm-3 "$HERE/bin/taskmanager.sh" tm-3 $((TM_PROM_BASE + 3))
wait_for 90 "tm-3 registered" tm_registered tm-3
t_reg=$(now_ms)
watch_transition $P3 "$t"
t_run=$W_BACK
t_graph=$(graph_created_ms)
R[tm3_registered_s]=$(secs "$t" "$t_reg")
R[tm3_rescaled_graph_created_s]=$(secs "$t" "$t_graph")
R[tm3_job_running_s]=$(secs "$t" "$t_run")
R[rescale_up_graph_to_running_s]=$(secs "$t_graph" "$t_run")
log "tm-3: registered after ${R[tm3_registered_s]} s; the rescaled execution graph was created after ${R[tm3_rescaled_graph_created_s]} s; every subtask RUNNING at parallelism $P3 after ${R[tm3_job_running_s]} s (${R[rescale_up_graph_to_running_s]} s from the new graph)"
sleep 5

# ---- 7. SIGKILL a TaskManager: detection, restart at the lower parallelism, replay -------
# Kill KILL_AFTER_CHECKPOINT_S after a checkpoint completed (default 5 s: half the
# interval, the mean case). The checkpoint's offsets are what the KafkaSource committed
# to the group on completion; the load tool's /lag (refreshed every second) reads them.
latest_cp() { curl -sf "$REST/jobs/$JOB/checkpoints" | json "(lambda l: '%d %d' % (l['id'], l['latest_ack_timestamp']) if l else '0 0')(d['latest']['completed'])"; }
KILL_AFTER_CHECKPOINT_S="${KILL_AFTER_CHECKPOINT_S:-5}"
for attempt in 1 2 3 4 5; do
  read -r cp0 _ <<< "$(latest_cp)"
  wait_for 60 "a new completed checkpoint" bash -c "[ \"\$(curl -sf '$REST/jobs/$JOB/checkpoints' | python3 -c 'import json,sys; l=json.load(sys.stdin)[\"latest\"][\"completed\"]; print(l[\"id\"] if l else 0)')\" -gt $cp0 ]"
  read -r cp_id cp_ts <<< "$(latest_cp)"
  wait_for 10 "the load tool to see the commit" bash -c "[ \"\$(curl -sf http://127.0.0.1:$LOADTOOL_PORT/lag | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"epochMs\"])')\" -gt $((cp_ts + 300)) ]"
  committed=$(curl -sf "http://127.0.0.1:$LOADTOOL_PORT/lag" | json "json.dumps(d['committedPerPartition'])")
  sleep_ms=$(( KILL_AFTER_CHECKPOINT_S * 1000 - ($(now_ms) - cp_ts) - 150 ))
  [ "$sleep_ms" -le 0 ] || sleep "$(python3 -c "print($sleep_ms / 1000)")"
  offsets_before=$(source_offsets $((TM_PROM_BASE + 1)) $((TM_PROM_BASE + 2)) $((TM_PROM_BASE + 3)))
  read -r cp_now _ <<< "$(latest_cp)"
  [ "$cp_now" = "$cp_id" ] && break
  log "checkpoint $cp_now completed while preparing the kill: again"
done
victim=tm-2
declare -A LOGLINES=()
for n in tm-1 tm-3; do LOGLINES[$n]=$(wc -l < "$RUN_DIR/logs/$n.log"); done
t_kill=$(now_ms)
kill -KILL "${PIDS[$victim]}"; wait "${PIDS[$victim]}" 2>/dev/null || true; unset "PIDS[$victim]"
watch_transition $P2 "$t_kill"
t_back=$W_BACK
read -r t_detect failure_name <<< "$(last_failure)"
[ "$t_detect" -ge "$t_kill" ] || die "no failure recorded after the kill (last: $t_detect $failure_name)"
wait_for 60 "$victim to leave /taskmanagers" tm_gone $victim
t_gone=$(now_ms)
R[kill_detected_s]=$(secs "$t_kill" "$t_detect")
R[kill_failure]=$failure_name
R[kill_job_running_again_s]=$(secs "$t_kill" "$t_back")
R[kill_tm_unregistered_s]=$(secs "$t_kill" "$t_gone")
restored=$(curl -sf "$REST/jobs/$JOB/checkpoints" | json "str(d['latest']['restored']['id']) if d['latest'].get('restored') else 'none'")
# where the restarted readers start: the KafkaSource logs each split it is given, with the
# starting offset restored from the checkpoint ("Partition: demo-3, StartingOffset: 1234")
restored_offsets() { for n in tm-1 tm-3; do tail -n +$(( ${LOGLINES[$n]} + 1 )) "$RUN_DIR/logs/$n.log"; done | python3 -c "
import re,sys,json; o={}
for m in re.finditer(r'Partition: $TOPIC-(\d+), StartingOffset: (\d+)', sys.stdin.read()): o[m.group(1)] = int(m.group(2))
print(json.dumps(o))"; }
restored_complete() { [ "$(restored_offsets | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" -ge "$PARTITIONS" ]; }
wait_for 30 "the restarted readers to log their $PARTITIONS splits" restored_complete
R[replay_checkpoint_id]=$cp_id
R[replay_restored_checkpoint_id]=$restored
R[replay_checkpoint_age_at_kill_s]=$(secs "$cp_ts" "$t_kill")
# records the source had emitted past the offsets of the last completed checkpoint: the
# restarted job reads them again (partitions: ${PARTITIONS}; both offsets from one scrape)
start_offsets=$(restored_offsets)
echo "replay inputs: emitted before the kill $offsets_before; committed (load tool) $committed; restored $start_offsets" > "$RUN_DIR/logs/replay.txt"
R[replay_records]=$(python3 -c "
import json; cur=json.loads('$offsets_before')['current']; st=json.loads('$start_offsets')
assert len(cur) == $PARTITIONS == len(st), 'offsets of %d/%d partitions' % (len(cur), len(st))
print(sum(max(0, cur[p] + 1 - st[p]) for p in cur))")
R[replay_records_vs_group_commit]=$(python3 -c "
import json; cur=json.loads('$offsets_before')['current']; com=json.loads('$committed')
print(sum(max(0, cur[p] + 1 - com[int(p)]) for p in cur))")
R[replay_expected_rate_x_age]=$(python3 -c "print(round(${R[capacity_per_slot_rps]} * $P3 * ${R[replay_checkpoint_age_at_kill_s]}))")
log "SIGKILL $victim: the JobManager failed its tasks after ${R[kill_detected_s]} s ($failure_name), RUNNING at parallelism $P2 after ${R[kill_job_running_again_s]} s, gone from /taskmanagers after ${R[kill_tm_unregistered_s]} s"
log "replay: restored checkpoint $restored (last completed before the kill: $cp_id, ${R[replay_checkpoint_age_at_kill_s]} s old); records emitted past it, read again: ${R[replay_records]} (upper bound, $P3 busy slots x capacity x age: ${R[replay_expected_rate_x_age]})"

# ---- 8. stop -----------------------------------------------------------------------
lag_end=$(curl -sf "http://127.0.0.1:$LOADTOOL_PORT/lag" | json "d['lag']")
R[committed_lag_at_end]=$lag_end
t=$(now_ms)
for n in loadtool tm-3 tm-1 jobmanager kafka; do stop_pid "$n"; done
R[stop_s]=$(secs "$t" "$(now_ms)")
R[total_s]=$(secs "$T_START" "$(now_ms)")
left=$(orphans); [ -z "$left" ] || die "orphan processes: $left"
{
  echo "{"
  first=1
  for k in $(printf '%s\n' "${!R[@]}" | sort); do
    v=${R[$k]}; [[ "$v" =~ ^-?[0-9.]+$ ]] || v="\"$v\""
    [ $first = 1 ] || echo ","; first=0; printf '  "%s": %s' "$k" "$v"
  done
  echo; echo "}"
} > "$RUN_DIR/smoke-results.json"
log "results:"; cat "$RUN_DIR/smoke-results.json"
mkdir -p "$HERE/run" && cp "$RUN_DIR/smoke-results.json" "${SMOKE_RESULTS:-$HERE/run/last-smoke-results.json}"
log "smoke OK in ${R[total_s]} s"
