package io.havnet.dataplane.mbuf;

import io.havnet.dataplane.memory.HugePagePolicy;
import io.havnet.dataplane.memory.MemoryRegion;
import io.havnet.dataplane.mempool.Mempool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

class MbufTest {
    private MemoryRegion region;
    private Mempool pool;

    @BeforeEach
    void setUp() {
        region = MemoryRegion.allocate("mbuf-test", 8 << 20, HugePagePolicy.NEVER);
        pool = MbufPool.builder("mbufs", region).count(64).cacheSize(0).build();
    }

    @AfterEach
    void tearDown() {
        assertEquals(0, pool.inUse(), () -> "leaked mbufs: " + pool.leakReport());
        pool.close();
        region.close();
    }

    @Test
    void aBurstPrefetchReadsEachFramesFirstByteWhereverItsDataStarts() {
        int[] burst = new int[5];
        for (int i = 0; i < burst.length; i++) {
            burst[i] = Mbuf.alloc(pool);
            Mbuf.append(burst[i], 64);
            if (i % 2 == 1) {
                Mbuf.adj(burst[i], 10); // data starts 10 bytes later
            }
            Mbuf.segment(burst[i]).set(ValueLayout.JAVA_BYTE, Mbuf.dataOffset(burst[i]), (byte) (i + 1));
        }
        long[] scratch = new long[8];
        assertEquals(2 + 3 + 4 + 5, Mbuf.prefetch(burst, 1, 4, scratch), "first data bytes of frames 1..4");
        try (MemoryRegion other = MemoryRegion.allocate("other", 4 << 20, HugePagePolicy.NEVER)) {
            Mempool foreign = MbufPool.builder("other", other).count(8).cacheSize(0).build();
            int f = Mbuf.alloc(foreign);
            Mbuf.append(f, 64);
            Mbuf.segment(f).set(ValueLayout.JAVA_BYTE, Mbuf.dataOffset(f), (byte) 40);
            int[] mixed = {burst[0], f, burst[4]};
            assertEquals(1 + 40 + 5, Mbuf.prefetch(mixed, 0, 3, scratch), "mbufs of two pools in one burst");
            Mbuf.free(f);
            foreign.close();
        }
        Mbuf.freeBulk(burst, 0, burst.length);
    }

