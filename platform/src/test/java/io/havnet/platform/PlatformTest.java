package io.havnet.platform;

import io.havnet.dataplane.memory.HugePagePolicy;
import io.havnet.platform.dma.Dma;
import io.havnet.platform.iommu.DmaFault;
import io.havnet.platform.iommu.FaultReason;
import io.havnet.platform.iommu.Iommu;
import io.havnet.platform.iommu.IommuDomain;
import io.havnet.platform.memory.HostMemory;
import io.havnet.platform.memory.PageAllocator;
import io.havnet.platform.paging.PageTable;
import io.havnet.platform.pci.PciFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.zip.CRC32;

import static io.havnet.platform.memory.PageAllocator.PAGE_2M;
import static io.havnet.platform.memory.PageAllocator.PAGE_4K;
import static org.junit.jupiter.api.Assertions.*;

class PlatformTest {
    private static final PciFunction PF = PciFunction.pf(3, 0, 0);
    private HostMemory mem;
    private Iommu iommu;
    private Dma dma;

    @BeforeEach
    void setUp() {
        mem = HostMemory.allocate(64L << 20, HugePagePolicy.NEVER);
        iommu = new Iommu(mem);
        dma = new Dma(iommu, 256);
    }

    @AfterEach
    void tearDown() {
        mem.close();
    }

