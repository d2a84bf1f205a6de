/**
 * Types for dynalite 4 (it ships none). Kept apart from dynalite.ts: a `dynalite.d.ts` next to
 * `dynalite.ts` would be taken as that file's own declarations and this ambient module ignored.
 */
declare module 'dynalite' {
  import type { Server } from 'node:http';

  interface DynaliteOptions {
    /** LevelDB directory; in memory when absent. */
    readonly path?: string;
    readonly createTableMs?: number;
    readonly deleteTableMs?: number;
    readonly updateTableMs?: number;
    readonly maxItemSizeKb?: number;
    readonly ssl?: boolean;
    readonly verbose?: boolean;
    readonly debug?: boolean;
  }

  function dynalite(options?: DynaliteOptions): Server;
  export default dynalite;
}

/** dynalite's item-size and capacity arithmetic (DynamoDB's billing rules), used by the cost bench. */
declare module 'dynalite/db/index.js' {
  /** Capacity units of one item: ceil(size / 1 KB) for a write, ceil(size / 4 KB) for a read (halved unless consistent). */
  function capacityUnits(item: unknown, isRead: boolean, isConsistent?: boolean): number;
  const db: { capacityUnits: typeof capacityUnits };
  export default db;
}
