package io.havnet.nic;

import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.mbuf.OlFlags;
import io.havnet.dataplane.net.MacAddress;
import io.havnet.dataplane.net.Net;
import io.havnet.dataplane.net.PacketBuilder;
import io.havnet.dataplane.net.VlanFlyweight;
import io.havnet.nic.engine.NicCounters;
import io.havnet.nic.vmdq.Pool;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** TX side: the VEB, anti-spoofing, VLAN insertion, checksum offloads. */
class SwitchingTest {
    static final long PEER = 0x02AA00000001L;

    static byte[] frame(long dst, long src) {
        return PacketBuilder.ethernet(dst, src).ipv4("10.0.0.1", "10.0.0.2").udp(1, 2).padTo(60).build();
    }

    @Test
    void vebKeepsVfToVfTrafficOffTheWire() {
        try (NicTestBed t = new NicTestBed(2)) {
            NicTestBed.Guest a = t.guest(0, 1);
            NicTestBed.Guest b = t.guest(1, 1);
            long ma = a.dev.macAddress().value();
            long mb = b.dev.macAddress().value();
            assertEquals(5, NicTestBed.send(a.dev, a.pool, frame(mb, ma), frame(mb, ma), frame(mb, ma), frame(mb, ma),
                    frame(mb, ma)));
            t.run();
            assertEquals(5, NicTestBed.received(b.dev, 0).size());
            assertEquals(0, t.wireOut().size(), "VF-to-VF frames never reach the wire");
            assertEquals(5, t.tx(NicCounters.TX_LOOPBACK));
            assertEquals(5, t.rx(NicCounters.RX_VEB));

            // a broadcast goes to the other VF and to the wire, not back to the sender
            assertEquals(1, NicTestBed.send(a.dev, a.pool, frame(MacAddress.BROADCAST.value(), ma)));
            t.run();
            assertEquals(1, NicTestBed.received(b.dev, 0).size());
            assertEquals(0, NicTestBed.received(a.dev, 0).size());
            assertEquals(1, t.wireOut().size());
            t.assertConserved();
        }
    }

    @Test
    void withTheVebOffEverythingGoesToTheWire() {
        try (NicTestBed t = new NicTestBed(2, 0, false, 2L << 20)) {
            NicTestBed.Guest a = t.guest(0, 1);
            NicTestBed.Guest b = t.guest(1, 1);
            NicTestBed.send(a.dev, a.pool, frame(b.dev.macAddress().value(), a.dev.macAddress().value()));
            t.run();
            assertEquals(0, NicTestBed.received(b.dev, 0).size());
            assertEquals(1, t.wireOut().size());
            t.assertConserved();
        }
    }

    @Test
    void spoofedFramesAreDroppedAndCountedOnlyWhenSpoofCheckIsOn() {
        try (NicTestBed t = new NicTestBed(1)) {
            NicTestBed.Guest a = t.guest(0, 1);
            long fake = 0x02DEADBEEF00L;
            NicTestBed.send(a.dev, a.pool, frame(PEER, fake), frame(PEER, fake));
            t.run();
            assertEquals(0, t.wireOut().size());
            assertEquals(2, t.tx(NicCounters.TX_DROP_SPOOF));
            assertEquals(2, t.pf.vfInfo(0).txSpoofed());
            t.pf.setVfSpoofCheck(0, false);
            NicTestBed.send(a.dev, a.pool, frame(PEER, fake));
            t.run();
            assertEquals(1, t.wireOut().size(), "spoof checking off: the frame leaves");
            // a VLAN the VF never joined is spoofing too
            t.pf.setVfSpoofCheck(0, true);
            byte[] tagged = PacketBuilder.ethernet(PEER, a.dev.macAddress().value()).vlan(99).ipv4("1.1.1.1", "2.2.2.2")
                    .udp(1, 2).padTo(64).build();
            NicTestBed.send(a.dev, a.pool, tagged);
            t.run();
            assertEquals(0, t.wireOut().size());
            assertEquals(3, t.tx(NicCounters.TX_DROP_SPOOF));
            assertTrue(a.dev.vlanFilter(99, true));
            NicTestBed.send(a.dev, a.pool, tagged);
            t.run();
            assertEquals(1, t.wireOut().size(), "after SET_VLAN 99 the tag is the VF's own");
            t.assertConserved();
        }
    }

