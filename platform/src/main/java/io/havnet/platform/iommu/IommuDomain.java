package io.havnet.platform.iommu;

import io.havnet.platform.memory.PageAllocator;
import io.havnet.platform.paging.PageTable;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A VT-d domain: one address space for DMA, shared by the functions attached to it. An assigned
 * VF's domain maps the VM's guest-physical addresses (IOVA = GPA) onto the host pages of its
 * RAM; the host's own functions use a passthrough domain (IOVA = HPA).
 *
 * <p>Changing a mapping bumps {@link #generation()}, which invalidates every IOTLB entry of the
 * domain in every {@link io.havnet.platform.dma.Dma} engine (domain-selective invalidation).
 */
public final class IommuDomain {
    private final int id;
    private final String name;
    private final PageTable table;     // null for passthrough
    private final long passthroughLimit;
    private volatile int generation;
    private final AtomicLong mappedBytes = new AtomicLong();
    private final AtomicLong iotlbMisses = new AtomicLong();
    private volatile boolean destroyed;

    IommuDomain(int id, String name, PageTable table, long passthroughLimit) {
        this.id = id;
        this.name = name;
        this.table = table;
        this.passthroughLimit = passthroughLimit;
    }

    public int id() {
        return id;
    }

    public String name() {
        return name;
    }

    public boolean passthrough() {
        return table == null;
    }

    /** Invalidation generation: IOTLB entries tagged with an older one are stale. */
    public int generation() {
        return generation;
    }

    /** Maps {@code length} bytes from {@code iova} to {@code hpa} with pages of {@code pageSize}. */
    public void map(long iova, long hpa, long length, long pageSize, long perms) {
        requireTable();
        if (length <= 0 || length % pageSize != 0) {
            throw new IllegalArgumentException("length " + length + " is not a multiple of the page size " + pageSize);
        }
        for (long off = 0; off < length; off += pageSize) {
            table.map(iova + off, hpa + off, pageSize, perms);
        }
        mappedBytes.addAndGet(length);
        generation++; // a mapping change is followed by an invalidation, as drivers must do
    }

    /** Removes the mappings of {@code length} bytes from {@code iova} (pages of {@code pageSize}). */
    public void unmap(long iova, long length, long pageSize) {
        requireTable();
        for (long off = 0; off < length; off += pageSize) {
            table.unmap(iova + off, pageSize);
        }
        mappedBytes.addAndGet(-length);
        generation++;
    }

    /** Leaf entry for {@code iova}, or 0; passthrough domains synthesize a 2 MiB RW entry. */
    public long walk(long iova) {
        if (table == null) {
            if (iova < 0 || iova >= passthroughLimit) {
                return 0;
            }
            return (iova & -PageAllocator.PAGE_2M) | PageTable.READ | PageTable.WRITE | PageTable.PAGE_SIZE_BIT;
        }
        return table.walk(iova);
    }

    /** Bytes currently mapped. */
    public long mappedBytes() {
        return table == null ? passthroughLimit : mappedBytes.get();
    }

    /** IOTLB misses taken on this domain's addresses, all engines together. */
    public long iotlbMisses() {
        return iotlbMisses.get();
    }

    /** Counts an IOTLB miss (called by DMA engines). */
    public void countMiss() {
        iotlbMisses.incrementAndGet();
    }

    /** Page-table pages in use (0 for passthrough). */
    public int tablePages() {
        return table == null ? 0 : table.tablePages();
    }

    /** Invalidates every cached translation of this domain. */
    public void invalidate() {
        generation++;
    }

    public boolean isDestroyed() {
        return destroyed;
    }

    void destroy() {
        destroyed = true;
        generation++;
        if (table != null) {
            table.destroy();
        }
    }

    private void requireTable() {
        if (table == null) {
            throw new IllegalStateException("domain " + name + " is passthrough: it has no mappings to change");
        }
        if (destroyed) {
            throw new IllegalStateException("domain " + name + " was destroyed");
        }
    }

    @Override
    public String toString() {
        return "domain " + id + " (" + name + ")";
    }
}
