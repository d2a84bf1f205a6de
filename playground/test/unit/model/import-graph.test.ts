/**
 * The ground truth must not know any policy's formulas (issue 16): no module of the model
 * (playground/src/model/**), nor anything it imports, directly or through other playground
 * modules, may import lib/core. The walk follows every static and dynamic import with a
 * literal specifier, resolving relative ones and the product's package name.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../..', import.meta.url));
const MODEL = join(ROOT, 'playground/src/model');
const PRODUCT = 'flink-ecs-autoscaler/';

function specifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]/g))
    out.push(m[1] as string);
  for (const m of text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1] as string);
  for (const m of text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) out.push(m[1] as string);
  return out;
}

/** The file a specifier names (TypeScript sources), or undefined for a third-party package. */
function resolveSpecifier(from: string, spec: string): string | undefined {
  const base = spec.startsWith('.')
    ? resolve(dirname(from), spec)
    : spec.startsWith(PRODUCT)
      ? join(ROOT, spec.slice(PRODUCT.length))
      : undefined;
  if (base === undefined) return undefined;
  for (const candidate of [base, `${base}.ts`, join(base, 'index.ts')]) {
    if (existsSync(candidate) && candidate.endsWith('.ts')) return candidate;
  }
  return undefined;
}

/** Every file reachable from `entries`, with the import that reached each. */
function reachable(entries: readonly string[]): Map<string, string> {
  const seen = new Map<string, string>(entries.map((e) => [e, '(entry)']));
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.shift() as string;
    for (const spec of specifiers(file)) {
      const target = resolveSpecifier(file, spec);
      if (target && !seen.has(target)) {
        seen.set(target, `${relative(ROOT, file)} imports ${spec}`);
        queue.push(target);
      }
    }
  }
  return seen;
}

const modelFiles = readdirSync(MODEL)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => join(MODEL, f));

describe('Architecture: the ground-truth model imports nothing of lib/core', () => {
  it('walks the model’s files and what they import (a walk that reads nothing cannot fail)', () => {
    const files = [...reachable(modelFiles).keys()].map((f) => relative(ROOT, f));
    expect(files).toEqual(
      expect.arrayContaining([
        'playground/src/model/cluster.ts',
        'playground/src/model/flow.ts',
        'playground/src/model/job.ts',
      ]),
    );
    expect(specifiers(join(MODEL, 'cluster.ts'))).toContain('./flow');
  });

  it('reaches no file of lib/core, directly or through other playground modules', () => {
    const bad = [...reachable(modelFiles).entries()]
      .filter(([file]) => relative(ROOT, file).startsWith('lib/core/'))
      .map(([file, via]) => `${relative(ROOT, file)} (${via})`);
    expect(bad).toEqual([]);
  });

  it('would catch one: the collector, which may read the product’s metric names, does reach lib/core', () => {
    const viaCollector = [...reachable([join(ROOT, 'playground/src/collector.ts')]).keys()].map((f) =>
      relative(ROOT, f),
    );
    expect(viaCollector).toContain('lib/core/metric-names.ts');
  });
});
