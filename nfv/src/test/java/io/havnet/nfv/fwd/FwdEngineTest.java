package io.havnet.nfv.fwd;

import io.havnet.dataplane.agent.DeterministicRunner;
import io.havnet.dataplane.clock.ManualClock;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.mbuf.MbufPool;
import io.havnet.dataplane.memory.HugePagePolicy;
import io.havnet.dataplane.memory.MemoryRegion;
import io.havnet.dataplane.mempool.Mempool;
import io.havnet.dataplane.net.EthernetFlyweight;
import io.havnet.dataplane.net.Ipv4Flyweight;
import io.havnet.dataplane.net.PacketBuilder;
import io.havnet.dataplane.net.PacketClassifier;
import io.havnet.dataplane.net.PacketType;
import io.havnet.dataplane.net.UdpFlyweight;
import io.havnet.dataplane.pmd.RingEthDev;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Each forwarding engine over in-memory ring ports, driven by the deterministic runner:
 * wire A --(ring)--> port a0 ==engine==> port b0 --(ring)--> wire B.
 */
class FwdEngineTest {
    private static final long SRC = 0x020000000001L;
    private static final long DST = 0x020000000002L;
    private MemoryRegion region;
    private Mempool pool;
    private RingEthDev[] left;   // [0] = wire side, [1] = engine's rx port
    private RingEthDev[] right;  // [0] = engine's tx port, [1] = wire side

    @BeforeEach
    void setUp() {
        region = MemoryRegion.allocate("fwd-test", 16 << 20, HugePagePolicy.NEVER);
        pool = MbufPool.builder("fwd", region).count(1024).cacheSize(0).build();
        left = RingEthDev.pair("wireA", "a0", 1, 256);
        right = RingEthDev.pair("b0", "wireB", 1, 64);
    }

    @AfterEach
    void tearDown() {
        int[] a = new int[64];
        int n;
        while ((n = right[1].rxBurst(0, a, 0, 64)) > 0) {
            Mbuf.freeBulk(a, 0, n);
        }
        while ((n = left[1].rxBurst(0, a, 0, 64)) > 0) {
            Mbuf.freeBulk(a, 0, n);
        }
        for (RingEthDev d : new RingEthDev[] {left[0], left[1], right[0], right[1]}) {
            d.close();
        }
        assertEquals(0, pool.inUse(), () -> "leaked mbufs: " + pool.leakReport());
        pool.close();
        region.close();
    }

    private void inject(int count) {
        int[] a = new int[count];
        for (int i = 0; i < count; i++) {
            a[i] = Mbuf.fromBytes(pool, PacketBuilder.ethernet(DST, SRC).ipv4("10.0.0.1", "10.0.0.2").udp(1, 2)
                    .padTo(60).build());
        }
        assertEquals(count, left[0].txBurst(0, a, 0, count));
    }

    private int[] collect(int max) {
        int[] a = new int[max];
        int n = right[1].rxBurst(0, a, 0, max);
        return java.util.Arrays.copyOf(a, n);
    }

    @Test
    void ioForwardsEverythingUntouched() {
        inject(100);
        IoFwd io = new IoFwd(left[1], 0, right[0], 0, 32);
        DeterministicRunner r = new DeterministicRunner(io);
        // the 64-slot output ring fills up: drain it as a wire would
        int got = 0;
        for (int i = 0; i < 20 && got < 100; i++) {
            r.runOnce();
            int[] out = collect(64);
            for (int m : out) {
                assertEquals(60, Mbuf.pktLen(m));
                assertEquals(DST, new EthernetFlyweight().wrap(Mbuf.segment(m), Mbuf.dataOffset(m)).dst());
            }
            got += out.length;
            Mbuf.freeBulk(out, 0, out.length);
        }
        r.close();
        assertEquals(100, got);
        assertEquals(100, io.counters().get(FwdEngine.RX_PACKETS));
        assertEquals(100, io.counters().get(FwdEngine.TX_PACKETS));
        assertEquals(0, io.counters().get(FwdEngine.FWD_DROPPED));
    }

    @Test
    void framesTheTxQueueRefusesAreFreedAndCounted() {
        inject(100);
        IoFwd io = new IoFwd(left[1], 0, right[0], 0, 32);
        DeterministicRunner r = new DeterministicRunner(io);
        r.runUntilIdle();
        r.close();
        long sent = io.counters().get(FwdEngine.TX_PACKETS);
        long dropped = io.counters().get(FwdEngine.FWD_DROPPED);
        assertEquals(64, sent, "the output ring holds 64");
        assertEquals(36, dropped);
        assertEquals(100, sent + dropped, "every frame is sent or counted as dropped");
        assertEquals(64, pool.inUse(), "only the 64 frames in the output ring are still held");
    }

