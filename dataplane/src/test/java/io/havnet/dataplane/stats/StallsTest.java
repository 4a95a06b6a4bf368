package io.havnet.dataplane.stats;

import io.havnet.dataplane.agent.StallProbe;
import io.havnet.dataplane.clock.Clock;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class StallsTest {
    /** A clock that moves 40 ns per read, and further at the reads it was told to. */
    static final class ScriptedClock implements Clock {
        long now;
        int reads;
        final int[] at;
        final long[] jump;

        ScriptedClock(int[] at, long[] jump) {
            this.at = at;
            this.jump = jump;
        }

        @Override
        public long nanoTime() {
            reads++;
            now += 40;
            for (int i = 0; i < at.length; i++) {
                if (reads == at[i]) {
                    now += jump[i];
                }
            }
            return now;
        }
    }

    @Test
    void theProbeRecordsEveryGapOfAMicrosecondOrMoreAndOnlyThose() {
        ScriptedClock clock = new ScriptedClock(new int[] {1_000, 50_000, 90_000}, new long[] {2_000_000, 30_000, 900});
        StallProbe probe = new StallProbe(clock, 1_000_000);
        while (clock.now < 10_000_000) {
            assertEquals(1, probe.doWork(), "the probe is always busy: its lcore never idles it");
        }
        Stalls s = probe.stalls();
        assertEquals(2, s.countAtLeast(1), "the 2 ms and 30 µs jumps; 940 ns is an iteration, not a stall");
        assertEquals(1, s.countAtLeast(31));
        assertEquals(2_000_040, s.maxNanos());
        long first = 40;
        assertEquals(clock.now - first, s.observedNanos(), "the gaps span the whole run");
    }

    @Test
    void oneStallOfTwoMillisecondsInASecondSetsThePercentilesItReaches() {
        Stalls s = new Stalls();
        s.record(2_000_000);
        s.addQuietNanos(998_000_000);
        // share waiting longer than L = (2 ms − L) / 1 s
        assertEquals(1_900_000, s.floorNanos(0.9999), 1_000);
        assertEquals(1_000_000, s.floorNanos(0.999), 1_000);
        assertEquals(0, s.floorNanos(0.99), "1 % of a second is 10 ms: a 2 ms stall stays under it");
        assertEquals(0.002, s.lostShareAtLeast(1), 1e-9);
        assertEquals(1.0, s.perSecondAtLeast(1_000), 1e-9);
    }

    @Test
    void manyShortStallsPutTheFloorJustUnderTheirLength() {
        Stalls s = new Stalls();
        s.recordMicros(20, 10_000);
        s.addQuietNanos(800_000_000);
        assertEquals(1_000_000_000, s.observedNanos());
        // 10,000 × (20 µs − L) ≤ 100 µs  ⇒  L ≥ 19.99 µs (buckets count at their lower edge)
        assertEquals(19_990, s.floorNanos(0.9999), 1);
        assertEquals(0.2, s.lostShareAtLeast(10), 1e-9);
        assertEquals(0, s.lostShareAtLeast(21), 1e-9);
    }

    /**
     * The floor is what a queue served by an infinitely fast server on a stalling CPU shows:
     * frames arrive every microsecond, a frame that arrives during a stall waits for its end.
     */
    @Test
    void theFloorIsThePercentileOfAQueueThatWaitsOutEveryStall() {
        SplittableRandom rnd = new SplittableRandom(7);
        long t = 0;
        long horizon = 2_000_000_000L;
        long[] starts = new long[4_000];
        long[] ends = new long[4_000];
        int n = 0;
        Stalls s = new Stalls();
        while (n < starts.length) {
            long quiet = 100_000 + rnd.nextLong(900_000);
            long d = rnd.nextInt(10) == 0 ? 200_000 + rnd.nextLong(2_000_000) : 1_000 + rnd.nextLong(60_000);
            d = d / 1_000 * 1_000; // whole microseconds: the histogram's resolution
            if (t + quiet + d > horizon) {
                break;
            }
            s.addQuietNanos(quiet);
            t += quiet;
            starts[n] = t;
            s.record(d);
            t += d;
            ends[n++] = t;
        }
        s.addQuietNanos(horizon - t);
        long frames = horizon / 1_000;
        long[] waits = new long[(int) frames];
        int k = 0;
        for (long f = 0; f < frames; f++) {
            long at = f * 1_000 + 500;
            while (k < n && ends[k] <= at) {
                k++;
            }
            waits[(int) f] = k < n && starts[k] <= at ? ends[k] - at : 0;
        }
        Arrays.sort(waits);
        for (double q : new double[] {0.99, 0.999, 0.9999}) {
            long empirical = waits[(int) Math.ceil(q * frames) - 1];
            assertEquals(empirical, s.floorNanos(q), 2_000, "p" + q * 100);
        }
        assertTrue(s.floorNanos(0.9999) > s.floorNanos(0.999));
    }

    @Test
    void probingAllocatesNothing() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        StallProbe probe = new StallProbe(Clock.SYSTEM, 100_000);
        for (int i = 0; i < 2_000; i++) {
            probe.doWork();
        }
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 2_000; i++) {
            probe.doWork();
        }
        assertEquals(0, threads.getCurrentThreadAllocatedBytes() - before);
    }

    @Test
    void badQueriesAreRefused() {
        Stalls s = new Stalls();
        assertEquals(0, s.floorNanos(0.9999), "nothing observed: no floor");
        assertThrows(IllegalArgumentException.class, () -> s.floorNanos(1.0));
        assertThrows(IllegalArgumentException.class, () -> s.recordMicros(0, 1));
        assertThrows(IllegalArgumentException.class, () -> s.addQuietNanos(-1));
        assertThrows(IllegalArgumentException.class, () -> new StallProbe(Clock.SYSTEM, 0));
    }
}
