package io.havnet.nfv.fwd;

import io.havnet.dataplane.memory.OffHeap;
import io.havnet.dataplane.net.EthernetFlyweight;
import io.havnet.dataplane.net.Ipv4Flyweight;
import io.havnet.dataplane.net.Net;
import io.havnet.dataplane.net.UdpFlyweight;

import java.lang.foreign.MemorySegment;

/**
 * The frame testpmd's {@code txonly} sends: Ethernet / IPv4 / UDP with a zero-filled payload,
 * valid IPv4 checksum, UDP checksum 0 (allowed for IPv4, RFC 768). Frame sizes count the
 * Ethernet header but not the FCS, so a 64-byte frame on the wire is 60 bytes here.
 */
public final class TxTemplate {
    public static final int IP_SRC = Net.parseIpv4("198.18.0.1");   // RFC 2544 benchmarking range
    public static final int IP_DST = Net.parseIpv4("198.18.0.2");
    public static final int UDP_SRC = 9;
    public static final int UDP_DST = 9;
    /** Offset of the IPv4 header. */
    public static final int L3 = EthernetFlyweight.LENGTH;
    /** Offset of the UDP header. */
    public static final int L4 = L3 + Ipv4Flyweight.MIN_LENGTH;
    /** Smallest frame that holds the headers. */
    public static final int MIN_SIZE = L4 + UdpFlyweight.LENGTH;

    private TxTemplate() {}

    /**
     * A frame of {@code size} bytes (without FCS; a "64-byte frame" is {@code size} 60).
     *
     * @throws IllegalArgumentException when the size cannot hold Ethernet/IPv4/UDP or exceeds 9018
     */
    public static byte[] udp(int size, long srcMac, long dstMac) {
        if (size < MIN_SIZE || size > 9018) {
            throw new IllegalArgumentException("frame size " + size + " out of range [" + MIN_SIZE + ", 9018]");
        }
        MemorySegment s = OffHeap.copyOf(new byte[size]);
        new EthernetFlyweight().wrap(s, 0).dst(dstMac).src(srcMac).etherType(Net.ETHER_TYPE_IPV4);
        new Ipv4Flyweight().wrap(s, L3).versionAndHeaderLength(20).tos(0).totalLength(size - L3).id(0)
                .flagsAndFragment(0x4000).ttl(64).protocol(Net.IPPROTO_UDP).src(IP_SRC).dst(IP_DST).updateChecksum();
        new UdpFlyweight().wrap(s, L4).srcPort(UDP_SRC).dstPort(UDP_DST).length(size - L4).checksum(0);
        return s.toArray(Net.U8);
    }

    /** Frame size without FCS for a wire size that includes it (64 → 60). */
    public static int withoutFcs(int wireSize) {
        return wireSize - Net.ETHER_CRC_LEN;
    }
}
