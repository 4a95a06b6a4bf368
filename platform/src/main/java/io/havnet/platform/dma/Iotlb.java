package io.havnet.platform.dma;

/**
 * Translation caches of leaf page-table entries, one set per DMA engine (like a device's ATC):
 * a direct-mapped array for 4 KiB pages and a separate one for 2 MiB pages, as CPUs and IOMMUs
 * keep separate TLBs per page size — so streams of small pages never evict large ones. Entries
 * are tagged with domain id, page number and the domain's invalidation generation: an
 * invalidation (a generation bump) makes old entries miss without touching them. One thread only.
 */
final class Iotlb {
    private final Way small;
    private final Way large;
    long hits;
    long misses;

    Iotlb(int entries) {
        if (Integer.bitCount(entries) != 1 || entries < 4) {
            throw new IllegalArgumentException("IOTLB size must be a power of two >= 4");
        }
        this.small = new Way(entries);
        this.large = new Way(entries / 4);
    }

    /** The cached leaf entry for {@code iova}, or 0 on a miss. */
    long lookup(int domain, int generation, long iova) {
        long e = probe(domain, generation, iova);
        if (e != 0) {
            hits++;
        } else {
            misses++;
        }
        return e;
    }

    /** {@link #lookup} without counting: for prefetches, which are not accesses. */
    long probe(int domain, int generation, long iova) {
        long e = large.get(domain, generation, iova >>> 21);
        return e != 0 ? e : small.get(domain, generation, iova >>> 12);
    }

    void insert(int domain, int generation, long iova, long entry, boolean twoMeg) {
        if (twoMeg) {
            large.put(domain, generation, iova >>> 21, entry);
        } else {
            small.put(domain, generation, iova >>> 12, entry);
        }
    }

    /**
     * One direct-mapped array. An entry's tag (page number; domain and generation) and its leaf
     * entry sit side by side in one {@code long[]}, four words per slot, so a lookup reads one
     * cache line rather than one line in each of four arrays.
     */
    private static final class Way {
        private static final int STRIDE = 4; // vpn, domain << 32 | generation, entry, unused
        private final int mask;
        private final long[] slots;

        Way(int n) {
            mask = n - 1;
            slots = new long[n * STRIDE];
            for (int i = 0; i < slots.length; i += STRIDE) {
                slots[i] = -1L; // no page number: empty
            }
        }

        private int slot(long vpn, int domain) {
            return (int) ((vpn ^ (long) domain * 0x9E3779B1L) & mask) * STRIDE;
        }

        private static long owner(int domain, int generation) {
            return (long) domain << 32 | Integer.toUnsignedLong(generation);
        }

        long get(int domain, int generation, long vpn) {
            int s = slot(vpn, domain);
            long[] a = slots;
            return a[s] == vpn && a[s + 1] == owner(domain, generation) ? a[s + 2] : 0;
        }

        void put(int domain, int generation, long vpn, long entry) {
            int s = slot(vpn, domain);
            slots[s] = vpn;
            slots[s + 1] = owner(domain, generation);
            slots[s + 2] = entry;
        }
    }
}
