package io.flinkecs.playground;

/** One input record: where it came from (for replay accounting) and when it was produced. */
public class Event {
    public int partition;
    public long offset;
    public long key;
    public long producedAtMs;

    public Event() {}

    public Event(int partition, long offset, long key, long producedAtMs) {
        this.partition = partition;
        this.offset = offset;
        this.key = key;
        this.producedAtMs = producedAtMs;
    }
}
