// The entry of a policy's worker thread (lib/sim/workers.ts): registers tsx's loader, as
// bin/flink-ecs-autoscaler.js does, then runs the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./policy-worker.ts');
