/**
 * Every default number of the ground-truth model, in one place. Each is a calibration point:
 * the comment says which measurement of a real Flink TaskManager should set it (the
 * real-Flink runs of the flink-runtime work: Flink 2.2.1 from Maven Central, Kafka 4.2).
 * Until those measurements exist these are plausible values for a Kafka → keyed
 * aggregation → sink job on TaskManagers of one vCPU; none is fitted to any policy.
 *
 * Units: seconds of task-thread time (a Flink task's mailbox thread) per record, thread
 * seconds per wall second (a fraction of one thread), bytes, milliseconds where named.
 */
export const CALIBRATION = {
  /**
   * Per-record task-thread cost of each default vertex. Measure: busyTimeMsPerSecond / 1000
   * divided by numRecordsInPerSecond of the vertex's subtasks (the source: its operator's
   * numRecordsInPerSecond) at a steady rate well below saturation, on one TaskManager.
   */
  cost: {
    /** Kafka fetch, deserialization and emit, per record read. */
    sourceSeconds: 20e-6,
    /** The keyed aggregation when the scenario gives no recordsPerSecondPerSlot (5,000 records/s per slot). */
    keyedSeconds: 200e-6,
    /** The sink's write, per record it receives. */
    sinkSeconds: 15e-6,
  },
  /** Records out per record in of the keyed aggregation (a windowed aggregation emits far fewer). Measure: numRecordsOutPerSecond / numRecordsInPerSecond. */
  keyedSelectivity: 0.1,
  /** Key skew: distinct keys and the Zipf exponent of their popularity. Measure: per-subtask numRecordsInPerSecond of the keyed vertex. */
  keys: 100_000,
  keyZipfExponent: 0.5,
  /**
   * Extra task-thread seconds per record that arrives from another TaskManager (network
   * stack, copy out of Netty buffers; a stand-in for the Netty threads' share of the core).
   * Measure: the keyed vertex's busy time per record with 1 vs several TaskManagers.
   */
  remoteRecordSeconds: 5e-6,
  /**
   * Thread seconds per wall second per network channel of a hash or rebalance edge (buffer
   * timeout flushes, credit announcements, barrier handling). Measure: idle-load busy time
   * of a shuffling vertex against its parallelism.
   */
  channelOverhead: 0.0005,
  /** Thread seconds per wall second every task thread loses to its TaskManager's background work (metrics, heartbeats, RPC). Measure: busy time of an idle job. */
  taskManagerOverhead: 0.01,
  /** Coefficient of variation of a subtask's per-record cost from one 10 s step to the next. Measure: spread of busyTimeMsPerSecond at a constant rate. */
  busyNoiseCv: 0.05,
  /** Garbage collection, per TaskManager. Measure: the GC log (pause lengths, intervals) at a known rate. */
  gc: {
    /** Young-generation allocation per record processed by any task of the TaskManager. */
    allocatedBytesPerRecord: 2048,
    /** Allocation with no records (metrics, RPC). */
    baseAllocatedBytesPerSecond: 1e6,
    /** Eden size: a young pause every youngGenBytes allocated. */
    youngGenBytes: 256e6,
    youngPauseMeanMs: 20,
    /** Long (mixed/full) pauses per hour, and their mean length. */
    longPausesPerHour: 1,
    longPauseMeanMs: 400,
    /** The part of each pause network buffers absorb; the rest stalls the whole job (backpressure through every shuffle). */
    absorbedPauseMs: 50,
  },
  /** Keyed state of the keyed vertex, restored on every restart from the last checkpoint. Measure: checkpointed state size. */
  keyedStateBytes: 1024 ** 3,
  /** Bytes/s one TaskManager restores state at (download + RocksDB ingest). Measure: restore time of a known state size. */
  restoreBytesPerSecondPerTaskManager: 100e6,
  checkpoint: {
    /** Synchronous + asynchronous phase of a checkpoint with no backpressure. Measure: lastCheckpointDuration when idle-ish. */
    durationSeconds: 2,
    /** execution.checkpointing.timeout (Flink default 10 min). */
    timeoutSeconds: 600,
    /** execution.checkpointing.min-pause (Flink default 0). */
    minPauseSeconds: 0,
    /** execution.checkpointing.unaligned (Flink default false): aligned barriers wait behind full buffers under backpressure. */
    unaligned: false,
    /** Serialized record size, for how many records a network buffer holds. */
    recordBytes: 200,
    /** taskmanager.memory.segment-size (32 KiB). */
    bufferBytes: 32 * 1024,
    /** taskmanager.network.memory.buffers-per-channel (2) and floating-buffers-per-gate (8). */
    exclusiveBuffersPerChannel: 2,
    floatingBuffersPerGate: 8,
    /** taskmanager.network.memory.max-buffers-per-channel (10): what an upstream subpartition queues under backpressure. */
    maxBuffersPerChannel: 10,
  },
  rescale: {
    /** jobmanager.adaptive-scheduler.scaling-interval.min (Flink 1.19/1.20: 30 s; executing.cooldown-after-rescaling in 2.x). */
    cooldownSeconds: 30,
    /** From ECS RUNNING to the TaskManager's slots offered to the JobManager (JVM start, registration). Measure: TM log. */
    registrationSeconds: 10,
    /**
     * From a restart to the new attempt's tasks deployed (cancel, schedule, deploy); the rest of
     * restartSeconds is INITIALIZING (restore, open), during which Flink reports
     * busyTimeMsPerSecond = 1000 (StreamTask enables busy time in its constructor; no idle or
     * back-pressure timer runs yet) and no records. Measure: job status timestamps.
     */
    deploySeconds: 3,
    /** heartbeat.timeout (Flink default 50 s): a frozen TaskManager is given up after this. */
    heartbeatTimeoutSeconds: 50,
  },
  cpu: {
    /** CPU seconds per busy task-thread second (1 for compute-bound work; the real-Flink demo job parks, ~0). */
    perBusySecond: 1,
    /** Cores the JVM uses with no records (GC threads, Netty, metrics). */
    backgroundCores: 0.05,
  },
} as const;
