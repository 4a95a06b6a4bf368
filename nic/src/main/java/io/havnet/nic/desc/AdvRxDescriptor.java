package io.havnet.nic.desc;

/**
 * 82599 advanced receive descriptor, 16 bytes (datasheet §7.1.6).
 * <pre>
 *  read format (written by the driver):
 *   0  packet buffer address (64)
 *   8  header buffer address (64); bit 0 must be 0 (it is DD in write-back)
 *
 *  write-back format (written by the device):
 *   0  [3:0] RSS type | [16:4] packet type | [30:21] header length
 *   4  RSS hash (32)
 *   8  extended status [19:0] | extended error [31:20]    ← DD is bit 0, written last
 *  12  packet length (16)
 *  14  VLAN tag (16)
 * </pre>
 */
public final class AdvRxDescriptor {
    public static final int SIZE = 16;
    public static final int PKT_ADDR = 0;
    public static final int HDR_ADDR = 8;

    public static final int INFO = 0;
    public static final int RSS_HASH = 4;
    public static final int STATUS_ERROR = 8;
    public static final int LENGTH = 12;
    public static final int VLAN = 14;

    /** Descriptor done. */
    public static final int STAT_DD = 1;
    /** End of packet. */
    public static final int STAT_EOP = 1 << 1;
    /** VLAN packet: the tag is in the VLAN field (stripped when VME is on). */
    public static final int STAT_VP = 1 << 3;
    /** L4 checksum was checked. */
    public static final int STAT_L4CS = 1 << 5;
    /** IPv4 checksum was checked. */
    public static final int STAT_IPCS = 1 << 6;
    /** IPv4 checksum error. */
    public static final int ERR_IPE = 1 << 31;
    /** L4 checksum error. */
    public static final int ERR_L4E = 1 << 30;
    /** RX data error: the frame could not be stored (the buffer's DMA was refused); the descriptor is returned empty. */
    public static final int ERR_RXE = 1 << 29;
    /** Inline IPsec processed this frame (82599 SECP). */
    public static final int STAT_SECP = 1 << 17;
    /** Inline IPsec errors [28:27]: 01 invalid protocol, 10 invalid length, 11 authentication failed. */
    public static final int ERR_IPSEC_MASK = 3 << 27;
    public static final int ERR_IPSEC_LENGTH = 2 << 27;
    public static final int ERR_IPSEC_AUTH = 3 << 27;
    /** RSS type field: the hash is valid (we report TCP/UDP/IP types in one "valid" code). */
    public static final int RSS_TYPE_VALID = 1;

    /** Packet type field (write-back bits 16:4), 82599 encoding (datasheet §7.1.6.2). */
    public static final int PT_IPV4 = 1;
    public static final int PT_IPV4_EXT = 1 << 1;
    public static final int PT_IPV6 = 1 << 2;
    public static final int PT_IPV6_EXT = 1 << 3;
    public static final int PT_TCP = 1 << 4;
    public static final int PT_UDP = 1 << 5;
    public static final int PT_SCTP = 1 << 6;
    /** Not in the 82599's table; havnet reports ICMP, ESP, VXLAN and ARP here too. */
    public static final int PT_ICMP = 1 << 8;
    public static final int PT_ESP = 1 << 9;
    public static final int PT_VXLAN = 1 << 10;
    public static final int PT_ARP = 1 << 11;

    /** The descriptor packet type of a DPDK packet type. */
    public static int toHw(int ptype) {
        int l3 = ptype & io.havnet.dataplane.net.PacketType.L3_MASK;
        int l4 = ptype & io.havnet.dataplane.net.PacketType.L4_MASK;
        int t = 0;
        if (l3 == io.havnet.dataplane.net.PacketType.L3_IPV4) {
            t |= PT_IPV4;
        } else if (l3 == io.havnet.dataplane.net.PacketType.L3_IPV4_EXT) {
            t |= PT_IPV4 | PT_IPV4_EXT;
        } else if (l3 == io.havnet.dataplane.net.PacketType.L3_IPV6) {
            t |= PT_IPV6;
        } else if (l3 == io.havnet.dataplane.net.PacketType.L3_IPV6_EXT) {
            t |= PT_IPV6 | PT_IPV6_EXT;
        }
        if (l4 == io.havnet.dataplane.net.PacketType.L4_TCP) {
            t |= PT_TCP;
        } else if (l4 == io.havnet.dataplane.net.PacketType.L4_UDP) {
            t |= PT_UDP;
        } else if (l4 == io.havnet.dataplane.net.PacketType.L4_ICMP) {
            t |= PT_ICMP;
        }
        int tun = ptype & io.havnet.dataplane.net.PacketType.TUNNEL_MASK;
        if (tun == io.havnet.dataplane.net.PacketType.TUNNEL_ESP) {
            t |= PT_ESP;
        } else if (tun == io.havnet.dataplane.net.PacketType.TUNNEL_VXLAN) {
            t |= PT_VXLAN;
        }
        if ((ptype & io.havnet.dataplane.net.PacketType.L2_MASK) == io.havnet.dataplane.net.PacketType.L2_ETHER_ARP) {
            t |= PT_ARP;
        }
        return t;
    }

    /** The DPDK packet type of a descriptor packet type; {@code vlan} when the VP bit was set. */
    public static int fromHw(int hw, boolean vlan) {
        int p = io.havnet.dataplane.net.PacketType.L2_ETHER;
        if ((hw & PT_ARP) != 0) {
            return io.havnet.dataplane.net.PacketType.L2_ETHER_ARP;
        }
        if (vlan) {
            p = io.havnet.dataplane.net.PacketType.L2_ETHER_VLAN;
        }
        if ((hw & PT_IPV4) != 0) {
            p |= (hw & PT_IPV4_EXT) != 0 ? io.havnet.dataplane.net.PacketType.L3_IPV4_EXT
                    : io.havnet.dataplane.net.PacketType.L3_IPV4;
        } else if ((hw & PT_IPV6) != 0) {
            p |= (hw & PT_IPV6_EXT) != 0 ? io.havnet.dataplane.net.PacketType.L3_IPV6_EXT
                    : io.havnet.dataplane.net.PacketType.L3_IPV6;
        }
        if ((hw & PT_TCP) != 0) {
            p |= io.havnet.dataplane.net.PacketType.L4_TCP;
        } else if ((hw & PT_UDP) != 0) {
            p |= io.havnet.dataplane.net.PacketType.L4_UDP;
        } else if ((hw & PT_ICMP) != 0) {
            p |= io.havnet.dataplane.net.PacketType.L4_ICMP;
        }
        if ((hw & PT_ESP) != 0) {
            p |= io.havnet.dataplane.net.PacketType.TUNNEL_ESP;
        } else if ((hw & PT_VXLAN) != 0) {
            p |= io.havnet.dataplane.net.PacketType.TUNNEL_VXLAN;
        }
        return p;
    }

    private AdvRxDescriptor() {}
}
