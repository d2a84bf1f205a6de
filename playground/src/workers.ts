/**
 * Runs the policies of one scenario in worker threads, `concurrency` workers each taking the
 * next policy when it is done. Each policy's run is independent (its own local cloud, dynalite
 * and clock), so the results are the ones an in-process run gives, in the order of `policies`.
 * The workers load the TypeScript sources through tsx, as the CLI does.
 */
import { Worker } from 'node:worker_threads';
import type { PolicyName } from './baselines/controller';
import type { simulatePolicy, Transport } from './engine';
import type { WorkerCommand, WorkerMessage, WorkerSetup } from './policy-worker';
import type { LoadedScenario } from './scenario';

type PolicyOutcome = Awaited<ReturnType<typeof simulatePolicy>>;

export interface WorkerRunOptions {
  readonly concurrency: number;
  readonly timeline: boolean;
  readonly decisionLog: boolean;
  readonly transport: Transport;
  readonly onProgress?: (policy: string, fraction: number) => void;
}

/** The workers' entry: registers tsx's loader, then loads ./policy-worker.ts. */
const ENTRY = new URL('./policy-worker.mjs', import.meta.url);

export async function simulateInWorkers(
  loaded: LoadedScenario,
  policies: readonly PolicyName[],
  options: WorkerRunOptions,
): Promise<PolicyOutcome[]> {
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer, got ${options.concurrency}`);
  }
  const setup: WorkerSetup = {
    loaded,
    timeline: options.timeline,
    decisionLog: options.decisionLog,
    transport: options.transport,
  };
  const out: PolicyOutcome[] = new Array(policies.length);
  let next = 0;
  const workers: Worker[] = [];
  const lane = () =>
    new Promise<void>((resolve, reject) => {
      const worker = new Worker(ENTRY, { workerData: setup });
      workers.push(worker);
      const send = (command: WorkerCommand) => worker.postMessage(command);
      let current = -1;
      const take = () => {
        current = next++;
        const policy = policies[current];
        send(policy === undefined ? { kind: 'stop' } : { kind: 'run', policy });
      };
      worker.on('message', (message: WorkerMessage) => {
        if (message.kind === 'progress') {
          options.onProgress?.(message.policy, message.fraction);
          return;
        }
        out[current] = message.result;
        take();
      });
      worker.once('error', reject);
      worker.once('exit', (code) => {
        if (current >= policies.length) resolve();
        else reject(new Error(`the worker simulating ${policies[current]} exited with code ${code}`));
      });
      take();
    });
  try {
    await Promise.all(Array.from({ length: Math.min(options.concurrency, policies.length) }, lane));
  } catch (error) {
    // One run failed: the others are not waited for.
    await Promise.all(workers.map((w) => w.terminate()));
    throw error;
  }
  return out;
}
