package io.havnet.nic;

import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.net.Net;
import io.havnet.dataplane.net.PacketBuilder;
import io.havnet.nic.engine.NicCounters;
import io.havnet.nic.regs.Registers;
import io.havnet.nic.sriov.LinkState;
import io.havnet.platform.memory.PageAllocator;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A port paced at its line rate serializes frames as a MAC does: never more than the rate on the
 * wire, preamble, FCS and inter-frame gap included, each way; what exceeds it waits (in the TX
 * queues, on the wire), it is never dropped for rate.
 */
class LineRateTest {
    static final long PEER = 0x02AA00000001L;

    /** Frames a second on a line of {@code mbps} for frames of {@code len} bytes (FCS excluded). */
    static double framesPerSecond(long mbps, int len) {
        return mbps * 1e6 / ((Math.max(len + 4, 64) + 20) * 8.0);
    }

    @Test
    void tenGigabitLineRateIsFourteenPointEightEightMillionMinimumFrames() {
        assertEquals(14_880_952, framesPerSecond(10_000, 60), 1.0);
        assertEquals(812_743, framesPerSecond(10_000, 1514), 1.0);
        // what the engines charge the line: padding, FCS, preamble and gap
        assertEquals(84, Net.wireBytes(60));
        assertEquals(84, Net.wireBytes(42), "a runt is padded to the minimum on the wire");
        assertEquals(1538, Net.wireBytes(1514));
    }

    @Test
    void transmitIsPacedAtTheLineRateAndTheRestWaitsInTheQueue() {
        for (int len : new int[] {60, 1514}) {
            try (NicTestBed t = new NicTestBed(1, 0, true, PageAllocator.PAGE_2M, 1000)) {
                NicTestBed.Guest a = t.guest(0, 1);
                byte[] f = PacketBuilder.ethernet(PEER, a.dev.macAddress().value()).ipv4("10.0.0.1", "10.0.0.2")
                        .udp(1, 2).padTo(len).build();
                long simulated = 100_000_000L; // 100 ms
                long step = 10_000; // 10 µs per round
                long offered = 0;
                long onWire = 0;
                for (long ns = 0; ns < simulated; ns += step) {
                    // the guest keeps its TX ring full: it offers more than the line carries
                    offered += NicTestBed.send(a.dev, a.pool, f, f, f, f, f, f, f, f, f, f, f, f, f, f, f, f);
                    t.runner.runOnce();
                    onWire += t.wireOut().size();
                    t.clock.advance(step);
                }
                double expected = framesPerSecond(1000, len) * simulated / 1e9;
                assertEquals(expected, onWire, expected * 0.01 + 2,
                        len + " B: " + onWire + " frames on a 1 Gbit/s line in 100 ms, offered " + offered);
                assertTrue(t.tx(NicCounters.TX_LINE_BUSY) > 0, "frames waited for the line");
                // nothing is dropped for rate: what the guest queued reaches the wire as the line frees
                for (int i = 0; i < 2_000 && onWire < offered; i++) {
                    t.runner.runOnce();
                    onWire += t.wireOut().size();
                    t.clock.advance(step);
                }
                assertEquals(offered, onWire, "every frame the guest queued went out");
                assertEquals(offered, t.tx(NicCounters.TX_WIRE));
                t.assertConserved();
            }
        }
    }

    @Test
    void receiveTakesTheWireAtTheLineRateAndLeavesTheRestOnIt() {
        try (NicTestBed t = new NicTestBed(1, 0, true, PageAllocator.PAGE_2M, 1000)) {
            NicTestBed.Guest a = t.guest(0, 1);
            byte[] f = PacketBuilder.ethernet(a.dev.macAddress().value(), PEER).ipv4("10.0.0.2", "10.0.0.1")
                    .udp(2, 1).padTo(1514).build();
            byte[][] burst = new byte[1000][];
            java.util.Arrays.fill(burst, f);
            t.fromWire(burst); // the far end put 1000 frames on the wire at once
            int got = receiveFor(t, a, 5_000_000L); // 5 ms
            double expected = framesPerSecond(1000, 1514) * 5e-3; // 406 frames
            assertEquals(expected, got, 40, "frames received from a 1 Gbit/s line in 5 ms (a burst of debt allowed)");
            assertTrue(t.rx(NicCounters.RX_LINE_BUSY) > 0);
            // the rest waited on the wire: all of them arrive, none is dropped
            got += receiveFor(t, a, 15_000_000L);
            assertEquals(1000, got);
            assertEquals(1000, t.rx(NicCounters.RX_DELIVERED));
            t.assertConserved();
        }
    }

