package io.flinkecs.playground;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.nio.ByteBuffer;

/** Value layout written by {@link LoadTool}: 8 bytes key, 8 bytes produced-at epoch millis. */
public class EventDeserializer implements KafkaRecordDeserializationSchema<Event> {
    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> r, Collector<Event> out) {
        long key = 0;
        long producedAt = r.timestamp();
        byte[] v = r.value();
        if (v != null && v.length >= 16) {
            ByteBuffer b = ByteBuffer.wrap(v);
            key = b.getLong();
            producedAt = b.getLong();
        }
        out.collect(new Event(r.partition(), r.offset(), key, producedAt));
    }

    @Override
    public TypeInformation<Event> getProducedType() {
        return TypeInformation.of(Event.class);
    }
}
