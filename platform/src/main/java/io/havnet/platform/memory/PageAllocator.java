package io.havnet.platform.memory;

import java.util.BitSet;

/**
 * Hands out host physical pages: 2 MiB blocks, runs of contiguous 2 MiB blocks (for VM RAM),
 * and 4 KiB pages carved from blocks kept for that purpose. Page addresses are HPAs.
 * Thread-safe (synchronized): allocation happens on control paths only.
 */
public final class PageAllocator {
    public static final long PAGE_4K = 4096;
    public static final long PAGE_2M = 2L << 20;
    private static final int PAGES_PER_BLOCK = 512;

    private final long base;
    private final int blocks;
    private final BitSet usedBlocks;          // block fully handed out (as 2M or as a 4K block)
    private final BitSet smallBlocks;         // blocks split into 4K pages
    private final BitSet usedSmall;           // 4K pages in use, indexed block * 512 + page
    private final int[] smallUsed;            // 4K pages in use per small block
    private long used4k;
    private long used2m;

    public PageAllocator(long baseHpa, long size) {
        if (baseHpa % PAGE_2M != 0 || size % PAGE_2M != 0 || size <= 0) {
            throw new IllegalArgumentException("page allocator needs a 2 MiB aligned range");
        }
        this.base = baseHpa;
        this.blocks = (int) (size / PAGE_2M);
        this.usedBlocks = new BitSet(blocks);
        this.smallBlocks = new BitSet(blocks);
        this.usedSmall = new BitSet(blocks * PAGES_PER_BLOCK);
        this.smallUsed = new int[blocks];
    }

    /** One 2 MiB page; IllegalStateException naming what is left when none is free. */
    public synchronized long allocate2m() {
        return allocate2m(1);
    }

    /** {@code count} physically contiguous 2 MiB pages; returns the first HPA. */
    public synchronized long allocate2m(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("count must be positive");
        }
        int start = 0;
        while (true) {
            int first = usedBlocks.nextClearBit(start);
            if (first + count > blocks) {
                throw new IllegalStateException("host memory exhausted: " + count + " contiguous 2 MiB pages asked, "
                        + freeBytes() / PAGE_2M + " free 2 MiB pages in all");
            }
            int nextUsed = usedBlocks.nextSetBit(first);
            if (nextUsed < 0 || nextUsed >= first + count) {
                usedBlocks.set(first, first + count);
                used2m += count;
                return base + first * PAGE_2M;
            }
            start = nextUsed + 1;
        }
    }

    /** One 4 KiB page. */
    public synchronized long allocate4k() {
        for (int b = smallBlocks.nextSetBit(0); b >= 0; b = smallBlocks.nextSetBit(b + 1)) {
            if (smallUsed[b] < PAGES_PER_BLOCK) {
                return take4k(b);
            }
        }
        int b = usedBlocks.nextClearBit(0);
        if (b >= blocks) {
            throw new IllegalStateException("host memory exhausted: no free 4 KiB page");
        }
        usedBlocks.set(b);
        smallBlocks.set(b);
        return take4k(b);
    }

    private long take4k(int block) {
        int from = block * PAGES_PER_BLOCK;
        int p = usedSmall.nextClearBit(from);
        usedSmall.set(p);
        smallUsed[block]++;
        used4k++;
        return base + block * PAGE_2M + (long) (p - from) * PAGE_4K;
    }

    /** Returns {@code count} contiguous 2 MiB pages starting at {@code hpa}. */
    public synchronized void free2m(long hpa, int count) {
        int b = blockOf(hpa);
        for (int i = b; i < b + count; i++) {
            if (!usedBlocks.get(i) || smallBlocks.get(i)) {
                throw new IllegalStateException(String.format("free of 2 MiB page 0x%x that is not allocated as one",
                        base + i * PAGE_2M));
            }
        }
        usedBlocks.clear(b, b + count);
        used2m -= count;
    }

    /** Returns a 4 KiB page. */
    public synchronized void free4k(long hpa) {
        int b = blockOf(hpa);
        int p = b * PAGES_PER_BLOCK + (int) ((hpa - base) % PAGE_2M / PAGE_4K);
        if (!smallBlocks.get(b) || !usedSmall.get(p)) {
            throw new IllegalStateException(String.format("free of 4 KiB page 0x%x that is not allocated", hpa));
        }
        usedSmall.clear(p);
        used4k--;
        if (--smallUsed[b] == 0) {
            smallBlocks.clear(b);
            usedBlocks.clear(b);
        }
    }

    private int blockOf(long hpa) {
        long off = hpa - base;
        if (off < 0 || off >= blocks * PAGE_2M) {
            throw new IllegalArgumentException(String.format("HPA 0x%x is outside host memory", hpa));
        }
        return (int) (off / PAGE_2M);
    }

    /** Bytes not handed out (free 2 MiB blocks plus free 4 KiB pages of split blocks). */
    public synchronized long freeBytes() {
        long freeBlocks = blocks - usedBlocks.cardinality();
        long freeSmall = (long) smallBlocks.cardinality() * PAGES_PER_BLOCK - used4k;
        return freeBlocks * PAGE_2M + freeSmall * PAGE_4K;
    }

    public synchronized long used4kPages() {
        return used4k;
    }

    public synchronized long used2mPages() {
        return used2m;
    }

    public long totalBytes() {
        return blocks * PAGE_2M;
    }
}
