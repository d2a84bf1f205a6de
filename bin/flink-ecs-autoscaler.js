#!/usr/bin/env node
// The `flink-ecs-autoscaler` command. From the npm package it runs the compiled CLI
// (dist/lib/cli/main.js); in a checkout of the repository, where the TypeScript sources are,
// it runs them through tsx's loader (a devDependency), so no build step is needed there.
import { existsSync } from 'node:fs';

const source = new URL('../lib/cli/main.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import('../dist/lib/cli/main.js');
}
