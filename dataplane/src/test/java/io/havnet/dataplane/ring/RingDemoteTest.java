package io.havnet.dataplane.ring;

import io.havnet.dataplane.os.CacheLineDemote;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** Rings told their consumer runs on another core ({@link Ring#F_DEMOTE}). */
class RingDemoteTest {
    @Test
    void theLinesAnEnqueueCompletesAreThoseWhoseLastSlotItWrote() {
        int[] heads = {0, 1, 15, 16, 17, 31, 4_000, -64, -33, -17, -16, -15, -1, Integer.MAX_VALUE - 20};
        for (int head : heads) {
            for (int n = 0; n <= 80; n++) {
                int expected = 0;
                int first = -1;
                for (int i = 0; i < n; i++) {
                    int c = head + i;
                    if ((c & 15) == 15) {
                        expected++;
                        if (first < 0) {
                            first = (c - 15) & 63;
                        }
                    }
                }
                assertEquals(expected, DemotingRings.filledLines(head, n), "head " + head + " n " + n);
                if (expected > 0) {
                    assertEquals(first, DemotingRings.firstFilledSlot(head, 63), "head " + head + " n " + n);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"spsc", "mpsc", "spmc", "mpmc"})
    void aDemotingRingMovesEveryHandleInOrderAcrossItsWraps(String kind) {
        Ring r = Ring.create(kind, 64, kind.startsWith("sp"), kind.endsWith("sc"), Ring.F_DEMOTE);
        assertEquals(CacheLineDemote.active(), r.demotes(), "demotes where the CPU has CLDEMOTE: " + CacheLineDemote.why());
        SplittableRandom rnd = new SplittableRandom(7);
        int[] in = new int[64];
        int[] out = new int[64];
        int next = 0;
        int expect = 0;
        while (expect < 200_000) {
            int n = 1 + rnd.nextInt(40);
            int off = rnd.nextInt(64 - n + 1); // the handles from anywhere in the caller's array
            for (int i = 0; i < n; i++) {
                in[off + i] = next + i;
            }
            next += rnd.nextBoolean() ? r.enqueueBurst(in, off, n) : (r.enqueue(in[off]) ? 1 : 0);
            int k = r.dequeueBurst(out, 0, 1 + rnd.nextInt(40));
            for (int i = 0; i < k; i++) {
                assertEquals(expect++, out[i], kind + ": FIFO order across the ring's wraps");
            }
        }
        assertEquals(next - expect, r.count());
    }

    @Test
    void aDemotingRingKeepsItsKindsContract() {
        for (boolean sp : new boolean[] {true, false}) {
            for (boolean sc : new boolean[] {true, false}) {
                Ring plain = Ring.create("p", 64, sp, sc);
                Ring demoting = Ring.create("d", 64, sp, sc, Ring.F_DEMOTE);
                assertFalse(plain.demotes());
                assertEquals(CacheLineDemote.active(), demoting.demotes(), "where the CPU has CLDEMOTE: " + CacheLineDemote.why());
                int[] h = {1, 2, 3};
                assertEquals(3, demoting.enqueueBulk(h, 0, 3));
                assertEquals(0, demoting.enqueueBulk(new int[62], 0, 62), "bulk: all or nothing, as the plain ring");
                assertEquals(61, demoting.enqueueBurst(new int[62], 0, 62), "burst: what fits");
                assertFalse(demoting.enqueue(9), "full");
                assertEquals(64, demoting.count());
                assertEquals(1, demoting.dequeue());
                assertEquals(2, demoting.dequeueBulk(h, 0, 2));
                assertEquals(2, h[0]);
                assertEquals(3, h[1]);
            }
        }
    }

    @Test
    void aRingWithoutTheFlagOrTooSmallForALineDoesNotDemote() {
        assertFalse(new SpscRing("plain", 64).demotes());
        assertFalse(Ring.create("tiny", 8, true, true, Ring.F_DEMOTE).demotes(), "8 slots do not fill a line");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ring.create("r", 64, true, true, 6));
        assertEquals("ring r: unknown flags 0x6", e.getMessage());
    }

    @Test
    void enqueuesThatDemoteAllocateNothing() {
        Ring r = Ring.create("alloc", 1024, true, true, Ring.F_DEMOTE);
        int[] h = new int[32];
        for (int i = 0; i < 20; i++) { // warm-up: the loop compiled as a method, not only on-stack
            cycle(r, h, 100_000);
        }
        com.sun.management.ThreadMXBean t = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = t.getCurrentThreadAllocatedBytes();
        cycle(r, h, 1_000_000);
        long bytes = t.getCurrentThreadAllocatedBytes() - before;
        assertEquals(0, bytes, "bytes allocated over 33 M handles enqueued on a demoting ring");
    }

    private static void cycle(Ring r, int[] h, int n) {
        for (int i = 0; i < n; i++) {
            r.enqueueBurst(h, 0, 32);
            r.dequeueBurst(h, 0, 32);
            r.enqueue(i);
            r.dequeue();
        }
    }
}
