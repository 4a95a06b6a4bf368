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
                assertEquals(expected, Ring.filledLines(head, n), "head " + head + " n " + n);
                if (expected > 0) {
                    assertEquals(first, Ring.firstFilledSlot(head, 63), "head " + head + " n " + n);
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
            for (int i = 0; i < n; i++) {
                in[i] = next + i;
            }
            next += rnd.nextBoolean() ? r.enqueueBurst(in, 0, n) : (r.enqueue(in[0]) ? 1 : 0);
            int k = r.dequeueBurst(out, 0, 1 + rnd.nextInt(40));
            for (int i = 0; i < k; i++) {
                assertEquals(expect++, out[i], kind + ": FIFO order across the ring's wraps");
            }
        }
        assertEquals(next - expect, r.count());
    }

    @Test
    void aRingWithoutTheFlagOrTooSmallForALineDoesNotDemote() {
        assertFalse(new SpscRing("plain", 64).demotes());
        assertFalse(new SpscRing("tiny", 8, Ring.F_DEMOTE).demotes(), "8 slots do not fill a line");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new SpscRing("r", 64, 6));
        assertEquals("ring r: unknown flags 0x6", e.getMessage());
    }

    @Test
    void enqueuesThatDemoteAllocateNothing() {
        Ring r = new SpscRing("alloc", 1024, Ring.F_DEMOTE);
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
