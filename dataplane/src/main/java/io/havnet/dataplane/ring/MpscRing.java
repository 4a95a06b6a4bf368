package io.havnet.dataplane.ring;

/** Multi producer, single consumer ({@code RING_F_SC_DEQ}). */
public final class MpscRing extends Ring {
    public MpscRing(String name, int capacity) {
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
        if (scReserve(1, false) == 0) {
            return EMPTY;
        }
        int v = get(consHead);
        scRelease(1);
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
        int k = scReserve(n, burst);
        copyOut(consHead, dst, off, k); // k = 0 too: see copyIn
        if (k > 0) {
            scRelease(k);
        }
        return k;
    }
}
