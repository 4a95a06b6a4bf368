package io.havnet.dataplane.ring;

import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The producer's and the consumer's counters never share a cache line (nor its neighbour), and
 * the slots start on a line, so a burst of 32 handles fills two whole lines.
 */
class RingLayoutTest {
    @Test
    void producerAndConsumerFieldsAreAtLeast128BytesApart() throws Exception {
        Field uf = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
        uf.setAccessible(true);
        sun.misc.Unsafe u = (sun.misc.Unsafe) uf.get(null);
        long prodTail = offset(u, RingProducerFields.class, "prodTail");
        long prodHead = offset(u, RingProducerFields.class, "prodHead");
        long consTail = offset(u, RingConsumerFields.class, "consTail");
        long consHead = offset(u, RingConsumerFields.class, "consHead");
        long immutable = offset(u, Ring.class, "base");
        assertTrue(Math.abs(prodTail - prodHead) < 64, "producer fields share a line");
        assertTrue(Math.abs(consTail - consHead) < 64, "consumer fields share a line");
        assertTrue(consTail - prodTail >= 128, "producer/consumer distance " + (consTail - prodTail));
        assertTrue(immutable - consTail >= 128, "consumer/immutable distance " + (immutable - consTail));
        assertTrue(prodHead >= 128, "producer fields must not share a line with the object header");
    }

    @SuppressWarnings("deprecation")
    private static long offset(sun.misc.Unsafe u, Class<?> c, String f) throws Exception {
        return u.objectFieldOffset(c.getDeclaredField(f));
    }

    @Test
    void slotsStartOnACacheLineWithNothingElseOnTheirLines() {
        for (int capacity : new int[] {1, 2, 16, 1024, 4096}) {
            for (boolean sp : new boolean[] {true, false}) {
                for (boolean sc : new boolean[] {true, false}) {
                    Ring r = Ring.create("layout", capacity, sp, sc);
                    assertEquals(0, r.base % 64, r + " slot 0 at " + Long.toHexString(r.base));
                    // a free line before slot 0 and after the last slot, inside the ring's own memory
                    assertTrue(r.base - r.mem.address() >= 64, "no free line before the slots");
                    assertTrue(r.mem.address() + r.mem.byteSize() - (r.base + 4L * capacity) >= 64,
                            "no free line after the slots");
                    int[] h = new int[capacity];
                    for (int i = 0; i < capacity; i++) {
                        h[i] = 1000 + i;
                    }
                    assertEquals(capacity, r.enqueueBulk(h, 0, capacity));
                    int[] out = new int[capacity];
                    assertEquals(capacity, r.dequeueBulk(out, 0, capacity));
                    assertArrayEquals(h, out);
                }
            }
        }
    }
}
