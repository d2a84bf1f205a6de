#!/usr/bin/env node
// The `flink-ecs-autoscaler` command: runs the TypeScript CLI through tsx's loader.
import { register } from 'tsx/esm/api';

register();
await import('../lib/cli/main.ts');
