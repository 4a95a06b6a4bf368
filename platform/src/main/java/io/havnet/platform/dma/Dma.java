package io.havnet.platform.dma;

import io.havnet.platform.iommu.FaultReason;
import io.havnet.platform.iommu.Iommu;
import io.havnet.platform.iommu.IommuDomain;
import io.havnet.platform.paging.PageTable;
import io.havnet.platform.pci.PciFunction;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * A device's path to memory: every access names the PCI function making it and an IOVA, goes
 * through the function's IOMMU domain, and either happens completely or not at all — if any
 * page of the range is unmapped or lacks the permission, the fault is recorded and no byte is
 * read or written. One {@code Dma} per engine thread (it owns an IOTLB); not thread-safe.
 */
public final class Dma {
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    private final Iommu iommu;
    private final MemorySegment host;
    private final Iotlb iotlb;

    public Dma(Iommu iommu) {
        this(iommu, 1024);
    }

    public Dma(Iommu iommu, int iotlbEntries) {
        this.iommu = iommu;
        this.host = iommu.memory().segment();
        this.iotlb = new Iotlb(iotlbEntries);
    }

    public Iommu iommu() {
        return iommu;
    }

    /**
     * Host memory, for accesses to an HPA this engine obtained from {@link #translate} — the fast
     * path for descriptors, which are 16-byte aligned and never cross a page.
     */
    public MemorySegment host() {
        return host;
    }

    /** Translations served from this engine's IOTLB. */
    public long iotlbHits() {
        return iotlb.hits;
    }

    /** Translations that walked the page table. */
    public long iotlbMisses() {
        return iotlb.misses;
    }

    /**
     * Translates {@code iova} for an access of the given direction.
     *
     * @return the HPA, or -1 after recording a fault
     */
    public long translate(PciFunction f, long iova, boolean write) {
        IommuDomain d = iommu.domainOf(f.requesterId());
        if (d == null) {
            iommu.recordFault(f, iova, write, FaultReason.NO_DOMAIN);
            return -1;
        }
        long e = leaf(d, iova);
        if (e == 0) {
            iommu.recordFault(f, iova, write, d.passthrough() ? FaultReason.OUT_OF_RANGE : FaultReason.NOT_PRESENT);
            return -1;
        }
        if (write ? (e & PageTable.WRITE) == 0 : (e & PageTable.READ) == 0) {
            iommu.recordFault(f, iova, write, write ? FaultReason.WRITE_DENIED : FaultReason.READ_DENIED);
            return -1;
        }
        return PageTable.translate(e, iova);
    }

    private long leaf(IommuDomain d, long iova) {
        int gen = d.generation();
        long e = iotlb.lookup(d.id(), gen, iova);
        if (e != 0) {
            return e;
        }
        d.countMiss();
        e = d.walk(iova);
        if (e != 0) {
            iotlb.insert(d.id(), gen, iova, e, (e & PageTable.PAGE_SIZE_BIT) != 0);
        }
        return e;
    }

    /**
     * Loads the cache lines at {@code iovas[0..n)} ahead of {@link #read}s of them, so the reads
     * of a burst of buffers another core wrote are in flight together instead of one after the
     * other (the NIC prefetching a burst's data). Only a translation the IOTLB already holds,
     * with read permission, is used: a prefetch walks no page table, counts no IOTLB hit or miss
     * and records no fault — the read that follows does all of that. First every translation,
     * then the loads in a loop of a few instructions each, so that as many misses as the core
     * can track are in flight at once (one loop doing both held far fewer: the lookups between
     * two loads filled the core's window). {@code iovas} is overwritten with the host addresses
     * (-1 where none). Returns the sum of the bytes loaded.
     */
    public int prefetch(PciFunction f, long[] iovas, int n) {
        IommuDomain d = iommu.domainOf(f.requesterId());
        if (d == null) {
            return 0;
        }
        int id = d.id();
        int gen = d.generation();
        for (int i = 0; i < n; i++) {
            long e = iotlb.probe(id, gen, iovas[i]);
            iovas[i] = e == 0 || (e & PageTable.READ) == 0 ? -1 : PageTable.translate(e, iovas[i]);
        }
        int sum = 0;
        MemorySegment h = host;
        for (int i = 0; i < n; i++) {
            long hpa = iovas[i];
            if (hpa >= 0) {
                sum += h.get(ValueLayout.JAVA_BYTE, hpa);
            }
        }
        return sum;
    }

    /** Checks that every page of [iova, iova+len) translates; records the first fault. */
    private boolean checkRange(PciFunction f, long iova, int len, boolean write) {
        if (len <= 0) {
            return len == 0;
        }
        long end = iova + len;
        for (long a = iova; a < end; a = (a & -4096L) + 4096) {
            if (translate(f, a, write) < 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Device write: copies {@code len} bytes of {@code src} at {@code srcOff} to {@code iova}.
     *
     * @return true when done; false when refused (fault recorded, memory untouched)
     */
    public boolean write(PciFunction f, long iova, MemorySegment src, long srcOff, int len) {
        if ((iova & 4095) + len <= 4096 && len > 0) { // within one page: one translation
            long hpa = translate(f, iova, true);
            if (hpa < 0) {
                return false;
            }
            MemorySegment.copy(src, srcOff, host, hpa, len);
            return true;
        }
        if (!checkRange(f, iova, len, true)) {
            return false;
        }
        long end = iova + len;
        long done = 0;
        for (long a = iova; a < end; ) {
            long hpa = translate(f, a, true);
            long pageEnd = Math.min(end, (a & -4096L) + 4096);
            long k = pageEnd - a;
            MemorySegment.copy(src, srcOff + done, host, hpa, k);
            done += k;
            a = pageEnd;
        }
        return true;
    }

    /** Device read: copies {@code len} bytes at {@code iova} into {@code dst} at {@code dstOff}. */
    public boolean read(PciFunction f, long iova, MemorySegment dst, long dstOff, int len) {
        if ((iova & 4095) + len <= 4096 && len > 0) {
            long hpa = translate(f, iova, false);
            if (hpa < 0) {
                return false;
            }
            MemorySegment.copy(host, hpa, dst, dstOff, len);
            return true;
        }
        if (!checkRange(f, iova, len, false)) {
            return false;
        }
        long end = iova + len;
        long done = 0;
        for (long a = iova; a < end; ) {
            long hpa = translate(f, a, false);
            long pageEnd = Math.min(end, (a & -4096L) + 4096);
            long k = pageEnd - a;
            MemorySegment.copy(host, hpa, dst, dstOff + done, k);
            done += k;
            a = pageEnd;
        }
        return true;
    }

    /**
     * Writes a 32-bit word with release semantics — the last store of a descriptor write-back
     * (the DD bit), so a driver that sees it also sees the data before it. {@code iova} must be
     * 4-byte aligned. Returns false on a fault.
     */
    public boolean writeIntRelease(PciFunction f, long iova, int value) {
        long hpa = translate(f, iova, true);
        if (hpa < 0) {
            return false;
        }
        INT.setRelease(host, hpa, value);
        return true;
    }

    /** Reads a 32-bit word with acquire semantics; returns {@code Long.MIN_VALUE} on a fault. */
    public long readIntAcquire(PciFunction f, long iova) {
        long hpa = translate(f, iova, false);
        if (hpa < 0) {
            return Long.MIN_VALUE;
        }
        return (int) INT.getAcquire(host, hpa);
    }
}
