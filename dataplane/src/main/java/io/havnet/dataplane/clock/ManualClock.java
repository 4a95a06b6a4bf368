package io.havnet.dataplane.clock;

/** A clock that only moves when told to: the deterministic runner's time. */
public final class ManualClock implements Clock {
    private volatile long now;

    public ManualClock() {
        this(0);
    }

    public ManualClock(long startNanos) {
        this.now = startNanos;
    }

    @Override
    public long nanoTime() {
        return now;
    }

    public void advance(long nanos) {
        if (nanos < 0) {
            throw new IllegalArgumentException("time does not go back: " + nanos);
        }
        now += nanos;
    }

    public void set(long nanos) {
        now = nanos;
    }
}
