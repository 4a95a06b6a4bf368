package io.havnet.platform.memory;

import io.havnet.dataplane.memory.HugePagePolicy;
import io.havnet.dataplane.memory.MemoryRegion;

import java.lang.foreign.MemorySegment;

/**
 * The server's physical memory: one off-heap region where a host physical address (HPA) is a
 * byte offset, plus the {@link PageAllocator} that hands out its pages. Page tables, VM RAM,
 * NIC descriptor rings and host mempools all live here, so a DMA that escapes its IOMMU domain
 * would land in someone else's bytes — which is what the isolation tests look for.
 */
public final class HostMemory implements AutoCloseable {
    private final MemoryRegion region;
    private final PageAllocator pages;

    private HostMemory(MemoryRegion region) {
        this.region = region;
        this.pages = new PageAllocator(0, region.size());
    }

    /** {@code size} bytes (rounded up to 2 MiB) of host memory, hugetlb-backed when available. */
    public static HostMemory allocate(long size) {
        return allocate(size, HugePagePolicy.AUTO);
    }

    public static HostMemory allocate(long size, HugePagePolicy policy) {
        MemoryRegion r = MemoryRegion.allocate("host-memory", size, policy);
        return new HostMemory(r.withIovaBase(0));
    }

    /** All of host memory; offset = HPA. */
    public MemorySegment segment() {
        return region.segment();
    }

    /** Host memory as a region whose IOVAs are HPAs (what the PF's passthrough domain sees). */
    public MemoryRegion region() {
        return region;
    }

    public PageAllocator pages() {
        return pages;
    }

    public long size() {
        return region.size();
    }

    /**
     * A region over {@code length} bytes at {@code hpa} whose IOVA base is {@code iovaBase}: host
     * pools use IOVA = HPA; a VM's RAM uses IOVA = GPA.
     */
    public MemoryRegion slice(String name, long hpa, long length, long iovaBase) {
        return region.slice(name, hpa, length, iovaBase);
    }

    /**
     * Allocates {@code bytes} (rounded up to 2 MiB pages) of host memory as a region whose IOVAs
     * are HPAs, for host-side pools and rings.
     */
    public MemoryRegion allocateRegion(String name, long bytes) {
        int n = (int) ((bytes + PageAllocator.PAGE_2M - 1) / PageAllocator.PAGE_2M);
        long hpa = pages.allocate2m(n);
        return slice(name, hpa, n * PageAllocator.PAGE_2M, hpa);
    }

    @Override
    public void close() {
        region.close();
    }
}
