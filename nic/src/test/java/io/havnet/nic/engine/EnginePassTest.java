package io.havnet.nic.engine;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * What a driver relies on when it disables a queue: the register write returns only once the
 * engine has left the pass that may still be using the ring — and not later than that.
 */
class EnginePassTest {
    @Test
    void aDisableWaitsForThePassInProgressAndNoLonger() throws Exception {
        EnginePass pass = new EnginePass();
        CountDownLatch inPass = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicLong endedAt = new AtomicLong();
        Thread engine = Thread.ofPlatform().start(() -> {
            pass.begin();
            inPass.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            endedAt.set(System.nanoTime());
            pass.end();
            pass.begin(); // and the thread dies inside its next pass
        });
        assertTrue(inPass.await(5, TimeUnit.SECONDS));
        Thread driver = Thread.ofPlatform().start(pass::await);
        driver.join(200);
        assertTrue(driver.isAlive(), "the write must not return while the engine is in its pass");
        release.countDown();
        driver.join(5_000);
        assertFalse(driver.isAlive(), "and returns once the pass is over");
        engine.join(5_000);
        assertTrue(endedAt.get() > 0);
        long t0 = System.nanoTime();
        pass.await(); // an engine that died mid-pass does not hang the driver: the wait is bounded
        assertTrue(System.nanoTime() - t0 < 3_000_000_000L);
    }

    @Test
    void anIdleEngineOrTheEnginesOwnThreadDoesNotWait() {
        EnginePass pass = new EnginePass();
        long t0 = System.nanoTime();
        pass.await(); // never ran
        pass.begin();
        pass.await(); // called from the engine's own thread (a register write inside its pass)
        pass.end();
        pass.await(); // between passes
        assertTrue(System.nanoTime() - t0 < 100_000_000L, "no wait when nothing can be in flight");
    }

    @Test
    void anEngineThreadThatRunsNoPassesDoesNotHoldADisable() throws Exception {
        EnginePass pass = new EnginePass();
        CountDownLatch ran = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        Thread engine = Thread.ofPlatform().start(() -> {
            pass.begin();
            pass.end();
            ran.countDown();
            try {
                done.await(); // alive, between passes: a parked lcore, a suspended host
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertTrue(ran.await(5, TimeUnit.SECONDS));
        long t0 = System.nanoTime();
        pass.await();
        long took = System.nanoTime() - t0;
        done.countDown();
        engine.join(5_000);
        assertTrue(took < 500_000_000L, "an engine between passes cannot answer; the wait ends on its own: " + took + " ns");
    }

    /**
     * The promise itself, many times over: a pass reads the ring and writes into it; once the
     * disable (ring cleared, then {@link EnginePass#await}) returns, the old ring never changes
     * again. Without an answer from the engine, or a fence at the start of its pass, a pass that
     * read the ring before it was cleared could still be writing.
     */
    @Test
    void afterADisableReturnsNoPassWritesIntoTheOldRing() throws Exception {
        EnginePass pass = new EnginePass();
        AtomicReference<long[]> ring = new AtomicReference<>();
        AtomicBoolean stop = new AtomicBoolean();
        Thread engine = Thread.ofPlatform().start(() -> {
            while (!stop.get()) {
                pass.begin();
                long[] r = ring.get();
                if (r != null) {
                    for (int i = 0; i < r.length; i++) {
                        r[i]++; // DMA into the ring's buffers
                    }
                }
                pass.end();
            }
        });
        try {
            for (int round = 0; round < 20_000; round++) {
                long[] r = new long[8];
                ring.set(r);
                while (engine.isAlive() && ringUntouched(r)) {
                    Thread.onSpinWait(); // the engine uses the ring
                }
                ring.set(null);
                pass.await();
                long[] after = r.clone();
                for (int k = 0; k < 200; k++) {
                    Thread.onSpinWait();
                }
                assertArrayEquals(after, r, "round " + round + ": the device wrote into a ring after its disable returned");
            }
        } finally {
            stop.set(true);
            engine.join(5_000);
        }
    }

    private static boolean ringUntouched(long[] r) {
        return ((long) LONGS.getVolatile(r, 0)) == 0;
    }

    private static final java.lang.invoke.VarHandle LONGS = java.lang.invoke.MethodHandles.arrayElementVarHandle(long[].class);
}
