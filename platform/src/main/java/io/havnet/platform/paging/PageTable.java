package io.havnet.platform.paging;

import io.havnet.platform.memory.HostMemory;
import io.havnet.platform.memory.PageAllocator;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;

/**
 * A 4-level radix page table kept in host memory, in the format Intel uses both for EPT and for
 * VT-d second-level translation (Intel SDM vol. 3 §29.3.2; VT-d spec §9.8):
 * <pre>
 *  IOVA/GPA bits 47..39 → level 4 index, 38..30 → level 3, 29..21 → level 2, 20..12 → level 1
 *  entry (8 bytes):  bit 0 R  | bit 1 W | bit 2 X (EPT) | bit 7 PS (2 MiB page at level 2)
 *                    bits 51..12 address of the next table or of the page
 * </pre>
 * 4 KiB and 2 MiB mappings. Table pages come from the host's {@link PageAllocator} and are
 * returned by {@link #destroy()}. Entries are written with release and read with acquire, so a
 * concurrent walker (a DMA engine) sees either the old or the complete new mapping.
 */
public final class PageTable {
    public static final long READ = 1L;
    public static final long WRITE = 1L << 1;
    public static final long EXEC = 1L << 2;
    public static final long PAGE_SIZE_BIT = 1L << 7;
    public static final long ADDR_MASK = 0x000F_FFFF_FFFF_F000L;
    public static final long PERM_MASK = READ | WRITE | EXEC;
    /** Addresses are 48 bits wide. */
    public static final long MAX_ADDRESS = (1L << 48) - 1;

    private static final VarHandle ENTRY = ValueLayout.JAVA_LONG.varHandle();

    private final HostMemory mem;
    private final MemorySegment seg;
    private final long root;
    private final List<Long> tables = new ArrayList<>();

    public PageTable(HostMemory mem) {
        this.mem = mem;
        this.seg = mem.segment();
        this.root = newTable();
    }

    private long newTable() {
        long page = mem.pages().allocate4k();
        seg.asSlice(page, PageAllocator.PAGE_4K).fill((byte) 0);
        tables.add(page);
        return page;
    }

    /** HPA of the level-4 table (what a VMCS's EPTP or a VT-d context entry points at). */
    public long rootHpa() {
        return root;
    }

    /** Table pages in use. */
    public synchronized int tablePages() {
        return tables.size();
    }

    private static int index(long addr, int level) {
        return (int) (addr >>> (12 + 9 * (level - 1)) & 0x1FF);
    }

    private long load(long tableHpa, int idx) {
        return (long) ENTRY.getAcquire(seg, tableHpa + 8L * idx);
    }

    private void store(long tableHpa, int idx, long entry) {
        ENTRY.setRelease(seg, tableHpa + 8L * idx, entry);
    }

    /**
     * Maps {@code size} bytes (4 KiB or 2 MiB, aligned) at {@code addr} to {@code hpa} with
     * {@code perms} ({@link #READ} | {@link #WRITE} | {@link #EXEC}).
     *
     * @throws IllegalStateException when any part of the range is already mapped
     */
    public synchronized void map(long addr, long hpa, long size, long perms) {
        checkRange(addr, hpa, size);
        if ((perms & ~PERM_MASK) != 0 || perms == 0) {
            throw new IllegalArgumentException("bad permissions " + perms);
        }
        int leafLevel = size == PageAllocator.PAGE_2M ? 2 : 1;
        long table = root;
        for (int level = 4; level > leafLevel; level--) {
            int idx = index(addr, level);
            long e = load(table, idx);
            if ((e & PERM_MASK) == 0) {
                long next = newTable();
                store(table, idx, next | READ | WRITE | EXEC);
                table = next;
            } else if ((e & PAGE_SIZE_BIT) != 0) {
                throw new IllegalStateException(String.format("0x%x is already mapped by a 2 MiB page", addr));
            } else {
                table = e & ADDR_MASK;
            }
        }
        int idx = index(addr, leafLevel);
        long e = load(table, idx);
        if ((e & PERM_MASK) != 0) {
            throw new IllegalStateException(String.format("0x%x is already mapped", addr));
        }
        store(table, idx, hpa | perms | (leafLevel == 2 ? PAGE_SIZE_BIT : 0));
    }

    /** Removes the {@code size} mapping at {@code addr}; IllegalStateException if there is none. */
    public synchronized void unmap(long addr, long size) {
        checkRange(addr, 0, size);
        int leafLevel = size == PageAllocator.PAGE_2M ? 2 : 1;
        long table = root;
        for (int level = 4; level > leafLevel; level--) {
            long e = load(table, index(addr, level));
            if ((e & PERM_MASK) == 0 || (e & PAGE_SIZE_BIT) != 0) {
                throw new IllegalStateException(String.format("0x%x is not mapped with a %s page", addr,
                        leafLevel == 2 ? "2 MiB" : "4 KiB"));
            }
            table = e & ADDR_MASK;
        }
        int idx = index(addr, leafLevel);
        long e = load(table, idx);
        if ((e & PERM_MASK) == 0 || ((e & PAGE_SIZE_BIT) != 0) != (leafLevel == 2)) {
            throw new IllegalStateException(String.format("0x%x is not mapped with a %s page", addr,
                    leafLevel == 2 ? "2 MiB" : "4 KiB"));
        }
        store(table, idx, 0L);
    }

    /**
     * Walks the table for {@code addr}.
     *
     * @return the leaf entry (with {@link #PAGE_SIZE_BIT} set for a 2 MiB page), or 0 when not mapped
     */
    public long walk(long addr) {
        if (addr < 0 || addr > MAX_ADDRESS) {
            return 0;
        }
        long table = root;
        for (int level = 4; level >= 1; level--) {
            long e = load(table, index(addr, level));
            if ((e & PERM_MASK) == 0) {
                return 0;
            }
            if (level == 1 || (level == 2 && (e & PAGE_SIZE_BIT) != 0)) {
                return e;
            }
            table = e & ADDR_MASK;
        }
        return 0;
    }

    /** The HPA of {@code addr} under leaf entry {@code entry}. */
    public static long translate(long entry, long addr) {
        long size = pageSize(entry);
        return (entry & ADDR_MASK & -size) + (addr & (size - 1));
    }

    /** 4 KiB or 2 MiB, from a leaf entry. */
    public static long pageSize(long entry) {
        return (entry & PAGE_SIZE_BIT) != 0 ? PageAllocator.PAGE_2M : PageAllocator.PAGE_4K;
    }

    /** Returns every table page to the allocator; the table must not be used afterwards. */
    public synchronized void destroy() {
        for (long t : tables) {
            mem.pages().free4k(t);
        }
        tables.clear();
    }

    private void checkRange(long addr, long hpa, long size) {
        if (size != PageAllocator.PAGE_4K && size != PageAllocator.PAGE_2M) {
            throw new IllegalArgumentException("page size must be 4 KiB or 2 MiB, got " + size);
        }
        if (addr % size != 0 || hpa % size != 0) {
            throw new IllegalArgumentException(String.format("0x%x -> 0x%x is not %s aligned", addr, hpa,
                    size == PageAllocator.PAGE_2M ? "2 MiB" : "4 KiB"));
        }
        if (addr < 0 || addr + size - 1 > MAX_ADDRESS) {
            throw new IllegalArgumentException(String.format("address 0x%x beyond 48 bits", addr));
        }
        if (hpa < 0 || hpa + size > mem.size()) {
            throw new IllegalArgumentException(String.format("HPA 0x%x is outside host memory", hpa));
        }
    }
}
