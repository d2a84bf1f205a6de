#!/usr/bin/env bash
# The local cloud checked with an AWS client the project did not write: Debian's awscli
# (2.9.19, which speaks CloudWatch's query protocol) against `local up`, using only the
# endpoints `local up --json` printed. Every command must succeed, and each answer is checked
# for what a user would look at. Prints `N passed, N failed`; exits non-zero on any failure.
#
#   bash playground/test/awscli/run.sh            # AWS_CLI=/usr/bin/aws by default
set -uo pipefail
cd "$(dirname "$0")/../../.."
AWS_CLI=${AWS_CLI:-/usr/bin/aws}
if ! [ -x "$AWS_CLI" ]; then
  echo "missing prerequisite: Debian's awscli at $AWS_CLI (apt-get install awscli)" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
echo "== $("$AWS_CLI" --version 2>&1)"

work=$(mktemp -d)
node bin/flink-ecs-autoscaler.js local up --port 0 --speed 60 --json >"$work/up.json" 2>"$work/up.err" &
up_pid=$!
cleanup() {
  kill "$up_pid" 2>/dev/null
  wait "$up_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 1 200); do
  [ -s "$work/up.json" ] && break
  kill -0 "$up_pid" 2>/dev/null || break
  sleep 0.1
done
if ! [ -s "$work/up.json" ]; then
  echo "local up did not start:" >&2
  cat "$work/up.err" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
field() { node -e 'const d=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));const v=process.argv[2].split(".").reduce((o,k)=>o[k],d);console.log(v)' "$work/up.json" "$1"; }
ECS=$(field endpoints.ecs)
CW=$(field endpoints.cloudwatch)
DDB=$(field endpoints.dynamodb)
LAMBDA=$(field endpoints.lambda)
CLUSTER=$(field cluster)
SERVICE=$(field service)
TABLE=$(field tableName)
FUNCTION=$(field functionName)
APP=$(field scenario)
export AWS_REGION=$(field region) AWS_DEFAULT_REGION=$(field region)
export AWS_ACCESS_KEY_ID=$(field environment.AWS_ACCESS_KEY_ID) AWS_SECRET_ACCESS_KEY=$(field environment.AWS_SECRET_ACCESS_KEY)
export AWS_PAGER="" AWS_EC2_METADATA_DISABLED=true
echo "== local up: ECS $ECS, CloudWatch $CW, DynamoDB $DDB, Lambda $LAMBDA; cluster $CLUSTER, service $SERVICE"
# Let a few simulated minutes pass, so metrics have been published and are visible.
sleep 8

passed=0
failed=0
# check NAME JS-CONDITION -- aws args...: runs the command, then the condition on its JSON output (o).
check() {
  local name=$1 cond=$2
  shift 3
  if ! "$AWS_CLI" "$@" >"$work/out.json" 2>"$work/err.txt"; then
    echo "FAIL $name: aws $*"
    sed 's/^/    /' "$work/err.txt"
    failed=$((failed + 1))
    return
  fi
  if node -e 'const fs=require("fs");const t=fs.readFileSync(process.argv[1],"utf8");const o=t.trim()===""?{}:JSON.parse(t);process.exit(('"$cond"')?0:1)' "$work/out.json"; then
    echo "ok   $name"
    passed=$((passed + 1))
  else
    echo "FAIL $name: unexpected answer to aws $*"
    head -c 2000 "$work/out.json" | sed 's/^/    /'
    failed=$((failed + 1))
  fi
}

check "ecs list-clusters" 'o.clusterArns.some((a)=>a.endsWith("/'"$CLUSTER"'"))' -- \
  --endpoint-url "$ECS" ecs list-clusters
check "ecs describe-services" 'o.services[0].serviceName==="'"$SERVICE"'" && o.services[0].runningCount>0 && o.services[0].events.length>0' -- \
  --endpoint-url "$ECS" ecs describe-services --cluster "$CLUSTER" --services "$SERVICE"
check "ecs list-tasks" 'o.taskArns.length>0' -- \
  --endpoint-url "$ECS" ecs list-tasks --cluster "$CLUSTER" --service-name "$SERVICE"
TASK=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).taskArns[0])' "$work/out.json")
check "ecs describe-tasks" 'o.tasks[0].taskArn==="'"$TASK"'" && o.tasks[0].healthStatus==="HEALTHY"' -- \
  --endpoint-url "$ECS" ecs describe-tasks --cluster "$CLUSTER" --tasks "$TASK"
