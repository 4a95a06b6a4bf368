package io.havnet.dataplane.memory;

import io.havnet.dataplane.TestEnv;
import io.havnet.dataplane.os.Libc;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.*;

class MemoryRegionTest {
    @Test
    void regionIsTwoMegabyteAlignedAndRoundedUp() {
        try (MemoryRegion r = MemoryRegion.allocate("t", 3 << 20, HugePagePolicy.NEVER)) {
            assertEquals(4L << 20, r.size());
            assertEquals(0, r.baseAddress() % MemoryRegion.PAGE_2M);
            assertFalse(r.hugePages());
        }
    }

    @Test
    void iovaOfAnAddressIsItsOffsetFromTheIovaBase() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment seg = a.allocate(1 << 20, 4096);
            MemoryRegion guest = MemoryRegion.wrap("guest-ram", seg, 0x4000_0000L);
            assertEquals(0x4000_0000L, guest.iova(seg.address()));
            assertEquals(0x4000_1234L, guest.iova(seg.address() + 0x1234));
            assertEquals(0x1234, guest.offsetOfIova(0x4000_1234L));
            assertEquals(-1, guest.offsetOfIova(0x3FFF_FFFFL));
            assertEquals(-1, guest.offsetOfIova(0x4000_0000L + (1 << 20)));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> guest.iova(seg.address() + (1 << 20)));
            assertTrue(e.getMessage().contains("outside memory region guest-ram"), e.getMessage());
        }
    }

    @Test
    void allocateHandsOutAlignedNonOverlappingSpaceUntilFull() {
        try (MemoryRegion r = MemoryRegion.allocate("t", 2 << 20, HugePagePolicy.NEVER)) {
            long a = r.allocate(100, 64);
            long b = r.allocate(100, 4096);
            assertEquals(0, (r.baseAddress() + a) % 64);
            assertEquals(0, (r.baseAddress() + b) % 4096);
            assertTrue(b >= a + 100);
            IllegalStateException full = assertThrows(IllegalStateException.class, () -> r.allocate(4 << 20, 64));
            assertTrue(full.getMessage().startsWith("memory region t is full"), full.getMessage());
            assertThrows(IllegalArgumentException.class, () -> r.allocate(10, 3));
        }
    }

    @Test
    void memoryIsUsableAndZeroed() {
        try (MemoryRegion r = MemoryRegion.allocate("t", 1 << 20)) {
            MemorySegment s = r.segment();
            assertEquals(0L, s.get(ValueLayout.JAVA_LONG, 4096));
            s.set(ValueLayout.JAVA_LONG, 4096, 42L);
            assertEquals(42L, s.get(ValueLayout.JAVA_LONG, 4096));
        }
    }

    @Test
    void rejectsNonPositiveSize() {
        assertThrows(IllegalArgumentException.class, () -> MemoryRegion.allocate("t", 0));
    }

    @Test
    void usesHugetlbPagesWhenTheHostReservedThem() {
        TestEnv.require(Libc.LINUX, "hugetlb needs Linux");
        TestEnv.require(TestEnv.freeHugePages() >= 2,
                "no free huge pages (reserve some: echo 64 > /proc/sys/vm/nr_hugepages)");
        try (MemoryRegion r = MemoryRegion.allocate("huge", 2 << 20, HugePagePolicy.REQUIRE)) {
            assertTrue(r.hugePages());
            assertEquals(0, r.baseAddress() % MemoryRegion.PAGE_2M);
            r.segment().set(ValueLayout.JAVA_INT, (1 << 20), 7);
            assertEquals(7, r.segment().get(ValueLayout.JAVA_INT, (1 << 20)));
        }
    }

    @Test
    void requirePolicyExplainsWhyHugePagesAreMissing() {
        TestEnv.require(Libc.LINUX, "hugetlb needs Linux");
        long free = TestEnv.freeHugePages();
        // ask for more than is reserved: mmap must refuse and the error must say why
        long size = (free + 8) * MemoryRegion.PAGE_2M;
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> MemoryRegion.allocate("too-big", size, HugePagePolicy.REQUIRE));
        assertTrue(e.getMessage().contains("huge pages required but mmap(MAP_HUGETLB"), e.getMessage());
    }

    @Test
    void autoFallsBackToNormalPagesWithANotice() {
        TestEnv.require(Libc.LINUX, "hugetlb needs Linux");
        long free = TestEnv.freeHugePages();
        long size = (free + 8) * MemoryRegion.PAGE_2M;
        try (MemoryRegion r = MemoryRegion.allocate("fallback", size, HugePagePolicy.AUTO)) {
            assertFalse(r.hugePages());
            String notice = io.havnet.dataplane.os.Notices.seen("hugepages");
            assertNotNull(notice);
            assertTrue(notice.startsWith("huge pages unavailable"), notice);
        }
    }
}