    @Test
    void macswapSwapsAndMacRewrites() {
        inject(2);
        MacSwapFwd swap = new MacSwapFwd(left[1], 0, right[0], 0, 32);
        new DeterministicRunner(swap).runUntilIdle();
        int[] out = collect(8);
        assertEquals(2, out.length);
        EthernetFlyweight eth = new EthernetFlyweight();
        eth.wrap(Mbuf.segment(out[0]), Mbuf.dataOffset(out[0]));
        assertEquals(SRC, eth.dst());
        assertEquals(DST, eth.src());
        Mbuf.freeBulk(out, 0, 2);

        inject(1);
        long peer = 0x0A0B0C0D0E0FL;
        MacFwd mac = new MacFwd(left[1], 0, right[0], 0, 32, peer);
        new DeterministicRunner(mac).runUntilIdle();
        out = collect(8);
        eth.wrap(Mbuf.segment(out[0]), Mbuf.dataOffset(out[0]));
        assertEquals(peer, eth.dst());
        assertEquals(right[0].macAddress().value(), eth.src());
        Mbuf.freeBulk(out, 0, 1);
    }

    @Test
    void rxonlyFreesWhatItReceives() {
        inject(50);
        RxOnlyFwd rx = new RxOnlyFwd(left[1], 0, 16);
        new DeterministicRunner(rx).runUntilIdle();
        assertEquals(50, rx.counters().get(FwdEngine.RX_PACKETS));
        assertEquals(0, pool.inUse());
    }

    @Test
    void txonlyGeneratesValidFramesOverTheAskedFlowsAndStopsAtCount() {
        ManualClock clock = new ManualClock(777);
        TxOnlyFwd tx = new TxOnlyFwd(right[0], 0, pool, 16, TxTemplate.withoutFcs(64), 4, 40, DST, clock);
        DeterministicRunner r = new DeterministicRunner(tx);
        Set<Integer> srcPorts = new HashSet<>();
        PacketClassifier c = new PacketClassifier();
        int got = 0;
        for (int i = 0; i < 10; i++) {
            r.runOnce();
            for (int m : collect(64)) {
                got++;
                assertEquals(60, Mbuf.pktLen(m));
                assertEquals(777, Mbuf.timestamp(m));
                MemorySegment s = Mbuf.segment(m);
                long off = Mbuf.dataOffset(m);
                assertEquals(PacketType.L2_ETHER | PacketType.L3_IPV4 | PacketType.L4_UDP, c.classify(s, off, 60));
                Ipv4Flyweight ip = new Ipv4Flyweight().wrap(s, off + 14);
                assertTrue(ip.checksumOk(), "IPv4 checksum valid after the flow rewrite");
                srcPorts.add(new UdpFlyweight().wrap(s, off + 34).srcPort());
                Mbuf.free(m);
            }
        }
        r.close();
        assertEquals(40, got);
        assertTrue(tx.finished());
        assertEquals(4, srcPorts.size(), "frames spread over 4 flows");
        assertThrows(IllegalArgumentException.class,
                () -> new TxOnlyFwd(right[0], 0, pool, 16, 20, 1, 0, DST, clock));
    }

    @Test
    void txonlyCountsFramesItCouldNotMakeForLackOfMbufs() {
        int[] hold = new int[pool.size()];
        assertEquals(pool.size(), pool.getBulk(hold, 0, hold.length));
        TxOnlyFwd tx = new TxOnlyFwd(right[0], 0, pool, 8, 60, 1, 0, DST, System::nanoTime);
        assertEquals(0, tx.doWork());
        assertEquals(8, tx.counters().get(FwdEngine.TX_NOMBUF));
        pool.putBulk(hold, 0, hold.length);
    }

    @Test
    void flowgenDrainsRepliesAndGenerates() {
        inject(10);
        FlowGenFwd fg = new FlowGenFwd(left[1], 0, right[0], 0, pool, 8, 60, 16, DST, System::nanoTime);
        fg.doWork();
        assertEquals(8, fg.counters().get(FwdEngine.RX_PACKETS));
        assertEquals(8, fg.counters().get(FwdEngine.TX_PACKETS));
        fg.doWork();
        assertEquals(10, fg.counters().get(FwdEngine.RX_PACKETS));
    }

    @Test
    void modesParseByTestpmdName() {
        assertEquals(FwdMode.MACSWAP, FwdMode.parse("macswap"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FwdMode.parse("mac-swap"));
        assertEquals("unknown forwarding mode 'mac-swap' (expected io, mac, macswap, rxonly, txonly, flowgen)",
                e.getMessage());
    }
}
