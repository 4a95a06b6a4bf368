package io.havnet.hypervisor.memory;

import io.havnet.dataplane.memory.MemoryRegion;
import io.havnet.platform.memory.HostMemory;
import io.havnet.platform.memory.PageAllocator;
import io.havnet.platform.paging.PageTable;

import java.lang.foreign.MemorySegment;

/**
 * A VM's RAM: host 2 MiB pages mapped at guest-physical address 0 by the VM's own second-level
 * page table (the EPT), so the guest sees one contiguous GPA space and never an HPA. The
 * hypervisor reaches guest buffers by GPA through {@link #checkedOffset} — a memory table
 * lookup with bounds, what vhost does — and never trusts a guest-supplied address without it.
 *
 * <p>{@link #region()} is the guest's own view: a region whose IOVAs are GPAs, where the guest's
 * mempools and rings live. {@link #destroy()} returns every page and the EPT's tables.
 */
public final class GuestMemory {
    private final String name;
    private final HostMemory host;
    private final long hpa;
    private final long size;
    private final PageTable ept;
    private final MemoryRegion region;
    private final MemorySegment segment;
    private boolean destroyed;

    private GuestMemory(String name, HostMemory host, long hpa, long size) {
        this.name = name;
        this.host = host;
        this.hpa = hpa;
        this.size = size;
        this.ept = new PageTable(host);
        for (long gpa = 0; gpa < size; gpa += PageAllocator.PAGE_2M) {
            ept.map(gpa, hpa + gpa, PageAllocator.PAGE_2M, PageTable.READ | PageTable.WRITE | PageTable.EXEC);
        }
        this.region = host.slice(name + "-ram", hpa, size, 0);
        this.segment = region.segment();
    }

    /** {@code bytes} of RAM (rounded up to 2 MiB) for VM {@code name}. */
    public static GuestMemory allocate(String name, HostMemory host, long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("VM " + name + ": memory must be positive");
        }
        int pages = (int) ((bytes + PageAllocator.PAGE_2M - 1) / PageAllocator.PAGE_2M);
        long hpa = host.pages().allocate2m(pages);
        return new GuestMemory(name, host, hpa, pages * PageAllocator.PAGE_2M);
    }

    public String name() {
        return name;
    }

    /** Bytes of RAM; GPAs run from 0 to this. */
    public long size() {
        return size;
    }

    /** The guest's view: IOVA = GPA. Guest mempools and virtqueues are carved from it. */
    public MemoryRegion region() {
        return region;
    }

    /** Guest RAM; offset = GPA. */
    public MemorySegment segment() {
        return segment;
    }

    /** The first HPA of the RAM (for the IOMMU mapping of an assigned VF). */
    public long hostPhysicalBase() {
        return hpa;
    }

    /** The VM's EPT (second-level page table). */
    public PageTable ept() {
        return ept;
    }

    /** GPA → HPA through the EPT; -1 when the GPA is not guest RAM. */
    public long translate(long gpa) {
        long e = ept.walk(gpa);
        return e == 0 ? -1 : PageTable.translate(e, gpa);
    }

    /**
     * The offset in {@link #segment()} of {@code len} bytes at guest address {@code gpa}, or -1
     * when any part of it is outside guest RAM.
     */
    public long checkedOffset(long gpa, long len) {
        if (gpa < 0 || len < 0 || gpa > size - len) {
            return -1;
        }
        return gpa;
    }

    public boolean isDestroyed() {
        return destroyed;
    }

    /** Returns the RAM's pages and the EPT's tables to the host. */
    public synchronized void destroy() {
        if (destroyed) {
            return;
        }
        destroyed = true;
        ept.destroy();
        host.pages().free2m(hpa, (int) (size / PageAllocator.PAGE_2M));
    }
}
