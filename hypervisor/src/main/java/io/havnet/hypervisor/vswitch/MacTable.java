package io.havnet.hypervisor.vswitch;

/**
 * The vSwitch's forwarding database: (VLAN, MAC) → port, learned from source addresses and aged
 * out, in primitive arrays with linear probing (no object per entry). Used by the switch's
 * thread only.
 */
final class MacTable {
    private static final long EMPTY = -1L;
    private final long[] keys;
    private final int[] ports;
    private final long[] seen;
    private final int mask;
    private final int limit;
    private int size;

    MacTable(int capacity) {
        int cap = Integer.highestOneBit(Math.max(16, capacity * 2 - 1)) << 1;
        keys = new long[cap];
        ports = new int[cap];
        seen = new long[cap];
        mask = cap - 1;
        limit = capacity;
        java.util.Arrays.fill(keys, EMPTY);
    }

    static long key(int vid, long mac) {
        return (long) vid << 48 | mac;
    }

    private int slot(long key) {
        return (int) ((key * 0x9E3779B97F4A7C15L) >>> 40) & mask;
    }

    /** The port of (vid, mac) if learned and not older than {@code maxAge}; else -1. */
    int lookup(long key, long now, long maxAge) {
        int s = slot(key);
        while (true) {
            long k = keys[s];
            if (k == key) {
                return seen[s] == STATIC || now - seen[s] <= maxAge ? ports[s] : -1;
            }
            if (k == EMPTY) {
                return -1;
            }
            s = (s + 1) & mask;
        }
    }

    /** Learns or refreshes (vid, mac) on {@code port}; returns false when the table is full. */
    boolean learn(long key, int port, long now) {
        int s = slot(key);
        while (true) {
            long k = keys[s];
            if (k == key) {
                if (seen[s] != STATIC || now == STATIC) { // a learned address never overrides a VM's own
                    ports[s] = port;
                    seen[s] = now;
                }
                return true;
            }
            if (k == EMPTY) {
                if (size >= limit) {
                    return false;
                }
                keys[s] = key;
                ports[s] = port;
                seen[s] = now;
                size++;
                return true;
            }
            s = (s + 1) & mask;
        }
    }

    /** A static entry (a VM's own MAC, known to the hypervisor): never ages, only removed with its port. */
    boolean learnStatic(long key, int port) {
        return learn(key, port, STATIC);
    }

    static final long STATIC = Long.MAX_VALUE;

    /** Removes one entry (static or learned); rebuilds in place. */
    void remove(long key) {
        long[] k = keys.clone();
        int[] p = ports.clone();
        long[] t = seen.clone();
        java.util.Arrays.fill(keys, EMPTY);
        size = 0;
        for (int i = 0; i < k.length; i++) {
            if (k[i] != EMPTY && k[i] != key) {
                learn(k[i], p[i], t[i]);
            }
        }
    }

    /** Drops entries older than {@code maxAge} (and every entry of {@code port} when it is >= 0). Rebuilds in place. */
    int expire(long now, long maxAge, int port) {
        long[] k = keys.clone();
        int[] p = ports.clone();
        long[] t = seen.clone();
        java.util.Arrays.fill(keys, EMPTY);
        int before = size;
        size = 0;
        for (int i = 0; i < k.length; i++) {
            if (k[i] != EMPTY && (t[i] == STATIC || now - t[i] <= maxAge) && p[i] != port) {
                learn(k[i], p[i], t[i]);
            }
        }
        return before - size;
    }

    int size() {
        return size;
    }
}
