package io.havnet.dataplane.ring;

/** Single producer, multi consumer ({@code RING_F_SP_ENQ}). */
public final class SpmcRing extends Ring {
    public SpmcRing(String name, int capacity) {
        super(name, capacity, false);
    }

    @Override
    public int enqueueBulk(int[] src, int off, int n) {
        return enqueue(src, off, n, false);
    }

    @Override
    public int enqueueBurst(int[] src, int off, int n) {
        return enqueue(src, off, n, true);
    }

    @Override
    public int dequeueBulk(int[] dst, int off, int n) {
        return dequeue(dst, off, n, false);
    }

    @Override
    public int dequeueBurst(int[] dst, int off, int n) {
        return dequeue(dst, off, n, true);
    }

    @Override
    public boolean enqueue(int handle) {
        if (spReserve(1, false) == 0) {
            return false;
        }
        put(prodHead, handle);
        spPublish(1);
        return true;
    }

    @Override
    public int dequeue() {
        long r = mcReserve(1, false);
        if ((int) r == 0) {
            return EMPTY;
        }
        int h = (int) (r >>> 32);
        int v = get(h);
        mcRelease(h, 1);
        return v;
    }

    private int enqueue(int[] src, int off, int n, boolean burst) {
        int k = spReserve(n, burst);
        copyIn(prodHead, src, off, k); // k = 0 too: see copyIn
        if (k > 0) {
            spPublish(k);
        }
        return k;
    }

    private int dequeue(int[] dst, int off, int n, boolean burst) {
        checkArgs(dst, off, n);
        long r = n == 0 ? 0 : mcReserve(n, burst);
        int k = (int) r;
        int h = (int) (r >>> 32);
        copyOut(h, dst, off, k); // k = 0 too: see copyIn
        if (k > 0) {
            mcRelease(h, k);
        }
        return k;
    }
}
