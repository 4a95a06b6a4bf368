package io.havnet.nic;

import io.havnet.dataplane.ethdev.EthConf;
import io.havnet.dataplane.ethdev.Offloads;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.mbuf.OlFlags;
import io.havnet.dataplane.net.MacAddress;
import io.havnet.dataplane.net.PacketBuilder;
import io.havnet.dataplane.net.PacketType;
import io.havnet.dataplane.net.VlanFlyweight;
import io.havnet.nic.driver.PoolEthDev;
import io.havnet.nic.engine.NicCounters;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Where the L2 classifier sends each kind of frame (82599 §7.10.3). */
class ClassificationTest {
    static final long PEER = 0x02AA00000001L;
    static final long UNKNOWN = 0x02BB00000009L;

    static byte[] udp(long dst) {
        return PacketBuilder.ethernet(dst, PEER).ipv4("10.0.0.1", "10.0.0.2").udp(1, 2).padTo(60).build();
    }

    static byte[] tagged(long dst, int vid) {
        return PacketBuilder.ethernet(dst, PEER).vlan(VlanFlyweight.tci(0, 0, vid)).ipv4("10.0.0.1", "10.0.0.2").udp(1, 2)
                .padTo(64).build();
    }

    @Test
    void unicastBroadcastMulticastTaggedUntaggedAndUnknown() {
        try (NicTestBed t = new NicTestBed(3)) {
            NicTestBed.Guest a = t.guest(0, 1);
            NicTestBed.Guest b = t.guest(1, 1);
            NicTestBed.Guest c = t.guest(2, 1);
            PoolEthDev pf = t.pfPort();
            long ma = a.dev.macAddress().value();
            long mb = b.dev.macAddress().value();
            long group = 0x01005E000042L;
            assertTrue(b.dev.setMulticast(group));
            assertTrue(c.dev.vlanFilter(20, true));
            t.pf.setVfVlan(0, 10, 0); // a: port VLAN 10

            // unicast to b: b only
            t.fromWire(udp(mb));
            t.run();
            assertEquals(1, NicTestBed.received(b.dev, 0).size());
            assertEquals(0, NicTestBed.received(c.dev, 0).size());
            assertEquals(0, NicTestBed.received(pf, 0).size());

            // broadcast, untagged: b, c and the PF (a has a port VLAN: untagged frames are not its)
            t.fromWire(udp(MacAddress.BROADCAST.value()));
            t.run();
            assertEquals(0, NicTestBed.received(a.dev, 0).size());
            assertEquals(1, NicTestBed.received(b.dev, 0).size());
            assertEquals(1, NicTestBed.received(c.dev, 0).size());
            assertEquals(1, NicTestBed.received(pf, 0).size());
            assertEquals(1, t.nic.pool(1).counter(io.havnet.nic.vmdq.Pool.RX_BROADCAST));

            // multicast: the subscribed VF and the PF (all-multicast)
            t.fromWire(udp(group));
            t.run();
            assertEquals(1, NicTestBed.received(b.dev, 0).size());
            assertEquals(0, NicTestBed.received(c.dev, 0).size());
            assertEquals(1, NicTestBed.received(pf, 0).size());

            // tagged 10 to a: stripped, the tag in the mbuf
            t.fromWire(tagged(ma, 10));
            t.run();
            int[] m = new int[4];
            assertEquals(1, a.dev.rxBurst(0, m, 0, 4));
            assertEquals(60, Mbuf.pktLen(m[0]), "the 4-byte tag was removed");
            assertEquals(10, Mbuf.vlanTci(m[0]) & 0xFFF);
            assertTrue((Mbuf.olFlags(m[0]) & OlFlags.RX_VLAN_STRIPPED) != 0);
            assertEquals(PacketType.L3_IPV4, Mbuf.packetType(m[0]) & PacketType.L3_MASK);
            Mbuf.free(m[0]);

            // untagged to a (port VLAN 10): refused; tagged 20 to c (joined 20): kept with its tag
            t.fromWire(udp(ma), tagged(c.dev.macAddress().value(), 20), tagged(c.dev.macAddress().value(), 30));
            t.run();
            assertEquals(0, NicTestBed.received(a.dev, 0).size());
            List<byte[]> cGot = NicTestBed.received(c.dev, 0);
            assertEquals(1, cGot.size(), "VLAN 30 is not c's");
            assertEquals(64, cGot.getFirst().length, "c did not ask for VLAN stripping");

            // unknown unicast: the PF default pool; with the default pool off: no_pool
            long before = t.rx(NicCounters.RX_DROP_NO_POOL);
            t.fromWire(udp(UNKNOWN));
            t.run();
            assertEquals(1, NicTestBed.received(pf, 0).size());
            t.pf.setDefaultPool(false);
            t.fromWire(udp(UNKNOWN));
            t.run();
            assertEquals(0, NicTestBed.received(pf, 0).size());
            assertEquals(before + 1, t.rx(NicCounters.RX_DROP_NO_POOL));
            t.assertConserved();
        }
    }

