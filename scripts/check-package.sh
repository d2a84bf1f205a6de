#!/usr/bin/env bash
# The product as a CDK user installs it (issue 13): `npm pack` (which builds dist/), the
# tarball's contents checked, the tarball installed into an empty project with aws-cdk-lib,
# the example app (examples/existing-service, which depends on the product by name)
# type-checked against the package's declarations and synthesized offline with cdk-nag,
# `npx flink-ecs-autoscaler --help`, and a `status` against `local up` run from the checkout.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
up_pid=""
cleanup() {
  if [ -n "$up_pid" ]; then kill "$up_pid" 2>/dev/null || true; wait "$up_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
step() { printf '== package: %s\n' "$*"; }

step "npm pack (builds dist/: compiled library and CLI, prebundled Lambda code)"
(cd "$root" && npm pack --silent --pack-destination "$work" >/dev/null)
tarball="$(ls "$work"/flink-ecs-autoscaler-*.tgz)"
step "contents of $(basename "$tarball"): $(tar tzf "$tarball" | wc -l) files, $(du -k "$tarball" | cut -f1) KB"
node "$root/scripts/check-package-contents.mjs" "$tarball"

step "install into an empty project with aws-cdk-lib, then the example app"
app="$work/app"
mkdir -p "$app"
cp "$root/examples/existing-service/app.ts" "$root/examples/existing-service/package.json" \
  "$root/examples/existing-service/tsconfig.json" "$app/"
(cd "$app" && npm install --no-audit --no-fund --loglevel=error "$tarball" >/dev/null)
step "type-check the example against the installed declarations"
(cd "$app" && npx --no-install tsc --noEmit)
step "synthesize the example offline, with cdk-nag (AwsSolutions, Serverless)"
(cd "$app" && CDK_OUTDIR="$app/cdk.out" npx --no-install tsx app.ts)
node -e '
  const fs = require("node:fs");
  const t = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  const fns = Object.values(t.Resources).filter((r) => r.Type === "AWS::Lambda::Function" && r.Properties.Handler === "index.handler");
  if (fns.length < 2) throw new Error(`expected the scaler and failover functions from the prebundled code, found ${fns.length}`);
  console.log(`   ${fns.length} functions from the prebundled code of the package; no reserved concurrency: ${fns.every((f) => f.Properties.ReservedConcurrentExecutions === undefined)}`);
' "$app/cdk.out/OrdersFlinkAutoscaler.template.json"

step "npx flink-ecs-autoscaler --help (from the install, no playground)"
(cd "$app" && npx --no-install flink-ecs-autoscaler --help | head -3)

step "local up (from the checkout), then status from the install"
(cd "$root" && exec node bin/flink-ecs-autoscaler.js local up --port 0 --json --quiet >"$work/up.json" 2>"$work/up.err") &
up_pid=$!
for _ in $(seq 1 60); do [ -s "$work/up.json" ] && break; sleep 1; done
[ -s "$work/up.json" ] || { cat "$work/up.err"; echo "local up did not start"; exit 1; }
eval "$(node -e 'const d = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8")); for (const [k, v] of Object.entries(d.environment)) console.log(`export ${k}=${v}`);' "$work/up.json")"
(cd "$app" && npx --no-install flink-ecs-autoscaler status | head -4)
step "ok"
