package io.havnet.dataplane.net;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static io.havnet.dataplane.net.PacketType.*;
import static org.junit.jupiter.api.Assertions.*;

class PacketClassifierTest {
    private static final long A = 0x020000000001L;
    private static final long B = 0x020000000002L;
    private final PacketClassifier c = new PacketClassifier();

    private int classify(byte[] f) {
        return c.classify(MemorySegment.ofArray(f), 0, f.length);
    }

    @Test
    void ipv4Udp() {
        byte[] f = PacketBuilder.ethernet(B, A).ipv4("10.0.0.1", "10.0.0.2").udp(1000, 2000).padTo(60).build();
        assertEquals(L2_ETHER | L3_IPV4 | L4_UDP, classify(f));
        assertFalse(c.malformed());
        assertEquals(14, c.l2Len());
        assertEquals(20, c.l3Len());
        assertEquals(8, c.l4Len());
        assertEquals(Net.IPPROTO_UDP, c.l4Protocol());
        assertEquals("L2_ETHER L3_IPV4 L4_UDP", PacketType.toString(c.packetType()));
    }

    @Test
    void ipv4TcpAndIcmp() {
        assertEquals(L2_ETHER | L3_IPV4 | L4_TCP,
                classify(PacketBuilder.ethernet(B, A).ipv4("1.1.1.1", "2.2.2.2").tcp(1, 2, TcpFlyweight.SYN).build()));
        assertEquals(20, c.l4Len());
        assertEquals(L2_ETHER | L3_IPV4 | L4_ICMP,
                classify(PacketBuilder.ethernet(B, A).ipv4("1.1.1.1", "2.2.2.2").icmpEcho(true, 1, 1).build()));
    }

    @Test
    void vlanAndQinqTagsAreCountedAndRead() {
        byte[] f = PacketBuilder.ethernet(B, A).vlan(VlanFlyweight.tci(5, 0, 100)).ipv4("1.1.1.1", "2.2.2.2")
                .udp(1, 2).build();
        assertEquals(L2_ETHER_VLAN | L3_IPV4 | L4_UDP, classify(f));
        assertEquals(18, c.l2Len());
        assertEquals(1, c.vlanCount());
        assertEquals(100, c.vlanTci() & 0xFFF);
        assertEquals(5, c.vlanTci() >>> 13);

        byte[] q = PacketBuilder.ethernet(B, A).qinq(200).vlan(100).ipv6("2001:db8::1", "2001:db8::2").tcp(1, 2, 0)
                .build();
        assertEquals(L2_ETHER_QINQ | L3_IPV6 | L4_TCP, classify(q));
        assertEquals(22, c.l2Len());
        assertEquals(200, c.outerVlanTci());
        assertEquals(100, c.vlanTci());
    }

    @Test
    void arpIsRecognized() {
        byte[] f = PacketBuilder.ethernet(MacAddress.BROADCAST.value(), A)
                .arp(ArpFlyweight.REQUEST, A, Net.parseIpv4("10.0.0.1"), 0, Net.parseIpv4("10.0.0.2")).padTo(60).build();
        assertEquals(L2_ETHER_ARP, classify(f));
        assertTrue(new ArpFlyweight().wrap(MemorySegment.ofArray(f), 14).isEthernetIpv4());
    }

    @Test
    void ipv6ExtensionHeadersAreWalked() {
        byte[] f = PacketBuilder.ethernet(B, A).ipv6("2001:db8::1", "2001:db8::2").ipv6HopByHop().udp(1, 2).build();
        assertEquals(L2_ETHER | L3_IPV6_EXT | L4_UDP, classify(f));
        assertEquals(48, c.l3Len());
        assertEquals(14 + 48, c.l4Offset());
        byte[] frag = PacketBuilder.ethernet(B, A).ipv6("2001:db8::1", "2001:db8::2").ipv6Fragment(0x0001).udp(1, 2)
                .build();
        assertEquals(L2_ETHER | L3_IPV6_EXT | L4_FRAG, classify(frag));
        byte[] icmp6 = PacketBuilder.ethernet(B, A).ipv6("2001:db8::1", "2001:db8::2").icmpv6Echo(true, 1, 1).build();
        assertEquals(L2_ETHER | L3_IPV6 | L4_ICMP, classify(icmp6));
    }

