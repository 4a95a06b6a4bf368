package io.havnet.nic.engine;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

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
}
