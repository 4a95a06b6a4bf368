package io.havnet.dataplane.agent;

import java.util.concurrent.locks.LockSupport;

/** What a polling thread does when a round of its agents found no work. */
public interface IdleStrategy {
    /** Called after every round with the work it did; idles only when {@code workCount == 0}. */
    void idle(int workCount);

    /** Forget accumulated back-off (called when work resumes). */
    default void reset() {}

    /** Busy-spin with {@link Thread#onSpinWait()}: lowest latency, burns the core (DPDK's default). */
    static IdleStrategy spin() {
        return work -> {
            if (work == 0) {
                Thread.onSpinWait();
            }
        };
    }

    /** {@link Thread#yield()} when idle: shares a core politely. */
    static IdleStrategy yielding() {
        return work -> {
            if (work == 0) {
                Thread.yield();
            }
        };
    }

    /** Spin, then yield, then park with exponential back-off up to {@code maxParkNanos}. */
    static IdleStrategy backoff(int maxSpins, int maxYields, long minParkNanos, long maxParkNanos) {
        return new Backoff(maxSpins, maxYields, minParkNanos, maxParkNanos);
    }

    /** A backoff suited to lcores sharing few cores: 100 spins, 10 yields, park 1 µs .. 1 ms. */
    static IdleStrategy backoff() {
        return backoff(100, 10, 1_000, 1_000_000);
    }

    /** Spin → yield → park, reset by work. */
    final class Backoff implements IdleStrategy {
        private final int maxSpins;
        private final int maxYields;
        private final long minPark;
        private final long maxPark;
        private int spins;
        private int yields;
        private long park;

        Backoff(int maxSpins, int maxYields, long minParkNanos, long maxParkNanos) {
            if (maxSpins < 0 || maxYields < 0 || minParkNanos <= 0 || maxParkNanos < minParkNanos) {
                throw new IllegalArgumentException("bad backoff parameters");
            }
            this.maxSpins = maxSpins;
            this.maxYields = maxYields;
            this.minPark = minParkNanos;
            this.maxPark = maxParkNanos;
            this.park = minParkNanos;
        }

        @Override
        public void idle(int workCount) {
            if (workCount > 0) {
                reset();
            } else if (spins < maxSpins) {
                spins++;
                Thread.onSpinWait();
            } else if (yields < maxYields) {
                yields++;
                Thread.yield();
            } else {
                LockSupport.parkNanos(park);
                park = Math.min(park << 1, maxPark);
            }
        }

        @Override
        public void reset() {
            spins = 0;
            yields = 0;
            park = minPark;
        }
    }
}
