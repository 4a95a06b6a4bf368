package io.havnet.dataplane.ring;

/** Multi producer, multi consumer: {@code rte_ring}'s default mode. */
public final class MpmcRing extends Ring {
    public MpmcRing(String name, int capacity) {
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
        long r = mpReserve(1, false);
        if ((int) r == 0) {
            return false;
        }
        int h = (int) (r >>> 32);
        put(h, handle);
        mpPublish(h, 1);
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
        checkArgs(src, off, n);
        long r = n == 0 ? 0 : mpReserve(n, burst);
        int k = (int) r;
        int h = (int) (r >>> 32);
        copyIn(h, src, off, k); // k = 0 too: see copyIn
        if (k > 0) {
            mpPublish(h, k);
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