    @Test
    void portVlanIsInsertedOnTransmitAndQosRidesInThePriorityBits() {
        try (NicTestBed t = new NicTestBed(1)) {
            NicTestBed.Guest a = t.guest(0, 1);
            t.pf.setVfVlan(0, 100, 3);
            byte[] f = frame(PEER, a.dev.macAddress().value());
            NicTestBed.send(a.dev, a.pool, f);
            t.run();
            List<byte[]> out = t.wireOut();
            assertEquals(1, out.size());
            byte[] w = out.getFirst();
            assertEquals(64, w.length);
            VlanFlyweight v = new VlanFlyweight().wrap(MemorySegment.ofArray(w), 14);
            assertEquals(Net.ETHER_TYPE_VLAN, ((w[12] & 0xFF) << 8) | (w[13] & 0xFF));
            assertEquals(100, v.vid());
            assertEquals(3, v.pcp());
            assertEquals(Net.ETHER_TYPE_IPV4, v.innerType());
            t.assertConserved();
        }
    }

    @Test
    void txVlanOffloadAndChecksumOffloadAreDoneByTheNic() {
        try (NicTestBed t = new NicTestBed(1)) {
            NicTestBed.Guest a = t.guest(0, 1);
            assertTrue(a.dev.vlanFilter(42, true));
            byte[] f = PacketBuilder.ethernet(PEER, a.dev.macAddress().value()).ipv4("10.0.0.1", "10.0.0.2").udp(7, 8)
                    .payload(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18}).build();
            f[24] = 0; // wipe the IPv4 checksum
            f[25] = 0;
            f[40] = 0; // and the UDP checksum
            f[41] = 0;
            int m = Mbuf.fromBytes(a.pool, f);
            Mbuf.setVlanTci(m, 42);
            Mbuf.setTxOffload(m, 14, 20, 8);
            Mbuf.setOlFlags(m, OlFlags.TX_VLAN | OlFlags.TX_IPV4 | OlFlags.TX_IP_CKSUM | OlFlags.TX_UDP_CKSUM);
            assertEquals(1, a.dev.txBurst(0, new int[] {m}, 0, 1));
            t.run();
            byte[] w = t.wireOut().getFirst();
            assertEquals(f.length + 4, w.length);
            MemorySegment s = MemorySegment.ofArray(w);
            assertEquals(42, new VlanFlyweight().wrap(s, 14).vid());
            assertTrue(new io.havnet.dataplane.net.Ipv4Flyweight().wrap(s, 18).checksumOk(), "the NIC filled the IPv4 checksum");
            long pseudo = io.havnet.dataplane.net.Checksum.ipv4PseudoHeader(s, 18, Net.IPPROTO_UDP, 26);
            assertEquals(0xFFFF, io.havnet.dataplane.net.Checksum.fold(io.havnet.dataplane.net.Checksum.sum(s, 38, 26, pseudo)),
                    "the NIC filled the UDP checksum");
            t.assertConserved();
        }
    }

    @Test
    void aLinkDisabledVfNeitherReceivesNorSends() {
        try (NicTestBed t = new NicTestBed(1)) {
            NicTestBed.Guest a = t.guest(0, 1);
            t.pf.setVfLinkState(0, io.havnet.nic.sriov.LinkState.DISABLE);
            assertFalse(a.dev.link().up());
            t.fromWire(frame(a.dev.macAddress().value(), PEER));
            NicTestBed.send(a.dev, a.pool, frame(PEER, a.dev.macAddress().value()));
            t.run();
            assertEquals(0, NicTestBed.received(a.dev, 0).size());
            assertEquals(0, t.wireOut().size());
            assertEquals(1, t.rx(NicCounters.RX_DROP_POOL_DOWN));
            assertEquals(1, t.tx(NicCounters.TX_DROP_LINK_DOWN));
            assertEquals(1, t.nic.pool(0).counter(Pool.TX_DROPPED));
            t.pf.setVfLinkState(0, io.havnet.nic.sriov.LinkState.AUTO);
            assertTrue(a.dev.link().up());
            t.assertConserved();
        }
    }
}