    @Test
    void pageAllocatorHandsOutDistinctPagesAndTakesThemBack() {
        PageAllocator p = mem.pages();
        long total = p.freeBytes();
        long a = p.allocate4k();
        long b = p.allocate4k();
        assertNotEquals(a, b);
        assertEquals(0, a % PAGE_4K);
        long big = p.allocate2m(3);
        assertEquals(0, big % PAGE_2M);
        assertTrue(big >= a + PAGE_2M || big + 3 * PAGE_2M <= a, "a 2 MiB run never overlaps 4 KiB pages");
        p.free4k(a);
        p.free4k(b);
        p.free2m(big, 3);
        assertEquals(total, p.freeBytes());
        assertThrows(IllegalStateException.class, () -> p.free4k(a), "double free is refused");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> p.allocate2m(1000));
        assertTrue(e.getMessage().startsWith("host memory exhausted"), e.getMessage());
    }

    @Test
    void pageTableTranslatesFourKilobyteAndTwoMegabytePages() {
        PageTable t = new PageTable(mem);
        t.map(0x1000, 0x40_0000, PAGE_4K, PageTable.READ | PageTable.WRITE);
        t.map(0x20_0000_0000L, 0x60_0000, PAGE_2M, PageTable.READ);
        assertEquals(0x40_0123, PageTable.translate(t.walk(0x1123), 0x1123));
        long e = t.walk(0x20_0012_3456L);
        assertEquals(PAGE_2M, PageTable.pageSize(e));
        assertEquals(0x60_0000 + 0x12_3456, PageTable.translate(e, 0x20_0012_3456L));
        assertEquals(0, e & PageTable.WRITE, "read-only mapping");
        assertEquals(0, t.walk(0x2000), "unmapped");
        assertThrows(IllegalStateException.class, () -> t.map(0x1000, 0x50_0000, PAGE_4K, PageTable.READ));
        assertThrows(IllegalArgumentException.class, () -> t.map(0x1001, 0x50_0000, PAGE_4K, PageTable.READ));
        t.unmap(0x1000, PAGE_4K);
        assertEquals(0, t.walk(0x1123));
        assertThrows(IllegalStateException.class, () -> t.unmap(0x1000, PAGE_4K));
        long used = mem.pages().used4kPages();
        assertEquals(t.tablePages(), used);
        t.destroy();
        assertEquals(0, mem.pages().used4kPages(), "table pages are returned");
    }

    @Test
    void pciVfRoutingIdsFollowTheSriovCapability() {
        assertEquals("0000:03:00.0", PF.toString());
        PciFunction vf0 = PF.vf(0);
        PciFunction vf3 = PF.vf(3);
        assertEquals(PF.requesterId() + 0x80, vf0.requesterId());
        assertEquals(PF.requesterId() + 0x80 + 6, vf3.requesterId());
        assertEquals("0000:03:10.6", vf3.toString());
        assertTrue(vf3.isVf());
        assertEquals(3, vf3.vfIndex());
    }

    @Test
    void dmaThroughAMappedDomainReachesTheRightHostPage() {
        PciFunction vf = PF.vf(0);
        long ram = attachRam("vm1", vf, PAGE_4K).ram();
        MemorySegment src = MemorySegment.ofArray(new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        assertTrue(dma.write(vf, 0x1FFC, src, 0, 8), "a write across a page boundary");
        assertEquals(1, mem.segment().get(ValueLayout.JAVA_BYTE, ram + 0x1FFC));
        assertEquals(8, mem.segment().get(ValueLayout.JAVA_BYTE, ram + 0x2003));
        MemorySegment back = MemorySegment.ofArray(new byte[8]);
        assertTrue(dma.read(vf, 0x1FFC, back, 0, 8));
        assertArrayEquals(src.toArray(ValueLayout.JAVA_BYTE), back.toArray(ValueLayout.JAVA_BYTE));
        assertEquals(0, iommu.faults().total());
    }

    @Test
    void refusedDmaRecordsTheFaultAndTouchesNoByte() {
        fillCanaries(); // before the page tables are written, which must stay intact
        IommuDomain d = iommu.createDomain("vm1");
        long ram = mem.pages().allocate2m(1);
        // map only the first 8 KiB writable, the next 4 KiB read-only
        d.map(0, ram, 2 * PAGE_4K, PAGE_4K, PageTable.READ | PageTable.WRITE);
        d.map(2 * PAGE_4K, ram + 2 * PAGE_4K, PAGE_4K, PAGE_4K, PageTable.READ);
        PciFunction vf = PF.vf(1);
        iommu.attach(vf, d);
        long before = crc();
        MemorySegment junk = Arena.ofAuto().allocate(8192);
        junk.fill((byte) 0x66);

        assertFalse(dma.write(vf, PAGE_4K + 100, junk, 0, 8192), "runs into the read-only page");
        assertFalse(dma.write(vf, 3 * PAGE_4K, junk, 0, 64), "unmapped");
        assertFalse(dma.write(vf, 0x7FFF_FFFF_0000L, junk, 0, 64), "far outside the VM");
        assertFalse(dma.write(PF.vf(7), 0, junk, 0, 64), "a function with no domain");
        assertFalse(dma.write(vf, ram, junk, 0, 64), "an HPA is not an IOVA: the VM cannot name host pages");
        assertEquals(before, crc(), "no byte of host memory changed");

        List<DmaFault> f = iommu.faults().recent();
        assertEquals(5, f.size());
        assertEquals(FaultReason.WRITE_DENIED, f.get(0).reason());
        assertEquals(2 * PAGE_4K, f.get(0).iova(), "the first refused page is reported");
        assertEquals(FaultReason.NOT_PRESENT, f.get(1).reason());
        assertEquals(FaultReason.NOT_PRESENT, f.get(2).reason());
        assertEquals(FaultReason.NO_DOMAIN, f.get(3).reason());
        assertTrue(f.get(0).write());
        assertEquals(vf, f.get(0).function());
        assertEquals(4, iommu.faults().count(vf));
        assertTrue(f.get(0).toString().startsWith("0000:03:10.2 write 0x2000: write denied"), f.get(0).toString());

        MemorySegment dst = MemorySegment.ofArray(new byte[16]);
        assertTrue(dma.read(vf, 2 * PAGE_4K, dst, 0, 16), "the read-only page can be read");
    }

    @Test
    void aPrefetchCountsNoIotlbAccessRecordsNoFaultAndUsesOnlyCachedTranslations() {
        PciFunction vf = PF.vf(4);
        Attached a = attachRam("vm", vf, PAGE_4K);
        IommuDomain d = a.domain();
        long ram = a.ram();
        mem.segment().set(ValueLayout.JAVA_BYTE, ram + 0x3010, (byte) 42);
        assertEquals(0, dma.prefetch(vf, new long[] {0x3010}, 1), "not in the IOTLB yet: nothing loaded, no walk");
        assertEquals(0, dma.iotlbHits() + dma.iotlbMisses());
        MemorySegment b = MemorySegment.ofArray(new byte[4]);
        assertTrue(dma.read(vf, 0x3000, b, 0, 4));
        long hits = dma.iotlbHits();
        long misses = dma.iotlbMisses();
        mem.segment().set(ValueLayout.JAVA_BYTE, ram + 0x3020, (byte) 7);
        long[] burst = {0x3010, 0x7FFF_0000L, 0x3020, 0x3010};
        assertEquals(42 + 7 + 42, dma.prefetch(vf, burst, 4),
                "the cached translations reach the right host bytes; the address outside the VM loads nothing");
        assertEquals(ram + 0x3010, burst[0], "each address replaced by its host address");
        assertEquals(-1, burst[1]);
        assertEquals(hits, dma.iotlbHits(), "a prefetch is not an access");
        assertEquals(misses, dma.iotlbMisses());
        assertEquals(0, dma.prefetch(PF.vf(9), new long[] {0x3010}, 1), "a function with no domain");
        d.unmap(0x3000, PAGE_4K, PAGE_4K);
        assertEquals(0, dma.prefetch(vf, new long[] {0x3010}, 1), "an unmapped page is not read through a stale IOTLB entry");
        assertEquals(0, iommu.faults().total(), "no prefetch records a fault");
    }

    @Test
    void unmapIsSeenByEngineImmediately() {
        PciFunction vf = PF.vf(2);
        IommuDomain d = attachRam("vm", vf, PAGE_2M).domain();
        MemorySegment b = MemorySegment.ofArray(new byte[4]);
        assertTrue(dma.write(vf, 0x100, b, 0, 4));
        d.unmap(0, PAGE_2M, PAGE_2M);
        assertFalse(dma.write(vf, 0x100, b, 0, 4), "the cached translation was invalidated");
        iommu.detach(vf);
        assertEquals(FaultReason.NO_DOMAIN, faultAfter(() -> dma.read(vf, 0, b, 0, 4)));
    }

    @Test
    void twoMegabyteMappingsCutIotlbMisses() {
        long ram4k = mem.pages().allocate2m(4);
        long ram2m = mem.pages().allocate2m(4);
        IommuDomain small = iommu.createDomain("4k");
        IommuDomain large = iommu.createDomain("2m");
        small.map(0, ram4k, 4 * PAGE_2M, PAGE_4K, PageTable.READ | PageTable.WRITE);
        large.map(0, ram2m, 4 * PAGE_2M, PAGE_2M, PageTable.READ | PageTable.WRITE);
        PciFunction a = PF.vf(10);
        PciFunction b = PF.vf(11);
        iommu.attach(a, small);
        iommu.attach(b, large);
        MemorySegment buf = MemorySegment.ofArray(new byte[2048]);
        for (int round = 0; round < 2; round++) {
            for (long iova = 0; iova < 4 * PAGE_2M; iova += 2048) {
                assertTrue(dma.write(a, iova, buf, 0, 2048));
                assertTrue(dma.write(b, iova, buf, 0, 2048));
            }
        }
        assertTrue(small.iotlbMisses() >= 2048, "4 KiB pages: a miss per page per round, " + small.iotlbMisses());
        assertTrue(large.iotlbMisses() <= 8, "2 MiB pages: a miss per 2 MiB, " + large.iotlbMisses());
        assertTrue(small.tablePages() > large.tablePages());
    }

    @Test
    void destroyingADomainDetachesItsFunctionsAndReturnsItsTables() {
        long before = mem.pages().used4kPages();
        IommuDomain d = iommu.createDomain("gone");
        long ram = mem.pages().allocate2m(1);
        d.map(0, ram, PAGE_2M, PAGE_4K, PageTable.READ | PageTable.WRITE);
        PciFunction vf = PF.vf(4);
        iommu.attach(vf, d);
        iommu.destroyDomain(d);
        assertNull(iommu.domainOf(vf));
        assertEquals(before, mem.pages().used4kPages());
        assertThrows(IllegalStateException.class, () -> d.map(0, ram, PAGE_4K, PAGE_4K, PageTable.READ));
        mem.pages().free2m(ram, 1);
    }

    @Test
    void passthroughDomainIsIdentityOverHostMemoryOnly() {
        iommu.attach(PF, iommu.passthroughDomain());
        MemorySegment b = MemorySegment.ofArray(new byte[] {42});
        assertTrue(dma.write(PF, 0x12345, b, 0, 1));
        assertEquals(42, mem.segment().get(ValueLayout.JAVA_BYTE, 0x12345));
        assertEquals(FaultReason.OUT_OF_RANGE, faultAfter(() -> dma.write(PF, mem.size(), b, 0, 1)));
    }

    private FaultReason faultAfter(Runnable r) {
        long n = iommu.faults().total();
        r.run();
        assertEquals(n + 1, iommu.faults().total());
        List<DmaFault> f = iommu.faults().recent();
        return f.get(f.size() - 1).reason();
    }

    private record Attached(IommuDomain domain, long ram) {}

    /** A new domain mapping 2 MiB of host RAM read-write at IOVA 0 in {@code pageSize} pages, {@code fn} attached to it. */
    private Attached attachRam(String name, PciFunction fn, long pageSize) {
        IommuDomain d = iommu.createDomain(name);
        long ram = mem.pages().allocate2m(1);
        d.map(0, ram, PAGE_2M, pageSize, PageTable.READ | PageTable.WRITE);
        iommu.attach(fn, d);
        return new Attached(d, ram);
    }

    private void fillCanaries() {
        MemorySegment s = mem.segment();
        for (long off = 0; off < s.byteSize(); off += 8) {
            s.set(ValueLayout.JAVA_LONG, off, 0xC0FFEE_0000_0000L | off);
        }
    }

    private long crc() {
        CRC32 c = new CRC32();
        c.update(mem.segment().asByteBuffer());
        return c.getValue();
    }
}