    @Test
    void ipv4FragmentsAndOptionsAreMarked() {
        byte[] frag = PacketBuilder.ethernet(B, A).ipv4(1, 2, 64, 0, 7, 0x2000, -1).udp(1, 2).build();
        assertEquals(L2_ETHER | L3_IPV4 | L4_FRAG, classify(frag));
        byte[] f = PacketBuilder.ethernet(B, A).ipv4("1.1.1.1", "2.2.2.2").udp(1, 2).build();
        f[14] = 0x46; // IHL 6: one option word, still within the frame
        byte[] withOpt = new byte[f.length + 4];
        System.arraycopy(f, 0, withOpt, 0, 34);
        System.arraycopy(f, 34, withOpt, 38, f.length - 34);
        MemorySegment s = MemorySegment.ofArray(withOpt);
        new Ipv4Flyweight().wrap(s, 14).totalLength(withOpt.length - 14).updateChecksum();
        assertEquals(L2_ETHER | L3_IPV4_EXT | L4_UDP, classify(withOpt));
        assertEquals(24, c.l3Len());
    }

    @Test
    void espAndVxlanTunnelsAreRecognizedWithTheInnerFrame() {
        byte[] esp = PacketBuilder.ethernet(B, A).ipv4("203.0.113.1", "203.0.113.2").esp(0x1000, 1)
                .payload(new byte[40]).build();
        assertEquals(L2_ETHER | L3_IPV4 | TUNNEL_ESP, classify(esp));

        byte[] inner = PacketBuilder.ethernet(B, A).ipv4("10.0.0.1", "10.0.0.2").tcp(5, 6, 0).build();
        byte[] vx = PacketBuilder.ethernet(B, A).ipv4("192.0.2.1", "192.0.2.2").udp(40000, Net.VXLAN_PORT).vxlan(42)
                .payload(inner).build();
        assertEquals(L2_ETHER | L3_IPV4 | L4_UDP | TUNNEL_VXLAN | INNER_L2_ETHER | INNER_L3_IPV4 | INNER_L4_TCP,
                classify(vx));
        assertEquals(14 + 20 + 8 + 8, c.innerL2Offset());
        assertEquals(42, new VxlanFlyweight().wrap(MemorySegment.ofArray(vx), 42).vni());
    }

    @Test
    void framesCutInsideAHeaderAreMalformed() {
        byte[] f = PacketBuilder.ethernet(B, A).ipv4("1.1.1.1", "2.2.2.2").tcp(1, 2, 0).build();
        for (int len : new int[] {0, 10, 13, 20, 33, 40, 53}) {
            c.classify(MemorySegment.ofArray(f), 0, len);
            assertTrue(c.malformed(), "length " + len);
        }
        c.classify(MemorySegment.ofArray(f), 0, f.length);
        assertFalse(c.malformed());
        byte[] lying = Arrays.copyOf(f, f.length);
        MemorySegment s = MemorySegment.ofArray(lying);
        new Ipv4Flyweight().wrap(s, 14).totalLength(1500);
        c.classify(s, 0, lying.length);
        assertTrue(c.malformed(), "IPv4 total length beyond the frame");
        byte[] vlanCut = Arrays.copyOf(PacketBuilder.ethernet(B, A).vlan(1).ipv4("1.1.1.1", "2.2.2.2").build(), 16);
        c.classify(MemorySegment.ofArray(vlanCut), 0, 16);
        assertTrue(c.malformed());
    }

    @Test
    void ethernetPaddingIsNotMistakenForPayload() {
        byte[] f = PacketBuilder.ethernet(B, A).ipv4("1.1.1.1", "2.2.2.2").udp(1, 2).padTo(60).build();
        classify(f);
        assertFalse(c.malformed());
    }

    @Test
    void rssHashOfAClassifiedFrameMatchesTheTupleHash() {
        byte[] f = PacketBuilder.ethernet(B, A).ipv4("66.9.149.187", "161.142.100.80").tcp(2794, 1766, 0).build();
        classify(f);
        Toeplitz t = Toeplitz.defaultKey();
        assertEquals(0x51ccc178, Rss.hash(t, MemorySegment.ofArray(f), 0, c, Rss.IP_TCP_UDP));
        assertEquals(0x323e8fc2, Rss.hash(t, MemorySegment.ofArray(f), 0, c, Rss.IPV4));
        assertEquals(0, Rss.hash(t, MemorySegment.ofArray(f), 0, c, Rss.IPV6));
    }
}
