package io.havnet.nic.l2;

/**
 * An immutable open-addressing map from 48-bit MAC to a 64-bit pool mask: the receive address
 * registers (RAR) with their pool select bits (MPSAR), laid out for one probe sequence per
 * lookup without objects.
 */
final class MacTable {
    private static final long EMPTY = -1L;
    /** Key and pool mask of each slot side by side (a lookup reads one cache line, not two arrays). */
    private final long[] slots;
    private final int mask;

    MacTable(long[] macs, long[] poolMasks, int n) {
        int cap = Integer.highestOneBit(Math.max(4, n * 2 - 1)) << 1;
        slots = new long[cap * 2];
        mask = cap - 1;
        for (int s = 0; s < cap; s++) {
            slots[2 * s] = EMPTY;
        }
        for (int i = 0; i < n; i++) {
            int s = slot(macs[i]);
            while (slots[2 * s] != EMPTY && slots[2 * s] != macs[i]) {
                s = (s + 1) & mask;
            }
            slots[2 * s] = macs[i];
            slots[2 * s + 1] |= poolMasks[i];
        }
    }

    private int slot(long mac) {
        return (int) ((mac * 0x9E3779B97F4A7C15L) >>> 40) & mask;
    }

    /** Pools whose filters hold {@code mac}, or 0. */
    long get(long mac) {
        long[] a = slots;
        int s = slot(mac);
        while (true) {
            long k = a[2 * s];
            if (k == mac) {
                return a[2 * s + 1];
            }
            if (k == EMPTY) {
                return 0;
            }
            s = (s + 1) & mask;
        }
    }
}
