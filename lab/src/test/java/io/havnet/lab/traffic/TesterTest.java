package io.havnet.lab.traffic;

import io.havnet.dataplane.agent.LcoreId;
import io.havnet.dataplane.clock.ManualClock;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.mbuf.MbufPool;
import io.havnet.dataplane.memory.HugePagePolicy;
import io.havnet.dataplane.memory.MemoryRegion;
import io.havnet.dataplane.mempool.Mempool;
import io.havnet.dataplane.net.Ipv4Flyweight;
import io.havnet.dataplane.net.Net;
import io.havnet.dataplane.pmd.RingEthDev;
import io.havnet.lab.scenario.Scenario;
import io.havnet.nfv.fwd.MacSwapFwd;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The tester's open loop, on a manual clock: probes leave at the rate asked, each a valid frame
 * for its target (addresses, IPv4 checksum, size, flow, magic, index, send time), every one that
 * comes back is counted with its latency, and making a probe allocates nothing.
 */
class TesterTest {
    private static final int[] IMIX = {64, 64, 576, 64, 64, 576, 64, 1518, 64, 576, 64, 576};
    private static final List<Tester.Target> TARGETS = List.of(
            new Tester.Target(0x020000000011L, Net.parseIpv4("10.9.0.1")),
            new Tester.Target(0x020000000012L, Net.parseIpv4("10.9.0.2")),
            new Tester.Target(0x020000000013L, Net.parseIpv4("10.9.0.3")));

    private MemoryRegion ram;
    private Mempool pool;
    private RingEthDev[] wire;
    private final ManualClock clock = new ManualClock(1_000_000_000L);
    private Tester tester;

    @BeforeEach
    void setUp() {
        LcoreId.acquire();
        ram = MemoryRegion.allocate("tester-test", 32L << 20, HugePagePolicy.NEVER);
        pool = MbufPool.builder("tester-test", ram).count(8191).build();
        wire = RingEthDev.pair("tester", "far", 1, 4096);
        tester = new Tester(wire[0], pool, clock);
    }

    @AfterEach
    void tearDown() {
        for (RingEthDev d : wire) {
            for (int m; (m = d.rxRing(0).dequeue()) != -1; ) {
                Mbuf.free(m);
            }
            d.close();
        }
        assertEquals(0, pool.inUse(), "every probe's mbuf is back: " + pool.leakReport());
        pool.close();
        ram.close();
        LcoreId.release();
    }

    @Test
    void openLoopSendsValidProbesAtTheRateAndCountsThemBack() {
        tester.start(TARGETS, Scenario.FrameSize.IMIX, 0, 1_000_000, 4); // 1 Mpps: one probe per µs
        int[] got = new int[64];
        int seq = 0;
        Ipv4Flyweight ip = new Ipv4Flyweight();
        for (int step = 0; step < 2_000; step++) {
            clock.advance(1_000);
            tester.doWork();
            int n;
            while ((n = wire[1].rxBurst(0, got, 0, got.length)) > 0) {
                for (int i = 0; i < n; i++, seq++) {
                    int m = got[i];
                    MemorySegment s = Mbuf.segment(m);
                    long off = Mbuf.dataOffset(m);
                    Tester.Target t = TARGETS.get(seq % TARGETS.size());
                    assertEquals(IMIX[seq % IMIX.length] - 4, Mbuf.pktLen(m), "probe " + seq + ": IMIX size without FCS");
                    long dst = (long) Short.toUnsignedInt(s.get(Net.BE16, off)) << 32 | s.get(Net.BE32, off + 2) & 0xFFFFFFFFL;
                    assertEquals(t.mac(), dst, "probe " + seq + ": to its target's MAC");
                    assertEquals(t.ip(), s.get(Net.BE32, off + 30), "probe " + seq + ": to its target's address");
                    assertTrue(ip.wrap(s, off + 14).checksumOk(), "probe " + seq + ": IPv4 checksum");
                    assertEquals(10000 + seq % 4, Short.toUnsignedInt(s.get(Net.BE16, off + 34)), "probe " + seq + ": its flow");
                    assertEquals(Tester.MAGIC, s.get(Net.BE32, off + Tester.P_MAGIC));
                    assertEquals(seq % TARGETS.size(), Short.toUnsignedInt(s.get(Net.BE16, off + Tester.P_TARGET)));
                    assertEquals(clock.nanoTime(), s.get(ValueLayout.JAVA_LONG_UNALIGNED, off + Tester.P_TS),
                            "probe " + seq + ": stamped when it left");
                }
                // the far end reflects them as a macswap guest would
                assertEquals(n, wire[1].txBurst(0, got, 0, n));
            }
        }
        assertTrue(Math.abs(seq - 2_000) <= 2, "2 ms at 1 Mpps: " + seq + " probes");
        assertEquals(seq, tester.offered());
        tester.drain();
        for (int i = 0; i < 2_100 && !tester.drained(1_000); i++) {
            clock.advance(1_000);
            tester.doWork();
        }
        assertTrue(tester.allReturned());
        assertEquals(seq, tester.delivered(), "every probe that came back is counted");
        assertEquals(0, tester.foreign());
        Histogram lat = tester.takeLatency();
        assertEquals(seq, lat.getTotalCount(), "and has its latency");
    }