check "ecs update-service --force-new-deployment" 'o.service.deployments.length===2 && o.service.deployments[0].rolloutState==="IN_PROGRESS"' -- \
  --endpoint-url "$ECS" ecs update-service --cluster "$CLUSTER" --service "$SERVICE" --force-new-deployment

check "cloudwatch put-metric-data" 'true' -- \
  --endpoint-url "$CW" cloudwatch put-metric-data --namespace Playground/AwsCli --metric-name probe \
  --value 42 --unit Count --storage-resolution 60 --dimensions Check=awscli
check "cloudwatch list-metrics" 'o.Metrics.some((m)=>m.MetricName==="probe") ' -- \
  --endpoint-url "$CW" cloudwatch list-metrics --namespace Playground/AwsCli
check "cloudwatch list-metrics (the TaskManagers')" 'o.Metrics.length>0' -- \
  --endpoint-url "$CW" cloudwatch list-metrics --namespace ECS/ContainerInsights/Prometheus --metric-name flink_taskmanager_job_task_busyTimeMsPerSecond
METRIC=$(node -e 'const m=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).Metrics[0];console.log(JSON.stringify(m))' "$work/out.json")
check "cloudwatch get-metric-data" 'o.MetricDataResults[0].Values.length>0 && o.MetricDataResults[0].StatusCode==="Complete"' -- \
  --endpoint-url "$CW" cloudwatch get-metric-data --start-time 2026-01-01T00:00:00Z --end-time 2026-01-01T06:00:00Z \
  --metric-data-queries "[{\"Id\":\"busy\",\"MetricStat\":{\"Metric\":$METRIC,\"Period\":60,\"Stat\":\"Average\"}}]"
check "cloudwatch describe-alarms" 'o.MetricAlarms.length===1 && ["OK","ALARM","INSUFFICIENT_DATA"].includes(o.MetricAlarms[0].StateValue)' -- \
  --endpoint-url "$CW" cloudwatch describe-alarms

check "dynamodb query" 'o.Items.some((i)=>i.sk.S==="SCALER")' -- \
  --endpoint-url "$DDB" dynamodb query --table-name "$TABLE" --key-condition-expression "pk = :pk" \
  --expression-attribute-values "{\":pk\":{\"S\":\"APP#$APP\"}}"

# Each manual payload of the README.
invoke() {
  local name=$1 payload=$2 cond=$3
  if ! "$AWS_CLI" --endpoint-url "$LAMBDA" lambda invoke --function-name "$FUNCTION" \
    --cli-binary-format raw-in-base64-out --payload "$payload" "$work/payload.json" >"$work/out.json" 2>"$work/err.txt"; then
    echo "FAIL lambda invoke $name"
    sed 's/^/    /' "$work/err.txt"
    failed=$((failed + 1))
    return
  fi
  if node -e 'const fs=require("fs");const m=JSON.parse(fs.readFileSync(process.argv[1],"utf8"));const o=JSON.parse(fs.readFileSync(process.argv[2],"utf8"));process.exit(m.StatusCode===200&&!m.FunctionError&&('"$cond"')?0:1)' "$work/out.json" "$work/payload.json"; then
    echo "ok   lambda invoke $name"
    passed=$((passed + 1))
  else
    echo "FAIL lambda invoke $name: unexpected answer"
    cat "$work/out.json" "$work/payload.json" | head -c 2000 | sed 's/^/    /'
    failed=$((failed + 1))
  fi
}
invoke rescale '{"action":"rescale","desiredCount":6,"reason":"sale starts","holdMinutes":30,"dryRun":false}' 'o.desired===6'
invoke pause '{"action":"pause","minutes":60,"reason":"maintenance"}' 'o.reason==="Paused"'
invoke resume '{"action":"resume"}' 'o.reason==="Resumed"'
invoke status '{"action":"status","limit":10}' 'o.reason==="Status"'
check "ecs describe-services after the rescale" 'o.services[0].desiredCount===6' -- \
  --endpoint-url "$ECS" ecs describe-services --cluster "$CLUSTER" --services "$SERVICE"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
