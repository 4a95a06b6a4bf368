package io.havnet.dataplane.ring;

import io.havnet.dataplane.os.CacheLineDemote;

import java.lang.invoke.MethodHandle;

/**
 * The rings made with {@link Ring#F_DEMOTE}: each kind's protocol, and enqueues that demote the
 * slot lines they complete (CLDEMOTE) once the slots are written, before the tail is published.
 *
 * <p>Why classes of their own. C2 decides whether to inline a call from the profile of the method
 * that makes it, and a ring method's profile is shared by every ring in the JVM. When the demote
 * was a branch in the plain rings' copy, a JVM whose plain rings ran first saw that branch as rare
 * and left the demote a call, and ran its demoting rings ~0.1 ns a handle slower for its whole
 * life (about one JVM in three; docs/performance.md, "Demoting rings compiled alike in every
 * JVM"). Here only demoting rings build these methods' profiles, every call in them is
 * unconditional, and the routine is invoked through its method handle, which the JIT inlines
 * wherever it is reached. The plain classes stay final and keep their own code: making them the
 * demoting rings' superclass cost their single-core users ~5 % ({@code bench fwd}), so the
 * dequeues here repeat theirs.
 *
 * <p>This class and its routine are loaded by the first demoting ring only
 * ({@link Ring#create(String, int, boolean, boolean, int)} reaches them through {@link #create}),
 * so a JVM with plain rings alone neither builds the routine nor sees these subclasses.
 */
final class DemotingRings {
    private DemotingRings() {}

    /** The CLDEMOTE routine ({@link CacheLineDemote#handle()}); demoting rings are made only where it is active. */
    private static final MethodHandle ROUTINE = CacheLineDemote.handle();

    static Ring create(String name, int capacity, boolean singleProducer, boolean singleConsumer) {
        if (singleProducer) {
            return singleConsumer ? new Spsc(name, capacity) : new Spmc(name, capacity);
        }
        return singleConsumer ? new Mpsc(name, capacity) : new Mpmc(name, capacity);
    }

    /** How many slot lines {@code [head, head+n)} completes (counters wrap at 2^32). */
    static int filledLines(int head, int n) {
        return ((head + n) >>> 4) - (head >>> 4) & 0x0FFF_FFFF;
    }

    /** The slot index that starts the first line {@code [head, ...)} completes: head's own line. */
    static int firstFilledSlot(int head, int mask) {
        return head & ~(Ring.LINE_SLOTS - 1) & mask;
    }

    /**
     * Demotes the slot lines that {@code [head, head+n)} of {@code r} completes: those whose last
     * slot it wrote (slot 0 starts a line). Each line is completed by exactly one enqueue, so
     * multi producers need no shared state for it, and a line is demoted once, when nothing more
     * will be written to it before the consumer reads it. Lines that wrap past the ring's end are
     * the routine's second range.
     */
    static void demoteCompleted(Ring r, int head, int n) {
        int lines = filledLines(head, n);
        if (lines == 0) {
            return;
        }
        int first = firstFilledSlot(head, r.mask);
        int before = Math.min(lines, (r.capacity - first) / Ring.LINE_SLOTS);
        try {
            ROUTINE.invokeExact(r.base + 4L * first, (long) before, r.base, (long) (lines - before));
        } catch (Throwable t) {
            throw new IllegalStateException("ring " + r.name + ": cldemote: " + t, t);
        }
    }

    // ------------------------------------------------------------------ producers

    static int spEnqueue(Ring r, int[] src, int off, int n, boolean burst) {
        int head = r.prodHead;
        int k = r.spReserve(n, burst);
        r.copyIn(head, src, off, k); // k = 0 too: see Ring#copyIn
        demoteCompleted(r, head, k);
        if (k > 0) {
            r.spPublish(k);
        }
        return k;
    }

    static int mpEnqueue(Ring r, int[] src, int off, int n, boolean burst) {
        Ring.checkArgs(src, off, n);
        long res = n == 0 ? 0 : r.mpReserve(n, burst);
        int k = (int) res;
        int h = (int) (res >>> 32);
        r.copyIn(h, src, off, k); // k = 0 too: see Ring#copyIn
        demoteCompleted(r, h, k);
        if (k > 0) {
            r.mpPublish(h, k);
        }
        return k;
    }

    static boolean spEnqueueOne(Ring r, int handle) {
        int head = r.prodHead;
        int k = r.spReserve(1, false);
        if (k != 0) {
            r.put(head, handle);
        }
        demoteCompleted(r, head, k); // k = 0 too, so the call is as frequent as the enqueue: see Ring#copyIn
        if (k != 0) {
            r.spPublish(1);
        }
        return k != 0;
    }

