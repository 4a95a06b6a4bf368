package io.havnet.dataplane.agent;

import java.util.BitSet;

/**
 * Logical core ids, as DPDK's {@code rte_lcore_id()}: each thread that runs the data path owns a
 * unique id in {@code [0, MAX)}, and per-lcore state (mempool caches) is indexed by it. A thread
 * without an id ({@link #ANY}) still works; it just uses no per-lcore cache.
 */
public final class LcoreId {
    /** Maximum number of lcore ids. */
    public static final int MAX = 128;
    /** The id of a thread that holds none ({@code LCORE_ID_ANY}). */
    public static final int ANY = -1;

    private static final BitSet USED = new BitSet(MAX);
    private static final ThreadLocal<int[]> CURRENT = ThreadLocal.withInitial(() -> new int[] {ANY});

    private LcoreId() {}

    /** The calling thread's lcore id, or {@link #ANY}. */
    public static int current() {
        return CURRENT.get()[0];
    }

    /**
     * Gives the calling thread a free lcore id (the lowest one), unless it already has one.
     *
     * @return the id, or {@link #ANY} if all {@link #MAX} are taken
     */
    public static int acquire() {
        int[] cur = CURRENT.get();
        if (cur[0] != ANY) {
            return cur[0];
        }
        synchronized (USED) {
            int id = USED.nextClearBit(0);
            if (id >= MAX) {
                return ANY;
            }
            USED.set(id);
            cur[0] = id;
            return id;
        }
    }

    /** Gives the calling thread exactly {@code id}; fails if another thread holds it. */
    public static void acquire(int id) {
        if (id < 0 || id >= MAX) {
            throw new IllegalArgumentException("lcore id " + id + " out of range [0, " + MAX + ")");
        }
        int[] cur = CURRENT.get();
        if (cur[0] == id) {
            return;
        }
        if (cur[0] != ANY) {
            throw new IllegalStateException("thread already holds lcore id " + cur[0]);
        }
        synchronized (USED) {
            if (USED.get(id)) {
                throw new IllegalStateException("lcore id " + id + " is in use by another thread");
            }
            USED.set(id);
            cur[0] = id;
        }
    }

    /** Returns the calling thread's id (if any) to the free set. */
    public static void release() {
        int[] cur = CURRENT.get();
        if (cur[0] == ANY) {
            return;
        }
        synchronized (USED) {
            USED.clear(cur[0]);
        }
        cur[0] = ANY;
    }
}
