package io.havnet.nic.l2;

import java.util.Arrays;

/**
 * An immutable open-addressing map from 48-bit MAC to a 64-bit pool mask: the receive address
 * registers (RAR) with their pool select bits (MPSAR), laid out for one probe sequence per
 * lookup without objects.
 */
final class MacTable {
    private static final long EMPTY = -1L;
    private final long[] keys;
    private final long[] masks;
    private final int mask;

    MacTable(long[] macs, long[] poolMasks, int n) {
        int cap = Integer.highestOneBit(Math.max(4, n * 2 - 1)) << 1;
        keys = new long[cap];
        masks = new long[cap];
        mask = cap - 1;
        Arrays.fill(keys, EMPTY);
        for (int i = 0; i < n; i++) {
            int s = slot(macs[i]);
            while (keys[s] != EMPTY && keys[s] != macs[i]) {
                s = (s + 1) & mask;
            }
            keys[s] = macs[i];
            masks[s] |= poolMasks[i];
        }
    }

    private int slot(long mac) {
        return (int) ((mac * 0x9E3779B97F4A7C15L) >>> 40) & mask;
    }

    /** Pools whose filters hold {@code mac}, or 0. */
    long get(long mac) {
        int s = slot(mac);
        while (true) {
            long k = keys[s];
            if (k == mac) {
                return masks[s];
            }
            if (k == EMPTY) {
                return 0;
            }
            s = (s + 1) & mask;
        }
    }
}
