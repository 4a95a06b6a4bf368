package io.havnet.dataplane.ring;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The copies of the other side's tail (package documentation): a copy that is behind costs a
 * refresh, never a slot; a shared copy that shows more than the ring holds is not trusted.
 */
class RingTailCopyTest {
    private static Ring ring(String kind) {
        return Ring.create(kind, 8, kind.startsWith("sp"), kind.endsWith("sc"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"spsc", "mpsc", "spmc", "mpmc"})
    void aCopyBehindTheTailCostsARefreshNotASlot(String kind) {
        Ring r = ring(kind);
        int[] a = {1, 2, 3, 4, 5, 6, 7, 8};
        int[] out = new int[8];
        assertEquals(8, r.enqueueBurst(a, 0, 8));
        // both copies as far behind as they can be: the producer's says full, the consumer's empty
        r.consTailCache = r.consTail - 8;
        r.prodTailCache = r.consHead;
        assertEquals(0, r.enqueueBurst(a, 0, 1), "full");
        assertEquals(3, r.dequeueBurst(out, 0, 3), "the consumer refreshes and finds 8");
        assertArrayEquals(new int[] {1, 2, 3}, java.util.Arrays.copyOf(out, 3));
        assertEquals(3, r.enqueueBurst(a, 0, 8), "the producer refreshes and finds 3 free");
        assertEquals(8, r.dequeueBurst(out, 0, 8));
        assertArrayEquals(new int[] {4, 5, 6, 7, 8, 1, 2, 3}, out);
        assertEquals(0, r.count());
    }

    @ParameterizedTest
    @ValueSource(strings = {"mpsc", "mpmc"})
    void producersDoNotTrustACopyShowingMoreRoomThanTheRingHas(String kind) {
        Ring r = ring(kind);
        int[] a = {1, 2, 3, 4, 5, 6, 7, 8};
        assertEquals(8, r.enqueueBulk(a, 0, 8));
        r.consTailCache = r.prodHead + 5; // a value no consumer tail can have had: room for 13
        assertEquals(0, r.enqueueBurst(a, 0, 4), "the ring is full");
        assertEquals(0, r.enqueueBulk(a, 0, 1));
        int[] out = new int[8];
        assertEquals(8, r.dequeueBurst(out, 0, 8));
        assertArrayEquals(a, out, "no slot overwritten");
    }

    @ParameterizedTest
    @ValueSource(strings = {"spmc", "mpmc"})
    void consumersDoNotTrustACopyShowingMoreHandlesThanTheRingHolds(String kind) {
        Ring r = ring(kind);
        int[] a = {1, 2};
        assertEquals(2, r.enqueueBurst(a, 0, 2));
        r.prodTailCache = r.consHead + (1 << 30); // written late by a consumer stopped for 2^30 handles
        int[] out = new int[8];
        assertEquals(2, r.dequeueBurst(out, 0, 8), "only the two published handles");
        assertEquals(0, r.dequeueBurst(out, 0, 8), "then empty");
        assertEquals(0, r.count());
    }
}
