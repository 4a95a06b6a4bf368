package io.havnet.dataplane.ethdev;

import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.mbuf.MbufPool;
import io.havnet.dataplane.memory.HugePagePolicy;
import io.havnet.dataplane.memory.MemoryRegion;
import io.havnet.dataplane.mempool.Mempool;
import io.havnet.dataplane.net.MacAddress;
import io.havnet.dataplane.pmd.RingEthDev;
import io.havnet.dataplane.ring.Ring;
import io.havnet.dataplane.ring.SpscRing;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The ethdev contract, shown on the ring PMD. */
class RingEthDevTest {
    private MemoryRegion region;
    private Mempool pool;

    @BeforeEach
    void setUp() {
        region = MemoryRegion.allocate("ethdev-test", 8 << 20, HugePagePolicy.NEVER);
        pool = MbufPool.builder("ethdev", region).count(256).cacheSize(0).build();
    }

    @AfterEach
    void tearDown() {
        assertEquals(0, pool.inUse(), () -> "leaked: " + pool.leakReport());
        pool.close();
        region.close();
    }

    @Test
    void framesSentOnOnePortArriveOnItsPeerWithStats() {
        RingEthDev[] p = RingEthDev.pair("a", "b", 2, 64);
        try {
            int[] tx = new int[10];
            for (int i = 0; i < 10; i++) {
                tx[i] = Mbuf.fromBytes(pool, new byte[60 + i]);
            }
            assertEquals(10, p[0].txBurst(1, tx, 0, 10));
            int[] rx = new int[32];
            assertEquals(0, p[1].rxBurst(0, rx, 0, 32), "queue 1 traffic does not show on queue 0");
            assertEquals(10, p[1].rxBurst(1, rx, 0, 32));
            for (int i = 0; i < 10; i++) {
                assertEquals(tx[i], rx[i], "mbufs cross the ring without a copy");
                assertEquals(p[1].portId(), Mbuf.port(rx[i]));
            }
            EthStats a = p[0].stats();
            EthStats b = p[1].stats();
            assertEquals(10, a.opackets());
            assertEquals(10 * 60 + 45, a.obytes());
            assertEquals(10, b.ipackets());
            assertEquals(10 * 60 + 45, b.ibytes());
            assertEquals(10, b.qIpackets()[1]);
            assertEquals(0, b.qIpackets()[0]);
            Mbuf.freeBulk(rx, 0, 10);
            p[1].statsReset();
            assertEquals(0, p[1].stats().ipackets());
        } finally {
            p[0].close();
            p[1].close();
        }
    }

    @Test
    void txReturnsHowManyItTookAndTheCallerKeepsTheRest() {
        RingEthDev[] p = RingEthDev.pair("a", "b", 1, 4);
        try {
            int[] tx = new int[6];
            assertEquals(6, pool.getBulk(tx, 0, 6));
            for (int i = 0; i < 6; i++) {
                Mbuf.reset(tx[i]);
            }
            assertEquals(4, p[0].txBurst(0, tx, 0, 6), "a 4-slot ring takes 4");
            assertEquals(4, p[0].stats().opackets(), "only what was taken counts as sent");
            Mbuf.freeBulk(tx, 4, 2); // the caller's two
            int[] rx = new int[8];
            assertEquals(4, p[1].rxBurst(0, rx, 0, 8));
            Mbuf.freeBulk(rx, 0, 4);
        } finally {
            p[0].close();
            p[1].close();
        }
    }

    @Test
    void lifecycleIsEnforcedWithClearMessages() {
        Ring r = new SpscRing("r", 16);
        try (RingEthDev d = RingEthDev.fromRings("lc", new Ring[] {r}, new Ring[] {r}, MacAddress.local(1))) {
            assertEquals(EthDev.State.UNCONFIGURED, d.state());
            IllegalArgumentException tooMany = assertThrows(IllegalArgumentException.class,
                    () -> d.configure(2, 1, EthConf.defaults()));
            assertEquals("lc: 2 RX queues asked, net_ring supports at most 1", tooMany.getMessage());
            IllegalArgumentException offload = assertThrows(IllegalArgumentException.class,
                    () -> d.configure(1, 1, EthConf.defaults().withRxOffloads(Offloads.RX_VLAN_STRIP)));
            assertEquals("lc: RX offloads [vlan_strip] not supported by net_ring", offload.getMessage());
            d.configure(1, 1, EthConf.defaults());
            d.rxQueueSetup(0, 16, null);
            IllegalStateException notReady = assertThrows(IllegalStateException.class, d::start);
            assertEquals("lc: TX queue 0 was not set up", notReady.getMessage());
            d.txQueueSetup(0, 16);
            assertThrows(IllegalArgumentException.class, () -> d.txQueueSetup(1, 16));
            d.start();
            assertTrue(d.link().up());
            assertThrows(IllegalStateException.class, () -> d.configure(1, 1, EthConf.defaults()));
            d.stop();
            int[] a = new int[4];
            assertEquals(0, d.rxBurst(0, a, 0, 4), "a stopped port receives nothing");
            assertFalse(d.link().up());
        }
    }

    @Test
    void portIdsAreReleasedOnClose() {
        RingEthDev[] p = RingEthDev.pair("x", "y", 1, 4);
        int id = p[0].portId();
        assertSame(p[0], EthDevs.get(id));
        p[0].close();
        p[1].close();
        assertNull(EthDevs.get(id));
    }
}
