package io.havnet.dataplane.net;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Wire constants and network-order value layouts shared by the header flyweights. */
public final class Net {
    public static final ValueLayout.OfShort BE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    public static final ValueLayout.OfInt BE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    public static final ValueLayout.OfLong BE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    public static final ValueLayout.OfByte U8 = ValueLayout.JAVA_BYTE;

    public static final int ETHER_TYPE_IPV4 = 0x0800;
    public static final int ETHER_TYPE_ARP = 0x0806;
    public static final int ETHER_TYPE_VLAN = 0x8100;   // IEEE 802.1Q C-tag
    public static final int ETHER_TYPE_QINQ = 0x88A8;   // IEEE 802.1ad S-tag
    public static final int ETHER_TYPE_IPV6 = 0x86DD;
    public static final int ETHER_TYPE_LLDP = 0x88CC;

    public static final int IPPROTO_HOPOPTS = 0;
    public static final int IPPROTO_ICMP = 1;
    public static final int IPPROTO_TCP = 6;
    public static final int IPPROTO_UDP = 17;
    public static final int IPPROTO_IPV6 = 41;
    public static final int IPPROTO_ROUTING = 43;
    public static final int IPPROTO_FRAGMENT = 44;
    public static final int IPPROTO_ESP = 50;
    public static final int IPPROTO_AH = 51;
    public static final int IPPROTO_ICMPV6 = 58;
    public static final int IPPROTO_NONE = 59;
    public static final int IPPROTO_DSTOPTS = 60;
    public static final int IPPROTO_IPIP = 4;

    public static final int VXLAN_PORT = 4789;     // RFC 7348 §5
    public static final int IKE_NAT_T_PORT = 4500;

    public static final int ETHER_HDR_LEN = 14;
    public static final int VLAN_HDR_LEN = 4;
    public static final int IPV4_MIN_HDR_LEN = 20;
    public static final int IPV6_HDR_LEN = 40;
    public static final int UDP_HDR_LEN = 8;
    public static final int TCP_MIN_HDR_LEN = 20;
    public static final int ICMP_HDR_LEN = 8;
    public static final int ARP_HDR_LEN = 28;
    public static final int ESP_HDR_LEN = 8;
    public static final int VXLAN_HDR_LEN = 8;
    public static final int ETHER_CRC_LEN = 4;
    public static final int ETHER_MIN_LEN = 60;     // without FCS
    public static final int ETHER_MAX_LEN = 1514;   // without FCS, untagged
    /** Preamble, start-of-frame delimiter and inter-frame gap: what a frame takes on the wire beyond itself. */
    public static final int ETHER_PREAMBLE_AND_GAP = 20;

    private Net() {}

    /**
     * Bytes a frame of {@code len} (FCS excluded) takes on an Ethernet wire: padded to the minimum,
     * its FCS, the preamble and the gap — 84 for the shortest frame, 14.88 M a second at 10 Gbit/s.
     */
    public static int wireBytes(int len) {
        return Math.max(len, ETHER_MIN_LEN) + ETHER_CRC_LEN + ETHER_PREAMBLE_AND_GAP;
    }

    /** Dotted quad of an IPv4 address held in an int (network order value). */
    public static String ipv4ToString(int a) {
        return (a >>> 24) + "." + (a >>> 16 & 0xFF) + "." + (a >>> 8 & 0xFF) + "." + (a & 0xFF);
    }

    /** Parses a dotted quad into an int; IllegalArgumentException naming the text otherwise. */
    public static int parseIpv4(String s) {
        String[] p = s.trim().split("\\.", -1);
        if (p.length != 4) {
            throw new IllegalArgumentException("not an IPv4 address: '" + s + "'");
        }
        int a = 0;
        for (String part : p) {
            int v;
            try {
                v = Integer.parseInt(part);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not an IPv4 address: '" + s + "'");
            }
            if (v < 0 || v > 255 || part.isEmpty() || part.length() > 3) {
                throw new IllegalArgumentException("not an IPv4 address: '" + s + "'");
            }
            a = a << 8 | v;
        }
        return a;
    }
}
