/**
 * The real build, as CI and a user run it: `npx cdk synth` through the pinned CLI, offline
 * (telemetry off, no instance metadata, no notices), bundling both handlers with the local
 * esbuild; and every bundle within the cold-start budget of scripts/bundle-sizes.ts.
 *
 * Both need every handler entry of infra/lambda-bundling.ts: a missing one fails them,
 * naming it (a prerequisite that is missing is a failure, never a skip).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  FUNCTION_ENTRIES,
  type FunctionName,
  MAX_BUNDLE_BYTES,
  PROJECT_ROOT,
} from '../../infra/lambda-bundling';
import { isRecord } from '../../lib/core/values';
import { bundleSize } from '../../scripts/bundle-sizes';

const names = Object.keys(FUNCTION_ENTRIES) as FunctionName[];
const missing = names.filter((name) => !existsSync(join(PROJECT_ROOT, FUNCTION_ENTRIES[name])));

/** Fails the suite, naming what is missing, when a handler entry does not exist. */
function requireEntries(): void {
  beforeAll(() => {
    if (missing.length > 0) {
      throw new Error(
        `missing handler entries: ${missing.map((n) => `${n} (${FUNCTION_ENTRIES[n]})`).join(', ')}`,
      );
    }
  });
}

describe('Build: cdk synth with bundling', () => {
  requireEntries();
  it('synthesizes offline through the pinned CLI and bundles each handler as ESM with a source map', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'cdk-synth-'));
    const result = spawnSync('npx', ['cdk', 'synth', '--no-notices', '--quiet', '--output', outdir], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      timeout: 110_000,
      env: {
        ...process.env,
        CDK_DISABLE_CLI_TELEMETRY: '1',
        AWS_EC2_METADATA_DISABLED: 'true',
      },
    });
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);

    const templates = readdirSync(outdir).filter((f) => f.endsWith('.template.json'));
    expect(templates.sort()).toEqual([
      'FlinkEcsAutoscaler-flink-demo-State.template.json',
      'FlinkEcsAutoscaler-flink-demo.template.json',
    ]);
    const template: unknown = JSON.parse(
      readFileSync(join(outdir, 'FlinkEcsAutoscaler-flink-demo.template.json'), 'utf8'),
    );
    const resources =
      isRecord(template) && isRecord(template.Resources) ? Object.values(template.Resources) : [];
    const functions = resources.filter(
      (r): r is Record<string, unknown> => isRecord(r) && r.Type === 'AWS::Lambda::Function',
    );
    expect(functions).toHaveLength(names.length);
    for (const fn of functions) {
      const metadata = isRecord(fn.Metadata) ? fn.Metadata : {};
      const assetDir = join(outdir, String(metadata['aws:asset:path']));
      expect(readdirSync(assetDir).sort()).toEqual(['index.mjs', 'index.mjs.map']);
      expect(isRecord(fn.Properties) && fn.Properties.Handler).toBe('index.handler');
    }
  }, 120_000);
});

describe('Build: bundle sizes', () => {
  requireEntries();
  it.each(names)('keeps the %s bundle within the cold-start budget', async (name) => {
    const size = await bundleSize(name);
    expect(size.codeBytes).toBeGreaterThan(0);
    expect(size.codeBytes).toBeLessThanOrEqual(MAX_BUNDLE_BYTES);
  });
});
