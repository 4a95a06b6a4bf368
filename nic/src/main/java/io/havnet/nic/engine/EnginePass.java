package io.havnet.nic.engine;

import java.util.concurrent.locks.LockSupport;

/**
 * An engine's pass counter: odd while the engine is inside one pass over its queues. A register
 * write that disables a queue waits here until the engine is past any pass that may still be
 * using the old ring — what a driver gets on the 82599 by polling RXDCTL/TXDCTL.ENABLE until it
 * reads 0: once the write returns, the device will not touch the ring's buffers again, so the
 * driver may free them and count what they held.
 */
public final class EnginePass {
    private static final long MAX_WAIT_NANOS = 2_000_000_000L;
    private static final java.lang.invoke.VarHandle PASS;

    static {
        try {
            PASS = java.lang.invoke.MethodHandles.lookup().findVarHandle(EnginePass.class, "pass", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private volatile long pass;
    private volatile Thread runner;

    /** The engine enters a pass (its thread only). */
    void begin() {
        Thread t = Thread.currentThread();
        if (runner != t) {
            runner = t;
        }
        // single writer; a volatile store: ordered before the pass's reads of the rings
        PASS.setVolatile(this, (long) PASS.getOpaque(this) + 1);
    }

    /** The engine leaves the pass: a release store, after everything the pass wrote. */
    void end() {
        PASS.setRelease(this, (long) PASS.getOpaque(this) + 1);
    }

    /**
     * Returns once the engine is not in a pass that began before this call. Called from the thread
     * that wrote the register; no wait from the engine's own thread, nor when it is idle or not
     * running. Bounded: an engine thread that died mid-pass does not hang a driver.
     */
    public void await() {
        long p = pass;
        if ((p & 1) == 0 || runner == Thread.currentThread()) {
            return;
        }
        long deadline = System.nanoTime() + MAX_WAIT_NANOS;
        int spins = 0;
        while (pass == p && System.nanoTime() < deadline) {
            if (++spins < 1_000) {
                Thread.onSpinWait();
            } else {
                // a yield would leave this thread off its CPU for a scheduler slice when a busy
                // poller shares it; a short sleep returns as soon as the engine's pass is over
                LockSupport.parkNanos(10_000);
            }
        }
    }
}
