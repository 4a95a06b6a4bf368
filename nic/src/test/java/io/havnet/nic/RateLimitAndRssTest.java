package io.havnet.nic;

import io.havnet.dataplane.ethdev.EthConf;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.mbuf.OlFlags;
import io.havnet.dataplane.net.Net;
import io.havnet.dataplane.net.PacketBuilder;
import io.havnet.dataplane.net.Rss;
import io.havnet.dataplane.net.Toeplitz;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class RateLimitAndRssTest {
    static final long PEER = 0x02AA00000001L;

    @Test
    void maxTxRateHoldsWithinFivePercentOverSimulatedSeconds() {
        try (NicTestBed t = new NicTestBed(1)) {
            NicTestBed.Guest a = t.guest(0, 1);
            t.pf.setVfMaxTxRate(0, 100); // Mbit/s
            byte[] f = PacketBuilder.ethernet(PEER, a.dev.macAddress().value()).ipv4("10.0.0.1", "10.0.0.2").udp(1, 2)
                    .padTo(1000).build();
            long wireBytes = 0;
            long simulated = 2_000_000_000L; // 2 s
            long step = 20_000; // 20 µs per round
            int offered = 0;
            for (long ns = 0; ns < simulated; ns += step) {
                // the guest keeps its TX ring full: it offers more than 100 Mbit/s
                offered += NicTestBed.send(a.dev, a.pool, f, f);
                t.runner.runOnce();
                for (byte[] w : t.wireOut()) {
                    wireBytes += w.length + Net.ETHER_CRC_LEN;
                }
                t.clock.advance(step);
            }
            double mbps = wireBytes * 8 / (simulated / 1e9) / 1e6;
            assertEquals(100, mbps, 5.0, "measured " + mbps + " Mbit/s, offered " + offered + " frames");
            assertTrue(t.tx(io.havnet.nic.engine.NicCounters.TX_RATE_LIMITED) > 0);
            t.pf.setVfMaxTxRate(0, 0);
            t.run();
            t.wireOut();
            t.assertConserved();
        }
    }

    @Test
    void rssSpreadsFlowsOverTheVfQueuesAndReportsTheToeplitzHash() {
        try (NicTestBed t = new NicTestBed(1)) { // 16 pools: 8 queues per pool
            NicTestBed.Guest a = t.guest(0, 4, EthConf.defaults().withRss(Rss.IP_TCP_UDP));
            long ma = a.dev.macAddress().value();
            Toeplitz tz = Toeplitz.defaultKey();
            int[] perQueue = new int[4];
            for (int batch = 0; batch < 10; batch++) {
                byte[][] frames = new byte[50][];
                for (int i = 0; i < 50; i++) {
                    int flow = batch * 50 + i;
                    frames[i] = PacketBuilder.ethernet(ma, PEER).ipv4(0x0A000001 + flow, 0x0A640001, 64).udp(1000 + flow, 80)
                            .padTo(60).build();
                }
                t.fromWire(frames);
                t.run();
                for (int q = 0; q < 4; q++) {
                    int[] m = new int[64];
                    int n;
                    while ((n = a.dev.rxBurst(q, m, 0, 64)) > 0) {
                        for (int i = 0; i < n; i++) {
                            byte[] b = Mbuf.toBytes(m[i]);
                            int src = java.nio.ByteBuffer.wrap(b, 26, 4).getInt();
                            int dst = java.nio.ByteBuffer.wrap(b, 30, 4).getInt();
                            int sp = java.nio.ByteBuffer.wrap(b, 34, 2).getShort() & 0xFFFF;
                            int dp = java.nio.ByteBuffer.wrap(b, 36, 2).getShort() & 0xFFFF;
                            int h = tz.hashIpv4Ports(src, dst, sp, dp);
                            assertEquals(h, Mbuf.rssHash(m[i]), "the descriptor carries the Toeplitz hash");
                            assertEquals((h & 127) % 4, q, "RETA: entry (hash & 127) names the queue");
                            perQueue[q]++;
                        }
                        Mbuf.freeBulk(m, 0, n);
                    }
                }
            }
            for (int q = 0; q < 4; q++) {
                assertTrue(perQueue[q] > 60, "queue " + q + " got " + perQueue[q] + " of 500 flows");
            }
            t.assertConserved();
        }
    }

    /** Frames of 64 flows to a 4-queue VF; returns the frames each queue got, freeing them. */
    private static List<List<Integer>> spread(NicTestBed t, NicTestBed.Guest a, boolean samePorts) {
        long ma = a.dev.macAddress().value();
        byte[][] frames = new byte[64][];
        for (int i = 0; i < frames.length; i++) {
            int sp = samePorts ? 1000 : 1000 + i;
            frames[i] = PacketBuilder.ethernet(ma, PEER).ipv4(samePorts ? 0x0A000001 + i : 0x0A000001, 0x0A640001, 64)
                    .udp(sp, 80).padTo(60).build();
        }
        t.fromWire(frames);
        t.run();
        List<List<Integer>> byQueue = new ArrayList<>();
        for (int q = 0; q < 4; q++) {
            List<Integer> got = new ArrayList<>();
            int[] m = new int[64];
            int n;
            while ((n = a.dev.rxBurst(q, m, 0, 64)) > 0) {
                for (int i = 0; i < n; i++) {
                    got.add((Mbuf.olFlags(m[i]) & OlFlags.RX_RSS_HASH) != 0 ? Mbuf.rssHash(m[i]) : 0);
                }
                Mbuf.freeBulk(m, 0, n);
            }
            byQueue.add(got);
        }
        return byQueue;
    }

    @Test
    void withoutRssFieldsEveryFrameLandsOnTheFirstQueueWithNoHash() {
        try (NicTestBed t = new NicTestBed(1)) {
            NicTestBed.Guest a = t.guest(0, 4); // rss_hf 0: RSS off, as DPDK's mq_mode NONE
            List<List<Integer>> q = spread(t, a, true);
            assertEquals(64, q.get(0).size(), "every flow on queue 0");
            for (int i = 1; i < 4; i++) {
                assertEquals(0, q.get(i).size());
            }
            assertTrue(q.get(0).stream().allMatch(h -> h == 0), "no RSS hash reported (RX_RSS_HASH unset)");
            assertEquals(0, t.nic.pool(0).rssFields());
            t.assertConserved();
        }
    }

    @Test
    void rssOverAddressesOnlyIgnoresThePortsAndAResetTurnsItOff() {
        try (NicTestBed t = new NicTestBed(1)) {
            NicTestBed.Guest a = t.guest(0, 4, EthConf.defaults().withRss(Rss.IPV4));
            // one address pair, 64 source ports: one hash, one queue
            List<List<Integer>> q = spread(t, a, false);
            int h = Toeplitz.defaultKey().hashIpv4(0x0A000001, 0x0A640001);
            int expected = (h & 127) % 4;
            assertEquals(64, q.get(expected).size(), "the ports do not feed the hash");
            assertTrue(q.get(expected).stream().allMatch(x -> x == h), "the hash of the addresses alone");
            // 64 address pairs: spread over the queues
            q = spread(t, a, true);
            for (int i = 0; i < 4; i++) {
                assertTrue(q.get(i).size() > 4, "queue " + i + " got " + q.get(i).size() + " of 64 flows");
            }
            t.pf.resetVf(0);
            t.run();
            assertEquals(0, t.nic.pool(0).rssFields(), "a VF reset turns RSS off until the driver programs it again");
            assertEquals(0, t.nic.vfRegisters(0).read(io.havnet.nic.regs.Registers.VFMRQC));
            a.dev.recover();
            assertEquals(Rss.IPV4, t.nic.pool(0).rssFields(), "the driver's recovery programs it again");
            t.assertConserved();
        }
    }

    @Test
    void aPortRefusesRssFieldsItCannotHash() {
        try (NicTestBed t = new NicTestBed(1)) {
            NicTestBed.Guest a = t.guest(0, 1);
            a.dev.stop();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> a.dev.configure(1, 1, EthConf.defaults().withRss(1 << 20)));
            assertTrue(e.getMessage().contains("RSS fields 0x100000 not supported"), e.getMessage());
            NicTestBed.start(a.dev, 1, a.pool, EthConf.defaults().withRss(Rss.IP_TCP_UDP)); // what it can hash, it takes
            assertEquals(Rss.IP_TCP_UDP, t.nic.pool(0).rssFields());
        }
    }
}
