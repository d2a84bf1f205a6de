package io.flinkecs.playground;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/**
 * The demo job: KafkaSource over a topic of P partitions -> "work" (each record costs
 * time, see {@link TimedWork}) -> discarding sink. Checkpointing on, so the source's
 * offsets are checkpointed (and committed to the consumer group on completion) and a
 * restart replays from the last completed checkpoint.
 *
 * <p>Arguments (also -Ddemo.&lt;name&gt;):
 * --bootstrap 127.0.0.1:9092 --topic demo --group flink-demo
 * --work-us 1000 (per record) --park-granularity-us 1000 --hot-key-extra-us 0
 * --checkpoint-ms 10000 --max-partition-fetch-bytes 65536
 * --pipeline chained|rebalance|keyed
 *   chained (default): source, work and sink in one task per slot; the work is bound to
 *     the partitions a subtask reads, so capacity = perSlot * P / ceil(P / slots), as the
 *     project's cluster model assumes. Overload shows as busy ~1000 ms/s and lag.
 *   rebalance: a network shuffle between source and work: the source task shows
 *     backPressuredTimeMsPerSecond, the work task busy; capacity = perSlot * slots.
 *   keyed: keyBy(key): the producer's hot-key fraction makes one subtask hot (skew).
 */
public final class DemoJob {
    public static void main(String[] argv) throws Exception {
        Args a = new Args(argv, 0);
        String bootstrap = a.get("bootstrap", "127.0.0.1:9092");
        String topic = a.get("topic", "demo");
        String group = a.get("group", "flink-demo");
        long workNanos = a.getLong("work-us", 1000) * 1000L;
        long granularity = a.getLong("park-granularity-us", 1000) * 1000L;
        long hotExtra = a.getLong("hot-key-extra-us", 0) * 1000L;
        long checkpointMs = a.getLong("checkpoint-ms", 10_000);
        String pipeline = a.get("pipeline", "chained");
        // Small per-partition fetches make one reader alternate between its partitions
        // every ~1k records. With the default 1 MiB a reader drains ~15k records (15 s at
        // 1 ms/record) of one partition before the next, and the FLIP-33 pendingRecords
        // gauge (sum of the consumer's per-partition records-lag, updated on fetch) misses
        // or under-reports the starved partition.
        String fetchBytes = a.get("max-partition-fetch-bytes", "65536");

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.enableCheckpointing(checkpointMs);

        KafkaSource<Event> source = KafkaSource.<Event>builder()
                .setBootstrapServers(bootstrap)
                .setTopics(topic)
                .setGroupId(group)
                // first start: from the group's committed offsets, else the earliest;
                // a restart inside the job always restores from the checkpoint.
                .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
                .setDeserializer(new EventDeserializer())
                .setProperty("commit.offsets.on.checkpoint", "true")
                .setProperty("client.id.prefix", group)
                .setProperty("max.partition.fetch.bytes", fetchBytes)
                .build();

        DataStream<Event> in = env.fromSource(source, WatermarkStrategy.noWatermarks(), "kafka-source")
                .uid("kafka-source");
        switch (pipeline) {
            case "chained":
                break;
            case "rebalance":
                in = in.rebalance();
                break;
            case "keyed":
                in = in.keyBy(e -> e.key);
                break;
            default:
                throw new IllegalArgumentException("--pipeline must be chained, rebalance or keyed: " + pipeline);
        }
        in.map(new TimedWork(workNanos, granularity, hotExtra)).name("work").uid("work")
                .sinkTo(new DiscardingSink<>()).name("discard").uid("discard");

        env.execute("flink-ecs-demo " + pipeline + " work=" + (workNanos / 1000) + "us topic=" + topic);
    }
}
