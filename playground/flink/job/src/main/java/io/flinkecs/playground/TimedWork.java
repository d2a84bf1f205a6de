package io.flinkecs.playground;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.metrics.Counter;

import java.util.concurrent.locks.LockSupport;

/**
 * Each record costs {@code workNanos} of wall time on the task thread, spent parked
 * (not spinning), so the cost is time, not CPU: N TaskManagers on 2 cores really have
 * N times the capacity. Flink counts the parked time as busy (it is neither waiting
 * for input, idle, nor for output buffers, back-pressured).
 *
 * <p>Debt accounting: the cost accumulates and the thread parks once the debt reaches
 * {@code granularityNanos}; the measured park time (overshoot included) is paid off,
 * so the mean cost per record is exact even though parkNanos overshoots by ~50-100 us.
 */
public class TimedWork extends RichMapFunction<Event, Event> {
    private final long workNanos;
    private final long granularityNanos;
    private final long hotKeyExtraNanos;
    private transient long debt;
    private transient Counter parkedNanos;

    public TimedWork(long workNanos, long granularityNanos, long hotKeyExtraNanos) {
        this.workNanos = workNanos;
        this.granularityNanos = granularityNanos;
        this.hotKeyExtraNanos = hotKeyExtraNanos;
    }

    @Override
    public void open(OpenContext ctx) {
        parkedNanos = getRuntimeContext().getMetricGroup().counter("workParkedNanos");
    }

    @Override
    public Event map(Event e) {
        debt += workNanos + (e.key == 0 ? hotKeyExtraNanos : 0);
        if (debt >= granularityNanos) {
            long t0 = System.nanoTime();
            long deadline = t0 + debt;
            long now = t0;
            while (now < deadline) {
                LockSupport.parkNanos(deadline - now);
                now = System.nanoTime();
            }
            debt -= now - t0; // <= 0: the overshoot is credited to the next records
            parkedNanos.inc(now - t0);
        }
        return e;
    }
}
