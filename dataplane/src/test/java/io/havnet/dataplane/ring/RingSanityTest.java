package io.havnet.dataplane.ring;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.function.BiFunction;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** One sanity suite run against every ring variant (JCTools' habit). */
class RingSanityTest {
    static Stream<Arguments> variants() {
        return Stream.of(
                Arguments.of("spsc", (BiFunction<String, Integer, Ring>) SpscRing::new),
                Arguments.of("mpsc", (BiFunction<String, Integer, Ring>) MpscRing::new),
                Arguments.of("spmc", (BiFunction<String, Integer, Ring>) SpmcRing::new),
                Arguments.of("mpmc", (BiFunction<String, Integer, Ring>) MpmcRing::new));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void newRingIsEmptyWithEveryPowerOfTwoSlotUsable(String kind, BiFunction<String, Integer, Ring> make) {
        Ring r = make.apply("r", 8);
        assertEquals(8, r.capacity());
        assertEquals(0, r.count());
        assertEquals(8, r.free());
        assertTrue(r.isEmpty());
        int[] in = {1, 2, 3, 4, 5, 6, 7, 8};
        assertEquals(8, r.enqueueBulk(in, 0, 8));
        assertTrue(r.isFull());
        assertEquals(0, r.free());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void bulkMovesAllOrNothing(String kind, BiFunction<String, Integer, Ring> make) {
        Ring r = make.apply("r", 8);
        int[] in = {10, 11, 12, 13, 14, 15};
        assertEquals(6, r.enqueueBulk(in, 0, 6));
        assertEquals(0, r.enqueueBulk(in, 0, 3), "only 2 free: bulk of 3 must take none");
        assertEquals(6, r.count());
        int[] out = new int[8];
        assertEquals(0, r.dequeueBulk(out, 0, 7), "only 6 present: bulk of 7 must take none");
        assertEquals(6, r.count());
        assertEquals(4, r.dequeueBulk(out, 0, 4));
        assertArrayEquals(new int[] {10, 11, 12, 13}, java.util.Arrays.copyOf(out, 4));
        assertEquals(2, r.count());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void burstMovesAsManyAsPossible(String kind, BiFunction<String, Integer, Ring> make) {
        Ring r = make.apply("r", 8);
        int[] in = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        assertEquals(8, r.enqueueBurst(in, 0, 10), "burst takes what fits");
        assertEquals(0, r.enqueueBurst(in, 8, 2), "full ring takes nothing");
        int[] out = new int[10];
        assertEquals(5, r.dequeueBurst(out, 0, 5));
        assertEquals(3, r.dequeueBurst(out, 5, 5), "burst returns what is there");
        assertEquals(0, r.dequeueBurst(out, 0, 4), "empty ring gives nothing");
        assertArrayEquals(new int[] {1, 2, 3, 4, 5, 6, 7, 8}, java.util.Arrays.copyOf(out, 8));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void keepsFifoOrderAcrossManyWrapArounds(String kind, BiFunction<String, Integer, Ring> make) {
        Ring r = make.apply("r", 16);
        int[] buf = new int[7];
        int next = 0;
        int expect = 0;
        for (int round = 0; round < 10_000; round++) {
            int n = 1 + round % 7;
            for (int i = 0; i < n; i++) {
                buf[i] = next + i;
            }
            int k = r.enqueueBurst(buf, 0, n);
            next += k;
            int d = r.dequeueBurst(buf, 0, 1 + (round * 3) % 7);
            for (int i = 0; i < d; i++) {
                assertEquals(expect++, buf[i]);
            }
        }
        while (!r.isEmpty()) {
            assertEquals(expect++, r.dequeue());
        }
        assertEquals(next, expect);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void singleElementOperations(String kind, BiFunction<String, Integer, Ring> make) {
        Ring r = make.apply("r", 2);
        assertEquals(Ring.EMPTY, r.dequeue());
        assertTrue(r.enqueue(7));
        assertTrue(r.enqueue(8));
        assertFalse(r.enqueue(9), "full");
        assertEquals(7, r.dequeue());
        assertEquals(8, r.dequeue());
        assertEquals(Ring.EMPTY, r.dequeue());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void zeroLengthOperationsDoNothing(String kind, BiFunction<String, Integer, Ring> make) {
        Ring r = make.apply("r", 4);
        int[] a = new int[4];
        assertEquals(0, r.enqueueBurst(a, 0, 0));
        assertEquals(0, r.dequeueBurst(a, 0, 0));
        assertEquals(0, r.count());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    @Timeout(value = 20, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a ring left wedged spins forever
    void handlesOutsideTheCallersArrayAreRefusedAndTheRingGoesOn(String kind, BiFunction<String, Integer, Ring> make) {
        boolean sp = kind.startsWith("sp");
        boolean sc = kind.endsWith("sc");
        for (Ring r : new Ring[] {make.apply("r", 64), Ring.create("d", 64, sp, sc, Ring.F_DEMOTE)}) {
            int[] a = {1, 2, 3, 4};
            assertThrows(IndexOutOfBoundsException.class, () -> r.enqueueBurst(a, 2, 3), r + ": past the end");
            assertThrows(IndexOutOfBoundsException.class, () -> r.enqueueBulk(a, -1, 2), r + ": before the start");
            assertThrows(IndexOutOfBoundsException.class, () -> r.enqueueBurst(a, 0, -1), r + ": a negative count");
            assertEquals(0, r.count(), r + ": nothing enqueued");
            // a multi-producer ring that had reserved slots for the refused call would wait for them here
            assertEquals(4, r.enqueueBurst(a, 0, 4), r + ": takes handles after the refusals");
            int[] b = new int[4];
            assertThrows(IndexOutOfBoundsException.class, () -> r.dequeueBurst(b, 1, 4), r + ": past the end");
            assertEquals(4, r.count(), r + ": nothing taken");
            assertEquals(4, r.dequeueBurst(b, 0, 4));
            assertArrayEquals(a, b);
            assertEquals(4, r.enqueueBulk(a, 0, 4), r + ": and goes on");
            assertEquals(4, r.dequeueBulk(b, 0, 4));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void rejectsSizesThatAreNotPowersOfTwo(String kind, BiFunction<String, Integer, Ring> make) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> make.apply("bad", 1000));
        assertEquals("ring bad: size 1000 is not a power of two in [1, 2^30]", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> make.apply("zero", 0));
        assertThrows(IllegalArgumentException.class, () -> make.apply("neg", -4));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void createPicksTheVariantForTheContract(String kind, BiFunction<String, Integer, Ring> make) {
        Ring r = make.apply("r", 4);
        Ring same = Ring.create("r", 4, kind.startsWith("sp"), kind.endsWith("sc"));
        assertEquals(r.getClass(), same.getClass());
    }
}
