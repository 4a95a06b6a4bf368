package io.havnet.dataplane.ring;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Producers and consumers on real threads: every handle enqueued is dequeued exactly once, none
 * lost or duplicated, and each producer's handles stay in order per consumer.
 */
class RingConcurrencyTest {
    private static final int PER_PRODUCER = 400_000;

    @ParameterizedTest(name = "{0}: {1} producers x {2} consumers, bulk={3}, flags={4}")
    @CsvSource({
        "spsc, 1, 1, false, 0", "spsc, 1, 1, true, 0",
        "mpsc, 3, 1, false, 0", "mpsc, 3, 1, true, 0",
        "spmc, 1, 3, false, 0", "spmc, 1, 3, true, 0",
        "mpmc, 3, 3, false, 0", "mpmc, 3, 3, true, 0",
        // Ring.F_DEMOTE: every producer demotes the lines it completes
        "spsc, 1, 1, false, 1", "mpmc, 3, 3, true, 1",
    })
    void noHandleLostOrDuplicated(String kind, int producers, int consumers, boolean bulk, int flags) throws Exception {
        Ring ring = Ring.create(kind, 256, producers == 1, consumers == 1, flags);
        int total = producers * PER_PRODUCER;
        AtomicInteger consumed = new AtomicInteger();
        List<int[]> seen = new ArrayList<>();
        int[] counts = new int[consumers];
        List<Thread> threads = new ArrayList<>();
        List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int p = 0; p < producers; p++) {
            final int base = p * PER_PRODUCER;
            threads.add(Thread.ofPlatform().name("producer-" + p).unstarted(() -> {
                int[] buf = new int[32];
                int next = 0;
                ThreadLocalRandom rnd = ThreadLocalRandom.current();
                while (next < PER_PRODUCER) {
                    int n = Math.min(1 + rnd.nextInt(32), PER_PRODUCER - next);
                    for (int i = 0; i < n; i++) {
                        buf[i] = base + next + i;
                    }
                    int k = bulk ? ring.enqueueBulk(buf, 0, n) : ring.enqueueBurst(buf, 0, n);
                    if (bulk) {
                        assertTrue(k == 0 || k == n, "bulk returned " + k + " of " + n);
                    }
                    if (k == 0) {
                        Thread.yield();
                    }
                    next += k;
                }
            }));
        }
        for (int c = 0; c < consumers; c++) {
            final int id = c;
            int[] log = new int[total];
            seen.add(log);
            threads.add(Thread.ofPlatform().name("consumer-" + c).unstarted(() -> {
                int[] buf = new int[32];
                int got = 0;
                int[] lastPerProducer = new int[producers];
                java.util.Arrays.fill(lastPerProducer, -1);
                ThreadLocalRandom rnd = ThreadLocalRandom.current();
                while (consumed.get() < total) {
                    int n = 1 + rnd.nextInt(32);
                    int k = bulk ? ring.dequeueBulk(buf, 0, n) : ring.dequeueBurst(buf, 0, n);
                    if (k == 0) {
                        Thread.yield();
                        continue;
                    }
                    for (int i = 0; i < k; i++) {
                        int v = buf[i];
                        int p = v / PER_PRODUCER;
                        if (v <= lastPerProducer[p]) {
                            errors.add(new AssertionError("producer " + p + " order broken: " + v + " after "
                                    + lastPerProducer[p]));
                        }
                        lastPerProducer[p] = v;
                        log[got++] = v;
                    }
                    consumed.addAndGet(k);
                }
                counts[id] = got;
            }));
        }
        threads.forEach(t -> t.setUncaughtExceptionHandler((th, e) -> errors.add(e)));
        threads.forEach(Thread::start);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (Thread t : threads) {
            t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            assertFalse(t.isAlive(), t.getName() + " did not finish: ring stuck");
        }
        assertTrue(errors.isEmpty(), () -> "errors: " + errors);
        assertEquals(total, consumed.get());
        assertEquals(0, ring.count());
        BitSet all = new BitSet(total);
        int counted = 0;
        for (int c = 0; c < consumers; c++) {
            int[] log = seen.get(c);
            for (int i = 0; i < counts[c]; i++) {
                int v = log[i];
                assertFalse(all.get(v), "handle " + v + " dequeued twice");
                all.set(v);
                counted++;
            }
        }
        assertEquals(total, counted);
        assertEquals(total, all.cardinality(), "every handle dequeued once");
    }
}
