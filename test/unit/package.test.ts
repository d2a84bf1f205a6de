/**
 * The product's npm package (issue 13): what `npm pack` would put in it and what it depends
 * on. scripts/check-package.sh (CI) packs, installs and uses the real tarball.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const manifest = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as {
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  files: string[];
  exports: Record<string, unknown>;
  bin: Record<string, string>;
};

describe('Package: flink-ecs-autoscaler (the product)', () => {
  it('depends on nothing of the playground: no dynalite, no simulator, no TypeScript loader', () => {
    const deps = Object.keys(manifest.dependencies);
    expect(deps).not.toContain('dynalite');
    expect(deps).not.toContain('tsx');
    expect(deps.filter((d) => d.includes('playground'))).toEqual([]);
  });

  it('takes aws-cdk-lib and constructs from the CDK app it is installed into', () => {
    expect(Object.keys(manifest.peerDependencies).sort()).toEqual(['aws-cdk-lib', 'constructs']);
  });

  it('exports the construct library and the consumer client, compiled', () => {
    expect(manifest.exports['.']).toEqual({
      types: './dist/infra/index.d.ts',
      default: './dist/infra/index.js',
    });
    expect(manifest.exports['./client']).toEqual({
      types: './dist/lib/client/index.d.ts',
      default: './dist/lib/client/index.js',
    });
    expect(manifest.bin).toEqual({ 'flink-ecs-autoscaler': 'bin/flink-ecs-autoscaler.js' });
  });

  it('packs no playground, example, test or source file (npm pack --dry-run)', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    const [report] = JSON.parse(out) as [{ files: { path: string }[] }];
    const paths = report.files.map((f) => f.path);
    expect(paths).toContain('bin/flink-ecs-autoscaler.js');
    expect(paths.filter((p) => /^(playground|examples|test|scripts|lib|functions|infra)\//.test(p))).toEqual(
      [],
    );
    expect(paths.filter((p) => p.endsWith('.ts') && !p.endsWith('.d.ts'))).toEqual([]);
  });
});
