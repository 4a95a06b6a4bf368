package io.havnet.dataplane.net;

/**
 * Packet type classification stored in the mbuf's {@code packet_type}, with DPDK's
 * {@code RTE_PTYPE_*} values: one nibble per layer (L2, L3, L4, tunnel, inner L2/L3/L4).
 */
public final class PacketType {
    public static final int UNKNOWN = 0;

    public static final int L2_ETHER = 0x1;
    public static final int L2_ETHER_ARP = 0x3;
    public static final int L2_ETHER_LLDP = 0x4;
    public static final int L2_ETHER_VLAN = 0x6;
    public static final int L2_ETHER_QINQ = 0x7;
    public static final int L2_MASK = 0xF;

    public static final int L3_IPV4 = 0x10;
    public static final int L3_IPV4_EXT = 0x30;
    public static final int L3_IPV6 = 0x40;
    public static final int L3_IPV6_EXT = 0xC0;
    public static final int L3_MASK = 0xF0;

    public static final int L4_TCP = 0x100;
    public static final int L4_UDP = 0x200;
    public static final int L4_FRAG = 0x300;
    public static final int L4_ICMP = 0x500;
    public static final int L4_NONFRAG = 0x600;
    public static final int L4_MASK = 0xF00;

    public static final int TUNNEL_VXLAN = 0x3000;
    public static final int TUNNEL_ESP = 0x9000;
    public static final int TUNNEL_MASK = 0xF000;

    public static final int INNER_L2_ETHER = 0x10000;
    public static final int INNER_L2_ETHER_VLAN = 0x20000;
    public static final int INNER_L2_MASK = 0xF0000;

    public static final int INNER_L3_IPV4 = 0x100000;
    public static final int INNER_L3_IPV4_EXT = 0x200000;
    public static final int INNER_L3_IPV6 = 0x300000;
    public static final int INNER_L3_IPV6_EXT = 0x500000;
    public static final int INNER_L3_MASK = 0xF00000;

    public static final int INNER_L4_TCP = 0x1000000;
    public static final int INNER_L4_UDP = 0x2000000;
    public static final int INNER_L4_FRAG = 0x3000000;
    public static final int INNER_L4_ICMP = 0x5000000;
    public static final int INNER_L4_NONFRAG = 0x6000000;
    public static final int INNER_L4_MASK = 0xF000000;

    private PacketType() {}

    public static boolean isIpv4(int ptype) {
        int l3 = ptype & L3_MASK;
        return l3 == L3_IPV4 || l3 == L3_IPV4_EXT;
    }

    public static boolean isIpv6(int ptype) {
        int l3 = ptype & L3_MASK;
        return l3 == L3_IPV6 || l3 == L3_IPV6_EXT;
    }

    /** "L2_ETHER L3_IPV4 L4_UDP", as testpmd prints it. */
    public static String toString(int ptype) {
        StringBuilder b = new StringBuilder();
        append(b, switch (ptype & L2_MASK) {
            case L2_ETHER -> "L2_ETHER";
            case L2_ETHER_ARP -> "L2_ETHER_ARP";
            case L2_ETHER_LLDP -> "L2_ETHER_LLDP";
            case L2_ETHER_VLAN -> "L2_ETHER_VLAN";
            case L2_ETHER_QINQ -> "L2_ETHER_QINQ";
            default -> null;
        });
        append(b, switch (ptype & L3_MASK) {
            case L3_IPV4 -> "L3_IPV4";
            case L3_IPV4_EXT -> "L3_IPV4_EXT";
            case L3_IPV6 -> "L3_IPV6";
            case L3_IPV6_EXT -> "L3_IPV6_EXT";
            default -> null;
        });
        append(b, switch (ptype & L4_MASK) {
            case L4_TCP -> "L4_TCP";
            case L4_UDP -> "L4_UDP";
            case L4_FRAG -> "L4_FRAG";
            case L4_ICMP -> "L4_ICMP";
            case L4_NONFRAG -> "L4_NONFRAG";
            default -> null;
        });
        append(b, switch (ptype & TUNNEL_MASK) {
            case TUNNEL_VXLAN -> "TUNNEL_VXLAN";
            case TUNNEL_ESP -> "TUNNEL_ESP";
            default -> null;
        });
        append(b, switch (ptype & INNER_L2_MASK) {
            case INNER_L2_ETHER -> "INNER_L2_ETHER";
            case INNER_L2_ETHER_VLAN -> "INNER_L2_ETHER_VLAN";
            default -> null;
        });
        append(b, switch (ptype & INNER_L3_MASK) {
            case INNER_L3_IPV4 -> "INNER_L3_IPV4";
            case INNER_L3_IPV4_EXT -> "INNER_L3_IPV4_EXT";
            case INNER_L3_IPV6 -> "INNER_L3_IPV6";
            case INNER_L3_IPV6_EXT -> "INNER_L3_IPV6_EXT";
            default -> null;
        });
        append(b, switch (ptype & INNER_L4_MASK) {
            case INNER_L4_TCP -> "INNER_L4_TCP";
            case INNER_L4_UDP -> "INNER_L4_UDP";
            case INNER_L4_FRAG -> "INNER_L4_FRAG";
            case INNER_L4_ICMP -> "INNER_L4_ICMP";
            case INNER_L4_NONFRAG -> "INNER_L4_NONFRAG";
            default -> null;
        });
        return b.isEmpty() ? "UNKNOWN" : b.toString();
    }

    private static void append(StringBuilder b, String s) {
        if (s != null) {
            if (!b.isEmpty()) {
                b.append(' ');
            }
            b.append(s);
        }
    }
}
