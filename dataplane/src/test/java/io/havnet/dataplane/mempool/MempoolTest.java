package io.havnet.dataplane.mempool;

import io.havnet.dataplane.Debug;
import io.havnet.dataplane.agent.LcoreId;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.memory.HugePagePolicy;
import io.havnet.dataplane.memory.MemoryRegion;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class MempoolTest {
    private MemoryRegion region;

    @BeforeEach
    void setUp() {
        region = MemoryRegion.allocate("mempool-test", 16 << 20, HugePagePolicy.NEVER);
    }

    @AfterEach
    void tearDown() {
        region.close();
    }

    @Test
    void debugChecksAreOnInTests() {
        assertTrue(Debug.CHECKS, "the test suite runs with -Dhavnet.debug=true");
    }

    @Test
    void bulkGetIsAllOrNothingAndCountsAddUp() {
        try (Mempool p = Mempool.builder("p", region).count(100).elementSize(64).cacheSize(0).build()) {
            int[] a = new int[128];
            assertEquals(60, p.getBulk(a, 0, 60));
            assertEquals(40, p.available());
            assertEquals(60, p.inUse());
            assertEquals(0, p.getBulk(a, 60, 41), "asking for more than is left takes nothing");
            assertEquals(40, p.available(), "a failed bulk get changes nothing");
            assertEquals(40, p.getBulk(a, 60, 40));
            assertEquals(0, p.available());
            Set<Integer> distinct = new HashSet<>();
            for (int i = 0; i < 100; i++) {
                assertTrue(p.owns(a[i]));
                distinct.add(a[i]);
            }
            assertEquals(100, distinct.size(), "no element handed out twice");
            p.putBulk(a, 0, 100);
            assertEquals(100, p.available());
            assertEquals(0, p.inUse());
        }
    }

    @Test
    void elementsDoNotOverlapAndHandlesLeadBackToTheirPool() {
        try (Mempool p = Mempool.builder("p", region).count(10).elementSize(100).cacheSize(0).build()) {
            int[] a = new int[10];
            assertEquals(10, p.getBulk(a, 0, 10));
            for (int i = 0; i < 10; i++) {
                assertSame(p, Mempool.ofHandle(a[i]));
                p.segment().set(ValueLayout.JAVA_LONG, p.offset(a[i]), a[i]);
                p.segment().set(ValueLayout.JAVA_LONG_UNALIGNED, p.offset(a[i]) + 92, ~a[i]);
            }
            for (int i = 0; i < 10; i++) {
                assertEquals(a[i], p.segment().get(ValueLayout.JAVA_LONG, p.offset(a[i])));
                assertEquals(~a[i], p.segment().get(ValueLayout.JAVA_LONG_UNALIGNED, p.offset(a[i]) + 92));
            }
            assertTrue(p.elementSize() >= 100 && p.elementSize() % 64 == 0);
            p.putBulk(a, 0, 10);
        }
    }

    @Test
    void perLcoreCacheServesGetsAndFlushesPastItsThreshold() {
        int id = LcoreId.acquire();
        try (Mempool p = Mempool.builder("p", region).count(1000).elementSize(64).cacheSize(32).build()) {
            MempoolCache c = p.cacheOf(id);
            assertNotNull(c);
            int[] a = new int[64];
            assertEquals(8, p.getBulk(a, 0, 8));
            assertEquals(32, c.length(), "a refill brings the cache up to its size after serving the get");
            assertEquals(1000 - 8, p.available(), "cached elements still count as available");
            p.putBulk(a, 0, 8);
            assertEquals(40, c.length(), "puts below the flush threshold stay in the cache");
            int[] x = new int[32];
            int[] y = new int[32];
            assertEquals(32, p.getBulk(x, 0, 32));
            assertEquals(32, p.getBulk(y, 0, 32));
            assertEquals(32, c.length(), "the second get refilled the cache to its size");
            p.putBulk(x, 0, 32);
            assertEquals(32, c.length(), "64 >= 1.5 x 32: the excess went back to the ring");
            p.putBulk(y, 0, 32);
            assertEquals(32, c.length(), "reaching 1.5 x size flushes the excess back to the ring");
            assertEquals(1000, p.available());
            assertEquals(0, p.inUse());
        } finally {
            LcoreId.release();
        }
    }

    @Test
    void threadsWithoutAnLcoreIdUseTheRingDirectly() throws Exception {
        try (Mempool p = Mempool.builder("p", region).count(64).elementSize(64).cacheSize(16).build()) {
            Thread t = new Thread(() -> {
                assertEquals(LcoreId.ANY, LcoreId.current());
                int[] a = new int[10];
                assertEquals(10, p.getBulk(a, 0, 10));
                p.putBulk(a, 0, 10);
            });
            t.start();
            t.join();
            assertEquals(64, p.available());
        }
    }

    @Test
    void singleGetReturnsNoHandleWhenEmpty() {
        try (Mempool p = Mempool.builder("p", region).count(2).elementSize(64).cacheSize(0).build()) {
            int a = p.get();
            int b = p.get();
            assertNotEquals(Mempool.NO_HANDLE, a);
            assertNotEquals(Mempool.NO_HANDLE, b);
            assertEquals(Mempool.NO_HANDLE, p.get());
            p.put(a);
            p.put(b);
            assertEquals(2, p.available());
        }
    }

    @Test
    void doubleFreeIsCaughtInDebugMode() {
        try (Mempool p = Mempool.builder("p", region).count(4).elementSize(64).cacheSize(0).build()) {
            int h = p.get();
            p.put(h);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> p.put(h));
            assertTrue(e.getMessage().contains("double free of handle"), e.getMessage());
            assertEquals(4, p.available(), "the second put was refused");
        }
    }

    @Test
    void foreignHandleIsRefused() {
        try (Mempool a = Mempool.builder("a", region).count(4).elementSize(64).cacheSize(0).build();
             Mempool b = Mempool.builder("b", region).count(4).elementSize(64).cacheSize(0).build()) {
            int h = a.get();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.put(h));
            assertTrue(e.getMessage().contains("does not belong to this pool"), e.getMessage());
            a.put(h);
        }
    }

    @Test
    void overrunPastAnElementIsCaughtByItsTrailerCookie() {
        try (Mempool p = Mempool.builder("p", region).count(4).elementSize(64).cacheSize(0).build()) {
            int h = p.get();
            p.segment().set(ValueLayout.JAVA_BYTE, p.offset(h) + 64, (byte) 0x55); // one byte too far
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> p.put(h));
            assertTrue(e.getMessage().contains("written past its end"), e.getMessage());
        }
    }

    @Test
    void leakReportNamesWhereElementsWereTaken() {
        try (Mempool p = Mempool.builder("p", region).count(8).elementSize(64).cacheSize(0).trackAllocations(true)
                .build()) {
            int[] a = new int[3];
            assertEquals(3, p.getBulk(a, 0, 3));
            int one = takeOne(p);
            Map<String, Integer> report = p.leakReport();
            assertEquals(2, report.size(), report::toString);
            String bulkSite = report.keySet().stream().filter(s -> s.contains("leakReportNamesWhereElementsWereTaken"))
                    .findFirst().orElseThrow();
            assertEquals(3, report.get(bulkSite));
            assertTrue(bulkSite.startsWith("io.havnet.dataplane.mempool.MempoolTest."), bulkSite);
            assertEquals(1, report.entrySet().stream().filter(e -> e.getKey().contains("takeOne")).findFirst()
                    .orElseThrow().getValue());
            p.putBulk(a, 0, 3);
            p.put(one);
            assertTrue(p.leakReport().isEmpty());
        }
    }

    private static int takeOne(Mempool p) {
        return p.get();
    }

    @Test
    void badParametersAreRejectedWithTheirRange() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Mempool.builder("p", region).count(0).build());
        assertEquals("mempool p: count 0 out of range [1, 16777216]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Mempool.builder("p", region).cacheSize(1000).build());
        assertEquals("mempool p: cache size 1000 out of range [0, 512]", e.getMessage());
    }

    @Test
    void poolLargerThanItsRegionFailsClearly() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Mempool.builder("huge", region).count(1_000_000).elementSize(2048).build());
        assertTrue(e.getMessage().startsWith("memory region mempool-test is full"), e.getMessage());
    }

    /**
     * Elements are reached by raw address, unchecked: a pool must not outlive its memory. Closing
     * the region that owns the memory closes the pools built on it and on its slices first, so
     * their handles lead nowhere (an exception) instead of into freed memory.
     */
    @Test
    void closingTheRegionThatOwnsTheMemoryClosesItsPoolsFirst() {
        MemoryRegion owner = MemoryRegion.allocate("owner", 8 << 20, HugePagePolicy.NEVER);
        MemoryRegion slice = owner.slice("slice", 4 << 20, 2 << 20, 0x4000_0000L);
        Mempool onOwner = Mempool.builder("on-owner", owner).count(16).cacheSize(0).build();
        Mempool onSlice = Mempool.builder("on-slice", slice).count(16).cacheSize(0).build();
        Mempool closedFirst = Mempool.builder("closed-first", owner).count(16).cacheSize(0).build();
        int a = onOwner.get();
        int b = onSlice.get();
        onOwner.segment().set(ValueLayout.JAVA_LONG_UNALIGNED, onOwner.offset(a), 42L);
        long inRegion = onOwner.regionOffset() + (long) (a & Mempool.INDEX_MASK) * onOwner.elementSize();
        assertEquals(42L, owner.segment().get(ValueLayout.JAVA_LONG_UNALIGNED, inRegion),
                "segment() at offset() is the element in the region's memory");
        closedFirst.close();

        slice.close();
        assertSame(onSlice, Mempool.ofHandle(b), "closing a slice frees nothing, so its pools stay");

        owner.close();
        assertNull(Mempool.ofHandle(a));
        assertNull(Mempool.ofHandle(b));
        assertThrows(IllegalArgumentException.class, () -> Mbuf.pktLen(a), "a handle of a closed pool is refused");
        assertThrows(IllegalStateException.class, () -> owner.segment().get(ValueLayout.JAVA_LONG_UNALIGNED, inRegion),
                "the memory is freed");
        owner.close(); // twice: nothing left to do
    }
}