    @Test
    void makingAndSinkingProbesAllocatesNothing() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        MacSwapFwd far = new MacSwapFwd(wire[1], 0, wire[1], 0, 32);
        tester.start(TARGETS, Scenario.FrameSize.IMIX, 0, 1_000_000, 16);
        run(far, 1_000_000); // warm up: let the JIT compile both sides
        long before = threads.getCurrentThreadAllocatedBytes();
        long offered0 = tester.offered();
        run(far, 300_000);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        long probes = tester.offered() - offered0;
        assertTrue(probes >= 290_000, "probes: " + probes);
        assertEquals(0, allocated, "bytes allocated making and sinking " + probes + " probes");
        drainThrough(far);
    }

    @Test
    void aLatencyFarLongerThanAnyBeforeIsRecordedWithoutAllocating() {
        // an auto-resizing histogram grows (an exception, new arrays, a copy) on the tester's lcore
        // the first time a latency exceeds everything before it
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        MacSwapFwd far = new MacSwapFwd(wire[1], 0, wire[1], 0, 32);
        tester.start(TARGETS, new Scenario.FrameSize(64), 16, 0, 1);
        run(far, 200_000); // latencies of 1 µs; the JIT compiles both sides
        tester.takeLatency();
        run(far, 10);
        clock.advance(10_000_000_000L); // the probes the far end just reflected come back 10 s late
        long before = threads.getCurrentThreadAllocatedBytes();
        tester.doWork();
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertEquals(0, allocated, "bytes allocated recording a latency of 10 s");
        Histogram lat = tester.takeLatency();
        assertTrue(lat.getMaxValue() >= 9_990_000_000L, "the 10 s latency is in the histogram: " + lat.getMaxValue());
        drainThrough(far);
    }

    @Test
    void probesHeldByAnLcoreOffItsCpuAreLateNotLost() {
        MacSwapFwd far = new MacSwapFwd(wire[1], 0, wire[1], 0, 32);
        long[] farRounds = {0};
        tester.start(TARGETS, new Scenario.FrameSize(64), 16, 0, 1);
        run(far, 1_000);
        tester.drain();
        tester.doWork();
        far.doWork(); // the far end takes the probes in flight, then loses its CPU
        farRounds[0]++;
        // as if the host had counted every probe out as dropped: only the rounds keep the wait going
        DrainWatch watch = new DrainWatch(tester, () -> farRounds.clone(), () -> Long.MAX_VALUE);
        for (int i = 0; i < 200; i++) { // 200 ms in which the tester polls and nothing comes back
            clock.advance(1_000_000);
            tester.doWork();
            assertFalse(watch.quiet(50_000_000L), "the lcore holding the probes has not run: they are late, not lost");
        }
        assertTrue(tester.drained(50_000_000L), "by time and the tester's polls alone they would count as lost");
        for (int i = 0; i < 10 && !tester.allReturned(); i++) {
            far.doWork(); // it runs again and sends them back
            farRounds[0]++;
            tester.doWork();
        }
        assertTrue(tester.allReturned());
    }

    @Test
    void probesALiveLcoreDoesNotReturnAreLostOnceItHasRunItsRounds() {
        long[] farRounds = {0};
        tester.start(TARGETS, new Scenario.FrameSize(64), 16, 0, 1);
        tester.doWork();
        tester.drain();
        long[] dropped = {0};
        DrainWatch watch = new DrainWatch(tester, () -> farRounds.clone(), () -> dropped[0]);
        int m;
        while ((m = wire[1].rxRing(0).dequeue()) != -1) {
            Mbuf.free(m); // the far end drops every probe, and counts it
            dropped[0]++;
        }
        int polls = 0;
        while (!watch.quiet(50_000_000L)) {
            clock.advance(1_000_000);
            tester.doWork();
            farRounds[0]++;
            assertTrue(++polls < 1_000, "a far end that runs and returns nothing ends the wait");
        }
        assertTrue(polls >= 50, "not before the quiet time: " + polls + " ms");
        assertFalse(tester.allReturned());
    }

    @Test
    void probesThatReachAnLcoreAfterItRanItsRoundsAreLateNotLost() {
        MacSwapFwd far = new MacSwapFwd(wire[1], 0, wire[1], 0, 32);
        long[] farRounds = {0};
        tester.start(TARGETS, new Scenario.FrameSize(64), 16, 0, 1);
        tester.doWork(); // the probes are on the wire, in the far end's queue
        tester.drain();
        DrainWatch watch = new DrainWatch(tester, () -> farRounds.clone(), () -> 0L);
        for (int i = 0; i < 200; i++) {
            // the far end's lcore runs its rounds, then loses its CPU before it polls the queue the
            // probes are in (on a host: a NIC core whose rounds came before the guests' sends)
            farRounds[0] += i == 1 ? 1_000 : 0;
            clock.advance(1_000_000);
            tester.doWork();
            assertFalse(watch.quiet(50_000_000L), "no drop was counted: the probes out are on their way, not lost");
        }
        assertTrue(tester.drained(50_000_000L), "by time and the tester's polls alone they would count as lost");
        assertEquals(16 * TARGETS.size(), tester.outstanding());
        for (int i = 0; i < 10 && !tester.allReturned(); i++) {
            far.doWork();
            farRounds[0]++;
            tester.doWork();
        }
        assertTrue(tester.allReturned(), "they come back once the far end runs");
        assertEquals(0, tester.outstanding());
    }

    /** Drains the tester with the far end still reflecting; every probe must come back. */
    private void drainThrough(MacSwapFwd far) {
        tester.drain();
        for (int i = 0; i < 10_000 && !tester.allReturned(); i++) {
            clock.advance(1_000);
            tester.doWork();
            far.doWork();
        }
        assertTrue(tester.allReturned());
    }

    private void run(MacSwapFwd far, int steps) {
        for (int i = 0; i < steps; i++) {
            clock.advance(1_000);
            tester.doWork();
            far.doWork();
        }
    }
}