    @Test
    void runtsAndOversizedFramesAreCountedDrops() {
        try (NicTestBed t = new NicTestBed(1)) {
            NicTestBed.Guest a = t.guest(0, 1);
            long ma = a.dev.macAddress().value();
            t.fromWire(new byte[10]);
            byte[] jumbo = PacketBuilder.ethernet(ma, PEER).ipv4("10.0.0.1", "10.0.0.2").udp(1, 2).padTo(3000).build();
            t.fromWire(jumbo);
            t.run();
            assertEquals(1, t.rx(NicCounters.RX_DROP_BAD_FRAME));
            assertEquals(1, t.rx(NicCounters.RX_DROP_TOO_LONG), "the pool's max frame is 1518 until the VF asks (LPE)");
            assertTrue(a.dev.setMaxFrame(9000));
            t.fromWire(jumbo);
            t.run();
            List<byte[]> got = NicTestBed.received(a.dev, 0);
            assertEquals(1, got.size(), "after SET_LPE 9000 the jumbo frame arrives (as a 2-segment chain)");
            assertArrayEquals(jumbo, got.getFirst());
            t.assertConserved();
        }
    }

    @Test
    void aFullRxQueueDropsAndCountsInsteadOfBlocking() {
        try (NicTestBed t = new NicTestBed(1)) {
            NicTestBed.Guest a = t.guest(0, 1);
            long ma = a.dev.macAddress().value();
            byte[][] frames = new byte[300][];
            for (int i = 0; i < frames.length; i++) {
                frames[i] = udp(ma);
            }
            for (int i = 0; i < 300; i += 100) {
                t.fromWire(java.util.Arrays.copyOfRange(frames, i, i + 100));
                t.run();
            }
            int got = NicTestBed.received(a.dev, 0).size();
            assertEquals(127, got, "a 128-descriptor ring holds 127 frames");
            assertEquals(300 - 127, t.rx(NicCounters.RX_DROP_QUEUE_FULL));
            assertEquals(300 - 127, t.nic.pool(0).counter(io.havnet.nic.vmdq.Pool.RX_DROPPED));
            t.assertConserved();
        }
    }

    @Test
    void promiscuousPoolsSeeEveryUnicastFrame() {
        try (NicTestBed t = new NicTestBed(2)) {
            NicTestBed.Guest a = t.guest(0, 1);
            NicTestBed.Guest b = t.guest(1, 1);
            t.nic.filters().setModes(1, true, true, true, true, false);
            t.fromWire(udp(a.dev.macAddress().value()), udp(UNKNOWN));
            t.run();
            assertEquals(1, NicTestBed.received(a.dev, 0).size());
            assertEquals(2, NicTestBed.received(b.dev, 0).size());
            t.assertConserved();
        }
    }

    @Test
    void vlanStripOffloadOfTheDriverRemovesTags() {
        try (NicTestBed t = new NicTestBed(1)) {
            NicTestBed.Guest a = t.guest(0, 1);
            a.dev.stop();
            NicTestBed.start(a.dev, 1, a.pool, EthConf.defaults().withRxOffloads(Offloads.RX_VLAN_STRIP));
            assertTrue(a.dev.vlanFilter(7, true));
            t.fromWire(tagged(a.dev.macAddress().value(), 7));
            t.run();
            int[] m = new int[2];
            assertEquals(1, a.dev.rxBurst(0, m, 0, 2));
            assertEquals(60, Mbuf.pktLen(m[0]));
            assertEquals(7, Mbuf.vlanTci(m[0]));
            Mbuf.free(m[0]);
            t.assertConserved();
        }
    }
}
