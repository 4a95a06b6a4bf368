package io.havnet.nic;

import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.net.Net;
import io.havnet.dataplane.net.PacketBuilder;
import io.havnet.dataplane.net.Toeplitz;
import org.junit.jupiter.api.Test;

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
            NicTestBed.Guest a = t.guest(0, 4);
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
}
