/**
 * Bundles each Lambda function with esbuild exactly as NodejsFunction does (the options of
 * infra/lambda-bundling.ts: ESM, the runtime's Node target, @aws-sdk/* external, minified,
 * source maps) and prints the size of each bundle. Exits 1 if a bundle is larger than
 * 300 KB (cold start) or an entry cannot be bundled.
 *
 *   npx tsx scripts/bundle-sizes.ts            # every function
 *   npx tsx scripts/bundle-sizes.ts scaler     # only the named ones
 *   npx tsx scripts/bundle-sizes.ts --out dist # also write dist/<name>/index.mjs(.map): `npm run build`
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import {
  ESBUILD_TARGET,
  ESM_REQUIRE_BANNER,
  EXTERNAL_MODULES,
  FUNCTION_ENTRIES,
  type FunctionName,
  MAIN_FIELDS,
  MAX_BUNDLE_BYTES,
  PROJECT_ROOT,
} from '../infra/lambda-bundling';

export interface BundleSize {
  readonly name: FunctionName;
  readonly entry: string;
  /** index.mjs, the code Lambda loads. */
  readonly codeBytes: number;
  /** index.mjs.map, shipped alongside but only read when an error stack is mapped. */
  readonly sourceMapBytes: number;
}

function isFunctionName(name: string): name is FunctionName {
  return Object.hasOwn(FUNCTION_ENTRIES, name);
}

/** Bundles one function in memory with NodejsFunction's esbuild options. */
export async function bundleSize(name: FunctionName, outDir?: string): Promise<BundleSize> {
  const entry = join(PROJECT_ROOT, FUNCTION_ENTRIES[name]);
  if (!existsSync(entry)) throw new Error(`${FUNCTION_ENTRIES[name]}: entry file does not exist`);
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    target: ESBUILD_TARGET,
    format: 'esm',
    outfile: join(PROJECT_ROOT, 'cdk.out', 'bundle-sizes', name, 'index.mjs'),
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    external: [...EXTERNAL_MODULES],
    mainFields: [...MAIN_FIELDS],
    banner: { js: ESM_REQUIRE_BANNER },
    absWorkingDir: PROJECT_ROOT,
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles.find((f) => f.path.endsWith('.mjs'));
  const map = result.outputFiles.find((f) => f.path.endsWith('.map'));
  if (code === undefined) throw new Error(`${FUNCTION_ENTRIES[name]}: esbuild produced no index.mjs`);
  if (outDir !== undefined) {
    const dir = join(PROJECT_ROOT, outDir, name);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'index.mjs'), code.contents);
    if (map) await writeFile(join(dir, 'index.mjs.map'), map.contents);
  }
  return {
    name,
    entry: FUNCTION_ENTRIES[name],
    codeBytes: code.contents.byteLength,
    sourceMapBytes: map?.contents.byteLength ?? 0,
  };
}

const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;

export async function main(argv: readonly string[]): Promise<number> {
  const outAt = argv.indexOf('--out');
  const outDir = outAt >= 0 ? argv[outAt + 1] : undefined;
  if (outAt >= 0 && (outDir === undefined || outDir.startsWith('--'))) {
    console.error('--out: a directory is required');
    return 1;
  }
  const args = outAt >= 0 ? argv.filter((_, i) => i !== outAt && i !== outAt + 1) : argv;
  const unknown = args.filter((a) => !isFunctionName(a));
  if (unknown.length > 0) {
    console.error(
      `unknown function(s): ${unknown.join(', ')}; known: ${Object.keys(FUNCTION_ENTRIES).join(', ')}`,
    );
    return 1;
  }
  const names =
    args.length > 0 ? args.filter(isFunctionName) : (Object.keys(FUNCTION_ENTRIES) as FunctionName[]);
  let failed = false;
  for (const name of names) {
    try {
      const size = await bundleSize(name, outDir);
      const over = size.codeBytes > MAX_BUNDLE_BYTES;
      failed ||= over;
      console.log(
        `${over ? 'FAIL' : 'ok  '} ${name.padEnd(9)} ${kb(size.codeBytes).padStart(10)}  (source map ${kb(size.sourceMapBytes)}, limit ${kb(MAX_BUNDLE_BYTES)})  ${size.entry}`,
      );
    } catch (error) {
      failed = true;
      console.log(`FAIL ${name.padEnd(9)} ${(error as Error).message}`);
    }
  }
  return failed ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main(process.argv.slice(2));
}
