/**
 * A worker thread of playground/src/workers.ts: runs the policy runs it is sent, one after the other
 * (a warm worker is much faster than a fresh one), with the same simulatePolicy as in process,
 * so each result is byte-identical; progress is posted back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { PolicyName } from './baselines/controller';
import { simulatePolicy, type Transport } from './engine';
import type { LoadedScenario } from './scenario';

/** Sent once, as workerData. */
export interface WorkerSetup {
  readonly loaded: LoadedScenario;
  readonly timeline: boolean;
  readonly decisionLog: boolean;
  readonly transport: Transport;
}

/** To the worker: run this policy, or stop. */
export type WorkerCommand = { readonly kind: 'run'; readonly policy: PolicyName } | { readonly kind: 'stop' };

/** From the worker. */
export type WorkerMessage =
  | { readonly kind: 'progress'; readonly policy: PolicyName; readonly fraction: number }
  | {
      readonly kind: 'done';
      readonly policy: PolicyName;
      readonly result: Awaited<ReturnType<typeof simulatePolicy>>;
    };

const port = parentPort;
if (port === null) throw new Error('playground/src/policy-worker.ts runs in a worker thread only');
const setup = workerData as WorkerSetup;
const post = (message: WorkerMessage): void => port.postMessage(message);

port.on('message', (command: WorkerCommand) => {
  if (command.kind === 'stop') {
    port.close();
    return;
  }
  const { policy } = command;
  void simulatePolicy(setup.loaded, policy, {
    timeline: setup.timeline,
    decisionLog: setup.decisionLog,
    transport: setup.transport,
    onProgress: (_policy, fraction) => post({ kind: 'progress', policy, fraction }),
  }).then((result) => post({ kind: 'done', policy, result }));
});