    /** Runs the NIC in 10 µs steps of simulated time for {@code nanos}, the guest taking what arrives; returns how many. */
    private static int receiveFor(NicTestBed t, NicTestBed.Guest a, long nanos) {
        long step = 10_000;
        int got = 0;
        int[] m = new int[64];
        for (long ns = 0; ns < nanos; ns += step) {
            t.runner.runOnce();
            int n;
            while ((n = a.dev.rxBurst(0, m, 0, m.length)) > 0) {
                got += n;
                Mbuf.freeBulk(m, 0, n);
            }
            t.clock.advance(step);
        }
        return got;
    }

    @Test
    void anUnpacedPortCarriesWhateverTheEnginesMove() {
        try (NicTestBed t = new NicTestBed(1)) {
            NicTestBed.Guest a = t.guest(0, 1);
            byte[] f = PacketBuilder.ethernet(PEER, a.dev.macAddress().value()).ipv4("10.0.0.1", "10.0.0.2")
                    .udp(1, 2).padTo(1514).build();
            // 100 frames of 1518 B in one round of a clock that does not move: no line holds them
            int offered = 0;
            for (int i = 0; i < 10; i++) {
                offered += NicTestBed.send(a.dev, a.pool, f, f, f, f, f, f, f, f, f, f);
            }
            t.run();
            assertEquals(offered, t.wireOut().size());
            assertEquals(0, t.tx(NicCounters.TX_LINE_BUSY));
            t.assertConserved();
        }
    }

    /**
     * The port links at the least of the 82599's speeds that carries its line (10 Gb/s unpaced or
     * above it); the VF's driver reads it from VFLINKS as ixgbevf does, the PF's from the port.
     */
    @Test
    void thePortLinksAtTheLeastOfTheCardsSpeedsThatCarriesItsLine() {
        long[][] rateToSpeed = {{0, 10_000}, {50, 100}, {100, 100}, {200, 1_000}, {1_000, 1_000}, {2_500, 10_000},
                {10_000, 10_000}, {40_000, 10_000}};
        for (long[] c : rateToSpeed) {
            assertEquals(c[1], Nic.linkSpeedMbps(c[0]), "line rate " + c[0]);
        }
        for (long[] c : new long[][] {{0, 10_000}, {200, 1_000}, {50, 100}}) {
            try (NicTestBed t = new NicTestBed(1, 0, true, PageAllocator.PAGE_2M, c[0])) {
                NicTestBed.Guest a = t.guest(0, 1);
                int links = t.nic.vfRegisters(0).read(Registers.VFLINKS);
                assertEquals(Registers.LINKS_UP | Registers.linksSpeed((int) c[1]), links);
                assertEquals(c[1], a.dev.link().speedMbps(), "VF on a line of " + c[0]);
                assertEquals(c[1], t.pfPort().link().speedMbps(), "PF pool on a line of " + c[0]);
                t.pf.setVfLinkState(0, LinkState.DISABLE);
                assertEquals(0, t.nic.vfRegisters(0).read(Registers.VFLINKS) & Registers.LINKS_UP);
                assertFalse(a.dev.link().up());
            }
        }
    }

    @Test
    void aLineRateOutsideZeroToFourHundredGigabitIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Nic.builder("nic0", null, null).lineRateMbps(-1));
        assertEquals("line rate -1 Mbit/s is outside 0..400000", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Nic.builder("nic0", null, null).lineRateMbps(400_001));
    }
}
