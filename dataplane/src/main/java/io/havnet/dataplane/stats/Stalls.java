package io.havnet.dataplane.stats;

/**
 * The times a busy-polling thread lost its CPU: every gap between two consecutive clock reads of a
 * spinning loop, from 1 µs up, in 1 µs buckets to 10 ms and exactly above (the first 4,096; any
 * later ones count as 10 ms, a lower bound). Written by one thread; read once it has stopped.
 *
 * <p>What the gaps cost a stream of frames follows from them alone: a frame that reaches a queue
 * while the CPU that serves the queue is away waits out the rest of that gap. With frames arriving
 * steadily over the observed time T, the share of frames that wait longer than L is
 * Σ max(0, gap − L) / T, whatever the rate — so {@link #floorNanos(double)} is the latency no
 * software on that CPU can beat at that percentile, even one that serves frames in no time.
 */
public final class Stalls {
    /** Gaps shorter than this are the loop's own iterations, not stalls. */
    public static final long MIN_STALL_NANOS = 1_000;
    private static final int BUCKETS = 10_000;
    private static final int EXACT = 4_096;

    private final long[] perMicro = new long[BUCKETS];
    private final long[] over = new long[EXACT];
    private int overCount;
    private long overDropped;
    private long observedNanos;
    private long maxNanos;

    /** Records one gap between clock reads (every gap, short ones included, adds to the observed time). */
    public void record(long gapNanos) {
        if (gapNanos <= 0) {
            return;
        }
        observedNanos += gapNanos;
        if (gapNanos < MIN_STALL_NANOS) {
            return;
        }
        if (gapNanos > maxNanos) {
            maxNanos = gapNanos;
        }
        long us = gapNanos / 1_000;
        if (us < BUCKETS) {
            perMicro[(int) us]++;
        } else if (overCount < EXACT) {
            over[overCount++] = gapNanos;
        } else {
            overDropped++;
        }
    }

    /**
     * Records {@code count} gaps of {@code micros} µs each (a histogram read from another tool);
     * the time between them goes in with {@link #addQuietNanos(long)}.
     */
    public void recordMicros(long micros, long count) {
        if (micros < 1 || count < 0) {
            throw new IllegalArgumentException("bad gap or count: " + micros + " µs × " + count);
        }
        long nanos = micros * 1_000;
        if (micros < BUCKETS) {
            observedNanos += nanos * count;
            perMicro[(int) micros] += count;
            maxNanos = count > 0 ? Math.max(maxNanos, nanos) : maxNanos;
            return;
        }
        for (long i = 0; i < count; i++) {
            record(nanos);
        }
    }

    /** Adds time in which no stall of 1 µs or more occurred (loop iterations not recorded one by one). */
    public void addQuietNanos(long nanos) {
        if (nanos < 0) {
            throw new IllegalArgumentException("negative time: " + nanos);
        }
        observedNanos += nanos;
    }

    /** Wall time the gaps span. */
    public long observedNanos() {
        return observedNanos;
    }

    /** The longest gap. */
    public long maxNanos() {
        return maxNanos;
    }

    /** Gaps of at least {@code micros} µs. */
    public long countAtLeast(long micros) {
        long n = 0;
        for (int us = (int) Math.min(Math.max(micros, 0), BUCKETS); us < BUCKETS; us++) {
            n += perMicro[us];
        }
        for (int i = 0; i < overCount; i++) {
            if (over[i] >= micros * 1_000) {
                n++;
            }
        }
        return n + (micros <= BUCKETS ? overDropped : 0);
    }

    /** Gaps of at least {@code micros} µs per second observed. */
    public double perSecondAtLeast(long micros) {
        return observedNanos == 0 ? 0 : countAtLeast(micros) * 1e9 / observedNanos;
    }

    /** Share of the observed time spent in gaps of at least {@code micros} µs. */
    public double lostShareAtLeast(long micros) {
        return observedNanos == 0 ? 0 : excessNanos(0, micros) / (double) observedNanos;
    }

    /**
     * The smallest wait L such that at most {@code 1 - quantile} of frames arriving steadily wait
     * longer than L because of these gaps: a lower bound on that percentile of the latency of any
     * work served from this CPU. 0 when the gaps are too rare to matter.
     */
    public long floorNanos(double quantile) {
        if (!(quantile > 0 && quantile < 1)) {
            throw new IllegalArgumentException("quantile must be in (0, 1): " + quantile);
        }
        if (observedNanos == 0) {
            return 0;
        }
        double allowed = (1 - quantile) * observedNanos;
        long lo = 0;
        long hi = maxNanos;
        while (lo < hi) {
            long mid = (lo + hi) >>> 1;
            if (excessNanos(mid, 0) <= allowed) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }

    /** Σ max(0, gap − waitNanos) over the gaps of at least {@code minMicros} µs (bucketed gaps at their lower edge). */
    private double excessNanos(long waitNanos, long minMicros) {
        double sum = 0;
        for (int us = (int) Math.max(1, Math.min(minMicros, BUCKETS)); us < BUCKETS; us++) {
            long d = us * 1_000L - waitNanos;
            if (d > 0 && perMicro[us] != 0) {
                sum += (double) d * perMicro[us];
            }
        }
        for (int i = 0; i < overCount; i++) {
            long d = over[i] - waitNanos;
            if (d > 0 && over[i] >= minMicros * 1_000) {
                sum += d;
            }
        }
        long d = BUCKETS * 1_000L - waitNanos;
        if (d > 0) {
            sum += (double) d * overDropped;
        }
        return sum;
    }
}
