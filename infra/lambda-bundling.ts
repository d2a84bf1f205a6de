/**
 * How the Lambda functions are built, defined once: the FlinkAutoscaler construct hands these
 * options to NodejsFunction (which runs the local esbuild), and scripts/bundle-sizes.ts runs
 * esbuild with exactly the same options to report the bundle sizes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';

/** The package name whose root holds functions/ (a checkout) or dist/lambda/ (the npm package). */
export const PACKAGE_NAME = 'flink-ecs-autoscaler';

/**
 * The root of this package: the nearest folder above `from` whose package.json is this
 * package's. In a checkout that is the repository (infra/ → ..); in the npm package the
 * compiled file is dist/infra/lambda-bundling.js (→ ../..).
 */
export function findPackageRoot(from: string): string {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown };
      if (name === PACKAGE_NAME) return dir;
    }
    if (dirname(dir) === dir) throw new Error(`no package.json of ${PACKAGE_NAME} above ${from}`);
  }
}

/** The package root (package.json; functions/ and package-lock.json in a checkout). */
export const PROJECT_ROOT = findPackageRoot(fileURLToPath(import.meta.url));

/** Where the npm package's build puts each function's bundle: dist/lambda/<name>/index.mjs. */
export const PREBUNDLED_DIR = 'dist/lambda';

/** The handlers, relative to PROJECT_ROOT; each exports `handler`. */
export const FUNCTION_ENTRIES = {
  scaler: 'functions/scaler.ts',
  failover: 'functions/failover.ts',
} as const;
export type FunctionName = keyof typeof FUNCTION_ENTRIES;

/** The newest Node.js Lambda runtime (cdk-nag AwsSolutions-L1 / Serverless-LambdaLatestVersion). */
export const LAMBDA_RUNTIME = Runtime.NODEJS_24_X;
export const LAMBDA_ARCHITECTURE = Architecture.ARM_64;
/** esbuild target matching LAMBDA_RUNTIME (NodejsFunction derives the same from the runtime). */
export const ESBUILD_TARGET = 'node24';
/** The runtime ships the AWS SDK v3; everything else is bundled. */
export const EXTERNAL_MODULES: readonly string[] = ['@aws-sdk/*'];
/** Prefer ESM entry points of dependencies. */
export const MAIN_FIELDS: readonly string[] = ['module', 'main'];
/** Lets bundled CommonJS dependencies `require` Node built-ins from an ES module. */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";
/** A bundle larger than this slows cold starts; scripts/bundle-sizes.ts fails above it. */
export const MAX_BUNDLE_BYTES = 300 * 1024;

/** The NodejsFunction bundling options of every function. */
export const BUNDLING: BundlingOptions = {
  format: OutputFormat.ESM,
  target: ESBUILD_TARGET,
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  externalModules: [...EXTERNAL_MODULES],
  mainFields: [...MAIN_FIELDS],
  banner: ESM_REQUIRE_BANNER,
};
