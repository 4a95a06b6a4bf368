package io.havnet.nic.engine;

import io.havnet.dataplane.agent.RoundRequest;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * An engine's pass counter: odd while the engine is inside one pass over its queues. A register
 * write that disables a queue waits here until the engine is past any pass that may still be
 * using the old ring — what a driver gets on the 82599 by polling RXDCTL/TXDCTL.ENABLE until it
 * reads 0: once the write returns, the device will not touch the ring's buffers again, so the
 * driver may free them and count what they held.
 *
 * <p>The engine pays no fence for this. A disable first clears the ring, then asks a
 * {@link RoundRequest}, which the engine answers at the start of every pass, before it reads any
 * ring: a pass that saw the request sees the cleared ring, so once the answer arrives every pass
 * that could have used the old ring is over, and the driver sees all it wrote.
 * An engine that starts no pass cannot answer: when its pass count stays even and unchanged for
 * {@link #QUIET_NANOS}, it is between passes, and the next one reads the request. (A pass in
 * progress cannot look like that: its odd count leaves the core's store buffer within
 * microseconds, and at once when its thread blocks or is switched out.) The design before this
 * one published the odd count with a volatile store, a full fence at the start of every pass that
 * waited for all the stores to guest memory the previous pass left pending.
 */
public final class EnginePass {
    private static final long MAX_WAIT_NANOS = 2_000_000_000L;
    /** How long an even, unchanged pass count means an engine between passes. */
    static final long QUIET_NANOS = 200_000L;
    private static final VarHandle PASS;

    static {
        try {
            PASS = MethodHandles.lookup().findVarHandle(EnginePass.class, "pass", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private volatile long pass;
    private final RoundRequest disables = new RoundRequest();
    private volatile Thread runner;

    /** The engine enters a pass (its thread only), before it reads any ring. */
    void begin() {
        Thread t = Thread.currentThread();
        if (runner != t) {
            // once per thread, volatile both: a disable that finds no runner (or another thread)
            // counted its request before this read, so this pass sees the cleared ring
            runner = t;
            disables.answerAfterVolatileStore();
        } else {
            disables.answer();
        }
        PASS.setRelease(this, (long) PASS.getOpaque(this) + 1);
    }

    /** The engine leaves the pass: a release store, after everything the pass wrote. */
    void end() {
        PASS.setRelease(this, (long) PASS.getOpaque(this) + 1);
    }

    /**
     * Returns once the engine is not in a pass that began before this call; the caller cleared
     * the ring before. Called from the thread that wrote the register; no wait from the engine's
     * own thread, nor when it never ran; {@link #QUIET_NANOS} when it runs no passes. Bounded: an
     * engine thread that died mid-pass does not hang a driver.
     */
    public void await() {
        long token = disables.ask();
        Thread r = runner;
        if (r == null || r == Thread.currentThread()) {
            return;
        }
        long start = System.nanoTime();
        long seen = pass;
        long since = start;
        int spins = 0;
        while (!disables.answered(token)) {
            long p = pass;
            long now = System.nanoTime();
            if (p != seen || (p & 1) != 0) {
                seen = p;
                since = now;
            } else if (now - since >= QUIET_NANOS) {
                return; // between passes; the acquire load of the even count saw what they wrote
            }
            if (now - start >= MAX_WAIT_NANOS) {
                return;
            }
            if (++spins < 1_000) {
                Thread.onSpinWait();
            } else {
                // a yield would leave this thread off its CPU for a scheduler slice when a busy
                // poller shares it; a short sleep returns as soon as the engine answers
                LockSupport.parkNanos(10_000);
            }
        }
    }
}
