// Checks an npm tarball of the product: it carries the compiled library, CLI and prebundled
// Lambda code, and nothing of the playground (simulator, local cloud, dynalite) or the sources.
import { execFileSync } from 'node:child_process';

const tarball = process.argv[2];
if (!tarball) throw new Error('usage: node scripts/check-package-contents.mjs <tarball>');
const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' })
  .split('\n')
  .filter(Boolean)
  .map((f) => f.replace(/^package\//, ''));
const manifest = JSON.parse(
  execFileSync('tar', ['xzf', tarball, '-O', 'package/package.json'], { encoding: 'utf8' }),
);

const problems = [];
for (const required of [
  'bin/flink-ecs-autoscaler.js',
  'dist/infra/index.js',
  'dist/infra/index.d.ts',
  'dist/lib/cli/main.js',
  'dist/lib/client/index.js',
  'dist/lambda/scaler/index.mjs',
  'dist/lambda/failover/index.mjs',
]) {
  if (!files.includes(required)) problems.push(`missing ${required}`);
}
const forbidden = files.filter(
  (f) =>
    /^(playground|examples|test|scripts|lib|functions|infra|sim|bench)\//.test(f) ||
    /(^|\/)(dynalite|local-cloud|flink-model|engine)[^/]*$/.test(f) ||
    (f.endsWith('.ts') && !f.endsWith('.d.ts')),
);
for (const f of forbidden) problems.push(`must not ship ${f}`);
const deps = Object.keys(manifest.dependencies ?? {});
for (const d of deps.filter((d) => d === 'dynalite' || d.includes('playground') || d === 'tsx')) {
  problems.push(`dependencies must not hold ${d}`);
}
if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(
  `   ${files.length} files: dist/ (library, CLI, Lambda bundles), bin/, docs; dependencies: ${deps.join(', ')}`,
);
