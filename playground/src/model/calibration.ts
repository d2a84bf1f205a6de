/**
 * Every default number of the ground-truth model, in one place. Each is a calibration point:
 * the comment says which measurement of a real Flink TaskManager should set it. Those marked
 * "Measured" are set from the real-Flink runs on this machine (Flink 2.2.1 from Maven
 * Central, Kafka 4.2; playground/flink/README.md "Measured on this machine", the e2e and the
 * demo: docs/real-flink.md); the others are still plausible values for a Kafka → keyed
 * aggregation → sink job on TaskManagers of one vCPU, not measurable with the demo job
 * (its records cost parked time, not CPU, and it has no keyed state). None is fitted to any
 * policy.
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
  /**
   * Coefficient of variation of a subtask's per-record cost from one 10 s step to the next.
   * Measured: 989–1,020 records/s per slot at 1 ms per record over 10 s windows (5 smoke
   * runs, 2 slots each), i.e. about ±1.5 %: a CV of 0.01. That is the floor a job whose
   * records cost parked time shows; a CPU-bound job on a shared vCPU varies more.
   */
  busyNoiseCv: 0.01,
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
    /** jobmanager.adaptive-scheduler.executing.cooldown-after-rescaling (Flink 2.x default 30 s; scaling-interval.min in 1.19/1.20). */
    cooldownSeconds: 30,
    /**
     * Flink 2.x (FLIP-461): with checkpointing on, a scale-up is triggered by the next
     * completed checkpoint after the new TaskManagers registered, so it replays almost nothing.
     * Measured: a 3rd TaskManager registered, the rescaled graph came 5.4–12.9 s later (2 s
     * stabilization, then the next 10 s checkpoint), and a SIGKILL restart did not wait (3–3.9 s).
     */
    onCheckpoint: true,
    /**
     * From ECS RUNNING (the container started) to the TaskManager's slots offered to the
     * JobManager (JVM start, registration). Measured: process spawn → listed by REST
     * /taskmanagers 2.0–3.6 s on an idle 2-core machine, 6.7 s at load average 8.
     */
    registrationSeconds: 3,
    /**
     * From a restart to the new attempt's tasks deployed (cancel, schedule, deploy); the rest of
     * restartSeconds is INITIALIZING (restore, open), during which Flink reports
     * busyTimeMsPerSecond = 1000 (StreamTask enables busy time in its constructor; no idle or
     * back-pressure timer runs yet) and no records. Measured: the rescaled execution graph
     * created → every subtask RUNNING 0.9–1.8 s (the demo job restores no keyed state).
     */
    deploySeconds: 1,
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