    static boolean mpEnqueueOne(Ring r, int handle) {
        long res = r.mpReserve(1, false);
        int k = (int) res;
        int h = (int) (res >>> 32);
        if (k != 0) {
            r.put(h, handle);
        }
        demoteCompleted(r, h, k); // k = 0 too, as in spEnqueueOne
        if (k != 0) {
            r.mpPublish(h, 1);
        }
        return k != 0;
    }

    // ------------------------------------------------------------------ consumers (as the plain classes')

    static int scDequeue(Ring r, int[] dst, int off, int n, boolean burst) {
        int k = r.scReserve(n, burst);
        r.copyOut(r.consHead, dst, off, k);
        if (k > 0) {
            r.scRelease(k);
        }
        return k;
    }

    static int mcDequeue(Ring r, int[] dst, int off, int n, boolean burst) {
        Ring.checkArgs(dst, off, n);
        long res = n == 0 ? 0 : r.mcReserve(n, burst);
        int k = (int) res;
        int h = (int) (res >>> 32);
        r.copyOut(h, dst, off, k);
        if (k > 0) {
            r.mcRelease(h, k);
        }
        return k;
    }

    static int scDequeueOne(Ring r) {
        if (r.scReserve(1, false) == 0) {
            return Ring.EMPTY;
        }
        int v = r.get(r.consHead);
        r.scRelease(1);
        return v;
    }

    static int mcDequeueOne(Ring r) {
        long res = r.mcReserve(1, false);
        if ((int) res == 0) {
            return Ring.EMPTY;
        }
        int h = (int) (res >>> 32);
        int v = r.get(h);
        r.mcRelease(h, 1);
        return v;
    }

    // ------------------------------------------------------------------ the four kinds

    /** {@link SpscRing} with {@link Ring#F_DEMOTE}. */
    static final class Spsc extends Ring {
        Spsc(String name, int capacity) {
            super(name, capacity, true);
        }

        @Override public int enqueueBulk(int[] src, int off, int n) { return spEnqueue(this, src, off, n, false); }
        @Override public int enqueueBurst(int[] src, int off, int n) { return spEnqueue(this, src, off, n, true); }
        @Override public boolean enqueue(int handle) { return spEnqueueOne(this, handle); }
        @Override public int dequeueBulk(int[] dst, int off, int n) { return scDequeue(this, dst, off, n, false); }
        @Override public int dequeueBurst(int[] dst, int off, int n) { return scDequeue(this, dst, off, n, true); }
        @Override public int dequeue() { return scDequeueOne(this); }
    }

    /** {@link SpmcRing} with {@link Ring#F_DEMOTE}. */
    static final class Spmc extends Ring {
        Spmc(String name, int capacity) {
            super(name, capacity, true);
        }

        @Override public int enqueueBulk(int[] src, int off, int n) { return spEnqueue(this, src, off, n, false); }
        @Override public int enqueueBurst(int[] src, int off, int n) { return spEnqueue(this, src, off, n, true); }
        @Override public boolean enqueue(int handle) { return spEnqueueOne(this, handle); }
        @Override public int dequeueBulk(int[] dst, int off, int n) { return mcDequeue(this, dst, off, n, false); }
        @Override public int dequeueBurst(int[] dst, int off, int n) { return mcDequeue(this, dst, off, n, true); }
        @Override public int dequeue() { return mcDequeueOne(this); }
    }

    /** {@link MpscRing} with {@link Ring#F_DEMOTE}. */
    static final class Mpsc extends Ring {
        Mpsc(String name, int capacity) {
            super(name, capacity, true);
        }

        @Override public int enqueueBulk(int[] src, int off, int n) { return mpEnqueue(this, src, off, n, false); }
        @Override public int enqueueBurst(int[] src, int off, int n) { return mpEnqueue(this, src, off, n, true); }
        @Override public boolean enqueue(int handle) { return mpEnqueueOne(this, handle); }
        @Override public int dequeueBulk(int[] dst, int off, int n) { return scDequeue(this, dst, off, n, false); }
        @Override public int dequeueBurst(int[] dst, int off, int n) { return scDequeue(this, dst, off, n, true); }
        @Override public int dequeue() { return scDequeueOne(this); }
    }

    /** {@link MpmcRing} with {@link Ring#F_DEMOTE}. */
    static final class Mpmc extends Ring {
        Mpmc(String name, int capacity) {
            super(name, capacity, true);
        }

        @Override public int enqueueBulk(int[] src, int off, int n) { return mpEnqueue(this, src, off, n, false); }
        @Override public int enqueueBurst(int[] src, int off, int n) { return mpEnqueue(this, src, off, n, true); }
        @Override public boolean enqueue(int handle) { return mpEnqueueOne(this, handle); }
        @Override public int dequeueBulk(int[] dst, int off, int n) { return mcDequeue(this, dst, off, n, false); }
        @Override public int dequeueBurst(int[] dst, int off, int n) { return mcDequeue(this, dst, off, n, true); }
        @Override public int dequeue() { return mcDequeueOne(this); }
    }
}
