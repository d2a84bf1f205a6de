/**
 * The dependency rule (DESIGN.md §2), checked on the import statements of the sources:
 * the product never imports the playground, and only lib/aws imports the AWS SDK.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function sourcesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourcesUnder(path));
    else if (/\.(ts|mts|js|mjs)$/.test(entry.name)) out.push(path);
  }
  return out;
}

/** The module specifiers of every static and dynamic import (string literals only) and export … from. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const specs: string[] = [];
  for (const m of text.matchAll(/(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]/g))
    specs.push(m[1] as string);
  for (const m of text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) specs.push(m[1] as string);
  for (const m of text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) specs.push(m[1] as string);
  return specs;
}

const PRODUCT_DIRS = ['functions', 'lib', 'infra', 'test', 'bin', 'scripts'];

function violations(files: readonly string[], bad: (spec: string, file: string) => boolean): string[] {
  return files.flatMap((f) =>
    importsOf(f)
      .filter((s) => bad(s, f))
      .map((s) => `${f} imports ${s}`),
  );
}

describe('Architecture: the dependency rule', () => {
  const product = PRODUCT_DIRS.flatMap(sourcesUnder);

  it('finds the sources it checks (a scanner that reads nothing cannot fail)', () => {
    expect(product.length).toBeGreaterThan(60);
    expect(importsOf('lib/scaler.ts')).toContain('./core/decide.js');
    expect(importsOf('lib/cli/playground.ts')).toEqual(['../core/errors.js', './operator.js']);
  });

  it('the product never imports the playground (only lib/cli/playground.ts loads it, by name, at run time)', () => {
    const bad = violations(product, (spec, file) => {
      const target = spec.startsWith('.') ? relative(ROOT, join(ROOT, file, '..', spec)) : spec;
      return target.startsWith('playground') || target.startsWith('@flink-ecs-autoscaler/playground');
    });
    expect(bad).toEqual([]);
  });

  it('only lib/aws imports @aws-sdk/* among the shipped sources', () => {
    const shipped = ['functions', 'lib', 'infra', 'bin'].flatMap(sourcesUnder);
    const bad = violations(
      shipped,
      (spec, file) => spec.startsWith('@aws-sdk/') && !file.startsWith('lib/aws/'),
    );
    expect(bad).toEqual([]);
  });

  it('the playground reaches the product by package name, not by relative paths out of its folder', () => {
    const playground = sourcesUnder('playground').filter((f) => !f.includes('node_modules'));
    const bad = violations(playground, (spec, file) => {
      if (!spec.startsWith('.')) return false;
      return !relative(ROOT, join(ROOT, file, '..', spec)).startsWith('playground');
    });
    expect(playground.length).toBeGreaterThan(50);
    expect(bad).toEqual([]);
  });
});
