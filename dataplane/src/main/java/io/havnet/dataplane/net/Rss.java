package io.havnet.dataplane.net;

import java.lang.foreign.MemorySegment;

/**
 * Receive-side scaling: which header fields feed the Toeplitz hash ({@code rss_hf}, DPDK's
 * {@code RTE_ETH_RSS_*}) and the hash of a classified frame. Input order follows the RSS
 * specification: source address, destination address, source port, destination port.
 */
public final class Rss {
    public static final int IPV4 = 1;
    public static final int NONFRAG_IPV4_TCP = 1 << 1;
    public static final int NONFRAG_IPV4_UDP = 1 << 2;
    public static final int IPV6 = 1 << 3;
    public static final int NONFRAG_IPV6_TCP = 1 << 4;
    public static final int NONFRAG_IPV6_UDP = 1 << 5;
    /** IP and TCP/UDP of both families. */
    public static final int IP_TCP_UDP = IPV4 | NONFRAG_IPV4_TCP | NONFRAG_IPV4_UDP | IPV6 | NONFRAG_IPV6_TCP
            | NONFRAG_IPV6_UDP;

    private Rss() {}

    /**
     * The RSS hash of a frame already run through {@code c}, or 0 when none of {@code rssHf}
     * applies (the caller then leaves RX_RSS_HASH unset).
     */
    public static int hash(Toeplitz t, MemorySegment seg, long off, PacketClassifier c, int rssHf) {
        int pt = c.packetType();
        if (c.malformed()) {
            return 0;
        }
        int l3 = c.l2Len();
        int l4Type = pt & PacketType.L4_MASK;
        boolean ports = l4Type == PacketType.L4_TCP || l4Type == PacketType.L4_UDP;
        if (PacketType.isIpv4(pt)) {
            int want = l4Type == PacketType.L4_TCP ? NONFRAG_IPV4_TCP : l4Type == PacketType.L4_UDP ? NONFRAG_IPV4_UDP : 0;
            int src = seg.get(Net.BE32, off + l3 + Ipv4Flyweight.SRC);
            int dst = seg.get(Net.BE32, off + l3 + Ipv4Flyweight.DST);
            if (ports && (rssHf & want) != 0) {
                long l4 = off + c.l4Offset();
                return t.hashIpv4Ports(src, dst, Short.toUnsignedInt(seg.get(Net.BE16, l4)),
                        Short.toUnsignedInt(seg.get(Net.BE16, l4 + 2)));
            }
            return (rssHf & IPV4) != 0 ? t.hashIpv4(src, dst) : 0;
        }
        if (PacketType.isIpv6(pt)) {
            int want = l4Type == PacketType.L4_TCP ? NONFRAG_IPV6_TCP : l4Type == PacketType.L4_UDP ? NONFRAG_IPV6_UDP : 0;
            if (ports && (rssHf & want) != 0) {
                int h = t.hash(seg, off + l3 + Ipv6Flyweight.SRC, 32, 0, 0);
                return t.hash(seg, off + c.l4Offset(), 4, 32, h);
            }
            return (rssHf & IPV6) != 0 ? t.hash(seg, off + l3 + Ipv6Flyweight.SRC, 32, 0, 0) : 0;
        }
        return 0;
    }
}
