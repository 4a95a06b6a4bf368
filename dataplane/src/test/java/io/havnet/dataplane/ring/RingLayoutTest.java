package io.havnet.dataplane.ring;

import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;

import static org.junit.jupiter.api.Assertions.*;

/** The producer's and the consumer's counters never share a cache line (nor its neighbour). */
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
        long slots = offset(u, Ring.class, "slots");
        assertTrue(Math.abs(prodTail - prodHead) < 64, "producer fields share a line");
        assertTrue(Math.abs(consTail - consHead) < 64, "consumer fields share a line");
        assertTrue(consTail - prodTail >= 128, "producer/consumer distance " + (consTail - prodTail));
        assertTrue(slots - consTail >= 128, "consumer/immutable distance " + (slots - consTail));
        assertTrue(prodHead >= 128, "producer fields must not share a line with the object header");
    }

    @SuppressWarnings("deprecation")
    private static long offset(sun.misc.Unsafe u, Class<?> c, String f) throws Exception {
        return u.objectFieldOffset(c.getDeclaredField(f));
    }
}
