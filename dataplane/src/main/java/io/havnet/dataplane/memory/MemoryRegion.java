package io.havnet.dataplane.memory;

import io.havnet.dataplane.os.Libc;
import io.havnet.dataplane.os.Mman;
import io.havnet.dataplane.os.Notices;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A block of off-heap memory that devices can reach: 2 MiB aligned, backed by hugetlb pages
 * when the host has reserved some, and carrying an IOVA base so that any address inside it
 * maps to the I/O virtual address a device must DMA to ({@link #iova(long)}), as with DPDK's
 * memsegs.
 *
 * <p>Addresses ({@code addr}) are process virtual addresses, like DPDK's {@code buf_addr};
 * offsets are relative to {@link #segment()}. A region can also wrap memory that belongs to
 * someone else (a VM's guest RAM, see {@link #wrap}), in which case closing it frees nothing.
 *
 * <p>Mempools reach their elements by raw address ({@link OffHeap#ALL}), unchecked, so they must
 * not outlive the memory: every pool built on a region is {@linkplain #track tracked} by the
 * memory's owner, and closing the owner closes those pools before it frees the memory — their
 * handles then lead nowhere instead of into freed memory. Data paths stop before that.
 *
 * <p>Space inside a region is handed out by {@link #allocate(long, long)}, a bump allocator:
 * mempools, rings and descriptor tables are created once and live as long as the region.
 */
public final class MemoryRegion implements AutoCloseable {
    public static final long PAGE_2M = 2L << 20;
    public static final long PAGE_4K = 4096;

    private final String name;
    private final MemorySegment segment;
    private final Arena arena;          // null when wrapping memory owned elsewhere
    private final long iovaBase;
    private final boolean hugePages;
    /** What lives in the memory and must close before it is freed; shared by views of one memory. */
    private final Set<AutoCloseable> tenants;
    private long next;                  // bump pointer, guarded by this

    private MemoryRegion(String name, MemorySegment segment, Arena arena, long iovaBase, boolean hugePages,
                         Set<AutoCloseable> tenants) {
        this.name = name;
        this.segment = segment;
        this.arena = arena;
        this.iovaBase = iovaBase;
        this.hugePages = hugePages;
        this.tenants = tenants;
    }

    /** Allocates {@code size} bytes (rounded up to 2 MiB) with {@link HugePagePolicy#AUTO}; IOVA = VA. */
    public static MemoryRegion allocate(String name, long size) {
        return allocate(name, size, HugePagePolicy.AUTO);
    }

    /**
     * Allocates {@code size} bytes rounded up to a 2 MiB multiple. The IOVA of each byte is its
     * virtual address (DPDK's IOVA-as-VA mode); platform memory sets its own base with {@link #wrap}.
     */
    public static MemoryRegion allocate(String name, long size, HugePagePolicy policy) {
        if (size <= 0) {
            throw new IllegalArgumentException("memory region " + name + ": size must be positive, got " + size);
        }
        long length = alignUp(size, PAGE_2M);
        Arena arena = Arena.ofShared();
        if (policy != HugePagePolicy.NEVER) {
            String refused = hugetlbUnavailableReason();
            if (refused == null) {
                Mman.Mapping m = Mman.mapAnonymous(length, Libc.MAP_HUGETLB | Libc.MAP_POPULATE);
                if (m.ok()) {
                    long addr = m.address();
                    MemorySegment seg = MemorySegment.ofAddress(addr)
                            .reinterpret(length, arena, s -> Mman.unmap(addr, length));
                    return new MemoryRegion(name, seg, arena, addr, true, new LinkedHashSet<>());
                }
                refused = "mmap(MAP_HUGETLB, " + (length >> 20) + " MiB): " + Libc.describe(m.errno());
            }
            if (policy == HugePagePolicy.REQUIRE) {
                arena.close();
                throw new IllegalStateException("memory region " + name + ": huge pages required but " + refused);
            }
            Notices.once("hugepages", "huge pages unavailable (" + refused
                    + "); using normal pages, 2 MiB aligned. Reserve some with: echo 512 > /proc/sys/vm/nr_hugepages");
        }
        MemorySegment seg = arena.allocate(length, PAGE_2M);
        return new MemoryRegion(name, seg, arena, seg.address(), false, new LinkedHashSet<>());
    }

    /**
     * A region over memory owned elsewhere (a slice of host physical memory, a VM's RAM), whose
     * first byte has IOVA {@code iovaBase}. Closing it does not free the memory.
     */
    public static MemoryRegion wrap(String name, MemorySegment segment, long iovaBase) {
        return new MemoryRegion(name, segment, null, iovaBase, false, new LinkedHashSet<>());
    }

    /**
     * A region over {@code length} bytes at {@code offset} of this one, whose first byte has IOVA
     * {@code iovaBase}, with its own {@link #allocate} state. Closing it frees nothing; closing the
     * region that owns the memory also closes the pools built on the slice.
     */
    public MemoryRegion slice(String name, long offset, long length, long iovaBase) {
        return new MemoryRegion(name, segment.asSlice(offset, length), null, iovaBase, false, tenants);
    }

    /**
     * The same memory with another IOVA base — IOVA-as-PA, for instance, where the platform's
     * physical memory starts at 0. The new region owns the memory (closing it frees it) and
     * has its own, empty, {@link #allocate} state: use one of the two for allocation.
     */
    public MemoryRegion withIovaBase(long base) {
        return new MemoryRegion(name, segment, arena, base, hugePages, tenants);
    }

    /** Why hugetlb mapping will not work here, or null when it may. */
    static String hugetlbUnavailableReason() {
        if (!Libc.LINUX) {
            return "hugetlb needs Linux";
        }
        if (!Mman.supported()) {
            return "mmap is not callable";
        }
        return null;
    }

    public String name() {
        return name;
    }

    /** The whole region; offsets passed to {@link #allocate} results are relative to it. */
    public MemorySegment segment() {
        return segment;
    }

    public long size() {
        return segment.byteSize();
    }

    /** Process virtual address of the region's first byte. */
    public long baseAddress() {
        return segment.address();
    }

    /** IOVA of the region's first byte. */
    public long iovaBase() {
        return iovaBase;
    }

    /** True when backed by hugetlb pages. */
    public boolean hugePages() {
        return hugePages;
    }

    /** The IOVA a device must use to reach virtual address {@code addr} of this region. */
    public long iova(long addr) {
        long off = addr - segment.address();
        if (off < 0 || off >= segment.byteSize()) {
            throw new IllegalArgumentException(String.format(
                    "address 0x%x is outside memory region %s [0x%x, +0x%x)", addr, name, segment.address(),
                    segment.byteSize()));
        }
        return iovaBase + off;
    }

    /** The IOVA of byte {@code offset} of {@link #segment()}. */
    public long iovaOfOffset(long offset) {
        return iovaBase + offset;
    }

    /** The offset inside {@link #segment()} of {@code iova}, or -1 when the IOVA is not in this region. */
    public long offsetOfIova(long iova) {
        long off = iova - iovaBase;
        return off < 0 || off >= segment.byteSize() ? -1 : off;
    }

    /**
     * Reserves {@code size} bytes aligned to {@code align} (a power of two) and returns their offset.
     *
     * @throws IllegalStateException when the region has no room left
     */
    public synchronized long allocate(long size, long align) {
        if (size <= 0 || Long.bitCount(align) != 1) {
            throw new IllegalArgumentException("allocate: bad size " + size + " or alignment " + align);
        }
        // align the absolute address so that hardware-visible structures meet their alignment
        long base = segment.address();
        long off = alignUp(base + next, align) - base;
        if (off + size > segment.byteSize()) {
            throw new IllegalStateException(String.format(
                    "memory region %s is full: %d bytes asked, %d of %d free", name, size,
                    segment.byteSize() - next, segment.byteSize()));
        }
        next = off + size;
        return off;
    }

    /** Bytes not yet handed out by {@link #allocate}. */
    public synchronized long free() {
        return segment.byteSize() - next;
    }

    /**
     * Registers what lives in this memory and reaches it unchecked (a mempool): the owner of the
     * memory closes it before freeing the memory.
     */
    public void track(AutoCloseable tenant) {
        synchronized (tenants) {
            tenants.add(tenant);
        }
    }

    /** {@code tenant} closed on its own: nothing to close for it any more. */
    public void untrack(AutoCloseable tenant) {
        synchronized (tenants) {
            tenants.remove(tenant);
        }
    }

    /**
     * Frees the memory if this region owns it, after closing every pool that lives in it (on this
     * region, a view or a slice of it). Segments derived from it become unusable.
     */
    @Override
    public void close() {
        if (arena == null || !arena.scope().isAlive()) {
            return;
        }
        List<AutoCloseable> open;
        synchronized (tenants) {
            open = new ArrayList<>(tenants);
        }
        for (AutoCloseable t : open) {
            try {
                t.close();
            } catch (Exception e) {
                throw new IllegalStateException("memory region " + name + ": closing " + t + " failed", e);
            }
        }
        arena.close();
    }

    public static long alignUp(long v, long align) {
        return (v + align - 1) & -align;
    }

    @Override
    public String toString() {
        return String.format("MemoryRegion[%s, %d MiB, %s, iova 0x%x]", name, size() >> 20,
                hugePages ? "hugetlb" : "normal pages", iovaBase);
    }
}
