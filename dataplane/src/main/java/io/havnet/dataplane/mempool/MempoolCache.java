package io.havnet.dataplane.mempool;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A per-lcore stack of free handles in front of a mempool's common ring ({@code
 * rte_mempool_cache}): gets and puts of one lcore stay in its own cache lines and only refill or
 * flush the shared ring in bulk. Used by one thread only; {@link #length()} may be read by others.
 */
public final class MempoolCache {
    private static final VarHandle LEN;

    static {
        try {
            LEN = MethodHandles.lookup().findVarHandle(MempoolCache.class, "len", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final int size;
    final int flushThreshold;
    final int[] objs;
    int len;

    MempoolCache(int size) {
        this.size = size;
        this.flushThreshold = size + size / 2; // DPDK: 1.5 × size
        this.objs = new int[3 * size + 1];
    }

    /** Handles held now (approximate when read from another thread). */
    public int length() {
        return (int) LEN.getOpaque(this);
    }

    void setLen(int v) {
        LEN.setOpaque(this, v);
    }
}