    @Test
    void aChainNeverLeavesItsPoolAndAnOverwrittenNextFieldStopsTheFree() {
        int a = Mbuf.alloc(pool);
        int b = Mbuf.alloc(pool);
        try (MemoryRegion other = MemoryRegion.allocate("other", 4 << 20, HugePagePolicy.NEVER)) {
            Mempool foreign = MbufPool.builder("other", other).count(8).cacheSize(0).build();
            int f = Mbuf.alloc(foreign);
            assertThrows(IllegalArgumentException.class, () -> Mbuf.chain(a, f), "chain across pools");
            // the next field overwritten (as a device writing into a guest's RAM could) with another pool's mbuf
            Mbuf.segment(a).set(ValueLayout.JAVA_INT_UNALIGNED, Mbuf.base(a) + MbufDescriptor.NEXT, f);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> Mbuf.free(a));
            assertTrue(e.getMessage().contains("not an mbuf of its pool"), e.getMessage());
            assertEquals(1, foreign.inUse(), "the other pool's mbuf was not freed through the bad chain");
            Mbuf.free(f);
            foreign.close();
        }
        // a loop inside the pool: the walk stops instead of spinning
        assertEquals(0, Mbuf.chain(b, Mbuf.alloc(pool)));
        int second = Mbuf.next(b);
        Mbuf.segment(second).set(ValueLayout.JAVA_INT_UNALIGNED, Mbuf.base(second) + MbufDescriptor.NEXT, b);
        // (with debug checks the pool refuses the second put of b first; without, the walk's bound does)
        assertThrows(IllegalStateException.class, () -> Mbuf.free(b));
        // the pool itself is beyond repair after that (elements put twice); start a fresh one for the check after
        pool.close();
        pool = MbufPool.builder("mbufs2", region).count(64).cacheSize(0).build();
    }

    @Test
    void freshMbufHasDefaultHeadroomAndNoData() {
        int m = Mbuf.alloc(pool);
        assertEquals(MbufDescriptor.HEADROOM, Mbuf.headroom(m));
        assertEquals(MbufDescriptor.DEFAULT_DATA_ROOM, Mbuf.tailroom(m));
        assertEquals(0, Mbuf.pktLen(m));
        assertEquals(1, Mbuf.nbSegs(m));
        assertEquals(1, Mbuf.refcnt(m));
        assertEquals(Mbuf.NONE, Mbuf.next(m));
        assertEquals(0xFFFF, Mbuf.port(m));
        assertNull(Mbuf.check(m));
        Mbuf.free(m);
    }

    @Test
    void bufferAddressesMapToTheRegionsIovas() {
        int m = Mbuf.alloc(pool);
        long buf = Mbuf.bufAddr(m);
        assertEquals(region.iova(buf), Mbuf.bufIova(m));
        assertEquals(buf, Mbuf.segment(m).address() + Mbuf.base(m) + MbufDescriptor.METADATA_SIZE);
        assertEquals(Mbuf.bufIova(m) + MbufDescriptor.HEADROOM, Mbuf.dataIova(m));
        Mbuf.free(m);
    }

    @Test
    void appendAndPrependGrowTheDataAndFailWithoutRoom() {
        int m = Mbuf.alloc(pool);
        long tail = Mbuf.append(m, 100);
        assertEquals(Mbuf.dataOffset(m), tail);
        assertEquals(100, Mbuf.dataLen(m));
        long head = Mbuf.prepend(m, 14);
        assertEquals(Mbuf.dataOffset(m), head);
        assertEquals(114, Mbuf.pktLen(m));
        assertEquals(MbufDescriptor.HEADROOM - 14, Mbuf.headroom(m));
        assertEquals(-1, Mbuf.prepend(m, MbufDescriptor.HEADROOM), "no headroom left for that much");
        assertEquals(-1, Mbuf.append(m, MbufDescriptor.DEFAULT_DATA_ROOM), "no tailroom left for that much");
        assertEquals(114, Mbuf.pktLen(m), "failed operations change nothing");
        Mbuf.free(m);
    }

    @Test
    void adjAndTrimShrinkFromEitherEnd() {
        int m = Mbuf.fromBytes(pool, seq(60));
        assertEquals(0, Mbuf.adj(m, 14));
        assertEquals(46, Mbuf.pktLen(m));
        assertEquals(14, Mbuf.segment(m).get(ValueLayout.JAVA_BYTE, Mbuf.dataOffset(m)));
        assertEquals(0, Mbuf.trim(m, 6));
        assertEquals(40, Mbuf.pktLen(m));
        assertEquals(-1, Mbuf.adj(m, 41));
        assertEquals(-1, Mbuf.trim(m, 41));
        assertEquals(40, Mbuf.pktLen(m));
        Mbuf.free(m);
    }

    @Test
    void largeFramesBecomeSegmentChainsAndReadBackWhole() {
        byte[] jumbo = seq(9000);
        int m = Mbuf.fromBytes(pool, jumbo);
        assertEquals(5, Mbuf.nbSegs(m), "9000 bytes over 2048-byte data rooms");
        assertEquals(9000, Mbuf.pktLen(m));
        assertNull(Mbuf.check(m));
        assertArrayEquals(jumbo, Mbuf.toBytes(m));
        byte[] mid = new byte[100];
        Mbuf.read(m, 2000, mid, 0, 100);
        assertArrayEquals(Arrays.copyOfRange(jumbo, 2000, 2100), mid, "reads across a segment boundary");
        assertEquals(59, pool.available());
        Mbuf.free(m);
        assertEquals(64, pool.available(), "freeing the head frees the whole chain");
    }

    @Test
    void chainJoinsTwoPacketsAndAppendGoesToTheLastSegment() {
        int a = Mbuf.fromBytes(pool, seq(10));
        int b = Mbuf.fromBytes(pool, seq(20));
        assertEquals(0, Mbuf.chain(a, b));
        assertEquals(2, Mbuf.nbSegs(a));
        assertEquals(30, Mbuf.pktLen(a));
        long off = Mbuf.append(a, 5);
        assertEquals(Mbuf.dataOffset(b) + 20, off);
        assertEquals(35, Mbuf.pktLen(a));
        assertEquals(25, Mbuf.dataLen(b));
        assertEquals(0, Mbuf.trim(a, 5));
        assertNull(Mbuf.check(a));
        Mbuf.free(a);
    }

    @Test
    void runningOutOfMbufsMidChainLeaksNothing() {
        int[] hold = new int[62];
        assertEquals(62, pool.getBulk(hold, 0, 62));
        assertEquals(Mbuf.NONE, Mbuf.fromBytes(pool, seq(5000)), "needs 3 mbufs, 2 left");
        assertEquals(2, pool.available());
        pool.putBulk(hold, 0, 62);
    }

    @Test
    void sharedMbufReturnsToThePoolOnTheLastFree() {
        int m = Mbuf.fromBytes(pool, seq(64));
        Mbuf.refcntUpdate(m, 2);
        assertEquals(3, Mbuf.refcnt(m));
        Mbuf.free(m);
        Mbuf.free(m);
        assertEquals(63, pool.available());
        Mbuf.free(m);
        assertEquals(64, pool.available());
    }

    @Test
    void freeBulkReturnsMixedSimpleChainedAndSharedMbufs() {
        int[] a = new int[4];
        a[0] = Mbuf.fromBytes(pool, seq(64));
        a[1] = Mbuf.fromBytes(pool, seq(5000));
        a[2] = Mbuf.fromBytes(pool, seq(64));
        a[3] = Mbuf.fromBytes(pool, seq(64));
        Mbuf.refcntUpdate(a[2], 1);
        Mbuf.freeBulk(a, 0, 4);
        assertEquals(63, pool.available(), "the shared one is still held once");
        Mbuf.free(a[2]);
    }

    @Test
    void copyIsDeepAndKeepsMetadata() {
        int m = Mbuf.fromBytes(pool, seq(300));
        Mbuf.setPort(m, 3);
        Mbuf.setVlanTci(m, 100);
        Mbuf.setRssHash(m, 0xCAFE);
        Mbuf.setTimestamp(m, 12345);
        int c = Mbuf.copy(m, pool);
        assertNotEquals(m, c);
        assertArrayEquals(Mbuf.toBytes(m), Mbuf.toBytes(c));
        assertEquals(3, Mbuf.port(c));
        assertEquals(100, Mbuf.vlanTci(c));
        assertEquals(0xCAFE, Mbuf.rssHash(c));
        assertEquals(12345, Mbuf.timestamp(c));
        Mbuf.segment(c).set(ValueLayout.JAVA_BYTE, Mbuf.dataOffset(c), (byte) 99);
        assertEquals(0, Mbuf.segment(m).get(ValueLayout.JAVA_BYTE, Mbuf.dataOffset(m)), "copy is independent");
        Mbuf.free(m);
        Mbuf.free(c);
    }

    @Test
    void txOffloadLengthsRoundTrip() {
        int m = Mbuf.alloc(pool);
        Mbuf.setTxOffload(m, 18, 40, 20);
        assertEquals(18, Mbuf.l2Len(m));
        assertEquals(40, Mbuf.l3Len(m));
        assertEquals(20, Mbuf.l4Len(m));
        Mbuf.free(m);
    }

    @Test
    void checkFindsBrokenLengths() {
        int m = Mbuf.fromBytes(pool, seq(100));
        Mbuf.setPktLen(m, 99);
        assertEquals("pkt_len 99 but segments hold 100", Mbuf.check(m));
        Mbuf.setPktLen(m, 100);
        assertEquals(String.format("invalid handle 0x%08x", -1), Mbuf.check(-1));
        Mbuf.free(m);
    }

    @Test
    void invalidHandlesAreRejectedInDebugMode() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Mbuf.pktLen(-1));
        assertEquals("invalid mbuf handle 0xffffffff", e.getMessage());
    }

    @Test
    void dataRoomOutOfRangeIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MbufPool.builder("x", region).dataRoom(70000).build());
        assertTrue(e.getMessage().contains("data room 70000 out of range"), e.getMessage());
    }

    static byte[] seq(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) i;
        }
        return b;
    }
}
