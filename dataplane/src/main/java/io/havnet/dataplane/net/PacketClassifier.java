package io.havnet.dataplane.net;

import io.havnet.dataplane.mbuf.Mbuf;

import java.lang.foreign.MemorySegment;

import static io.havnet.dataplane.net.PacketType.*;

/**
 * Parses a frame's headers once and records what it found: the packet type
 * ({@link PacketType}), header offsets and lengths, VLAN tags, and whether the frame was cut
 * short inside a header it announced ({@link #malformed()}). A classifier is reusable: one per
 * agent, results overwritten by each call, nothing allocated.
 *
 * <p>Understands Ethernet II, 802.1Q, 802.1ad/QinQ, ARP, IPv4 (+options, fragments), IPv6 with
 * extension headers (hop-by-hop, routing, fragment, destination options, AH), TCP, UDP,
 * ICMP/ICMPv6, ESP and VXLAN (UDP port 4789) with its inner frame.
 */
public final class PacketClassifier {
    private static final int MAX_IPV6_EXT = 8;

    private int ptype;
    private boolean malformed;
    private int l2Len;
    private int l3Len;
    private int l4Len;
    private int l4Proto;
    private int vlanTci;
    private int outerVlanTci;
    private int vlanCount;
    private int innerL2Off;     // offset of the inner Ethernet header (VXLAN), or -1
    private int innerL3Off;
    private int innerL4Off;
    private int innerL4Proto;

    /**
     * Classifies {@code len} bytes of {@code seg} at {@code off}.
     *
     * @return the packet type (also {@link #packetType()})
     */
    public int classify(MemorySegment seg, long off, int len) {
        ptype = UNKNOWN;
        malformed = false;
        l2Len = l3Len = l4Len = 0;
        l4Proto = -1;
        vlanTci = outerVlanTci = 0;
        vlanCount = 0;
        innerL2Off = innerL3Off = innerL4Off = -1;
        innerL4Proto = -1;

        if (len < Net.ETHER_HDR_LEN) {
            malformed = true;
            return ptype;
        }
        int pos = Net.ETHER_HDR_LEN;
        int et = u16(seg, off + 12);
        int l2 = L2_ETHER;
        while ((et == Net.ETHER_TYPE_VLAN || et == Net.ETHER_TYPE_QINQ) && vlanCount < 2) {
            if (len < pos + Net.VLAN_HDR_LEN) {
                malformed = true;
                ptype = L2_ETHER;
                return ptype;
            }
            int tci = u16(seg, off + pos);
            if (vlanCount == 0) {
                vlanTci = tci;
            } else {
                outerVlanTci = vlanTci;
                vlanTci = tci;
            }
            vlanCount++;
            et = u16(seg, off + pos + 2);
            pos += Net.VLAN_HDR_LEN;
        }
        if (vlanCount == 1) {
            l2 = L2_ETHER_VLAN;
        } else if (vlanCount == 2) {
            l2 = L2_ETHER_QINQ;
        }
        l2Len = pos;
        if (et == Net.ETHER_TYPE_ARP && vlanCount == 0) {
            ptype = L2_ETHER_ARP;
            if (len < pos + Net.ARP_HDR_LEN) {
                malformed = true;
            }
            return ptype;
        }
        if (et == Net.ETHER_TYPE_LLDP && vlanCount == 0) {
            ptype = L2_ETHER_LLDP;
            return ptype;
        }
        ptype = l2;
        int l3 = parseL3(seg, off, pos, len, et, false);
        if (l3 < 0) {
            return ptype;
        }
        ptype |= l3 & 0xFFFF_FFFF;
        return ptype;
    }

    /** Parses L3 and L4 at {@code pos}; returns ptype bits to add, or -1 (stop). */
    private int parseL3(MemorySegment seg, long off, int pos, int len, int et, boolean inner) {
        int bits;
        int l4Off;
        int proto;
        if (et == Net.ETHER_TYPE_IPV4) {
            if (len < pos + Net.IPV4_MIN_HDR_LEN) {
                malformed = true;
                return -1;
            }
            int verIhl = u8(seg, off + pos);
            int ihl = (verIhl & 0xF) * 4;
            int total = u16(seg, off + pos + 2);
            if (verIhl >>> 4 != 4 || ihl < 20 || len < pos + ihl || total < ihl || total > len - pos) {
                malformed = true;
                return -1;
            }
            bits = inner ? (ihl > 20 ? INNER_L3_IPV4_EXT : INNER_L3_IPV4) : (ihl > 20 ? L3_IPV4_EXT : L3_IPV4);
            proto = u8(seg, off + pos + 9);
            l4Off = pos + ihl;
            if (!inner) {
                l3Len = ihl;
            }
            if ((u16(seg, off + pos + 6) & 0x3FFF) != 0) {
                setL4(inner, proto, l4Off);
                return bits | (inner ? INNER_L4_FRAG : L4_FRAG);
            }
            len = pos + total; // ignore Ethernet padding
        } else if (et == Net.ETHER_TYPE_IPV6) {
            if (len < pos + Net.IPV6_HDR_LEN) {
                malformed = true;
                return -1;
            }
            if (u8(seg, off + pos) >>> 4 != 6) {
                malformed = true;
                return -1;
            }
            int payload = u16(seg, off + pos + 4);
            if (payload > len - pos - Net.IPV6_HDR_LEN) {
                malformed = true;
                return -1;
            }
            len = pos + Net.IPV6_HDR_LEN + payload;
            proto = u8(seg, off + pos + 6);
            int p = pos + Net.IPV6_HDR_LEN;
            boolean ext = false;
            boolean frag = false;
            for (int i = 0; i < MAX_IPV6_EXT; i++) {
                if (proto == Net.IPPROTO_HOPOPTS || proto == Net.IPPROTO_ROUTING || proto == Net.IPPROTO_DSTOPTS) {
                    if (len < p + 8) {
                        malformed = true;
                        return -1;
                    }
                    ext = true;
                    int next = u8(seg, off + p);
                    p += (u8(seg, off + p + 1) + 1) * 8;
                    proto = next;
                } else if (proto == Net.IPPROTO_AH) {
                    if (len < p + 8) {
                        malformed = true;
                        return -1;
                    }
                    ext = true;
                    int next = u8(seg, off + p);
                    p += (u8(seg, off + p + 1) + 2) * 4;
                    proto = next;
                } else if (proto == Net.IPPROTO_FRAGMENT) {
                    if (len < p + 8) {
                        malformed = true;
                        return -1;
                    }
                    ext = true;
                    int next = u8(seg, off + p);
                    int fo = u16(seg, off + p + 2);
                    frag = (fo & 0xFFF9) != 0; // offset or M flag
                    p += 8;
                    proto = next;
                } else {
                    break;
                }
                if (p > len) {
                    malformed = true;
                    return -1;
                }
            }
            bits = inner ? (ext ? INNER_L3_IPV6_EXT : INNER_L3_IPV6) : (ext ? L3_IPV6_EXT : L3_IPV6);
            l4Off = p;
            if (!inner) {
                l3Len = p - pos;
            }
            if (frag) {
                setL4(inner, proto, l4Off);
                return bits | (inner ? INNER_L4_FRAG : L4_FRAG);
            }
        } else {
            return 0;
        }
        setL4(inner, proto, l4Off);
        int avail = len - l4Off;
        switch (proto) {
            case Net.IPPROTO_TCP -> {
                if (avail < Net.TCP_MIN_HDR_LEN) {
                    malformed = true;
                    return bits;
                }
                int thl = (u8(seg, off + l4Off + 12) >>> 4) * 4;
                if (thl < 20 || thl > avail) {
                    malformed = true;
                    return bits;
                }
                if (!inner) {
                    l4Len = thl;
                }
                return bits | (inner ? INNER_L4_TCP : L4_TCP);
            }
            case Net.IPPROTO_UDP -> {
                if (avail < Net.UDP_HDR_LEN) {
                    malformed = true;
                    return bits;
                }
                if (!inner) {
                    l4Len = Net.UDP_HDR_LEN;
                }
                int dport = u16(seg, off + l4Off + 2);
                if (!inner && dport == Net.VXLAN_PORT) {
                    int vx = l4Off + Net.UDP_HDR_LEN;
                    if (avail < Net.UDP_HDR_LEN + Net.VXLAN_HDR_LEN + Net.ETHER_HDR_LEN) {
                        malformed = true;
                        return bits | L4_UDP;
                    }
                    return bits | L4_UDP | TUNNEL_VXLAN | parseInner(seg, off, vx + Net.VXLAN_HDR_LEN, len);
                }
                return bits | (inner ? INNER_L4_UDP : L4_UDP);
            }
            case Net.IPPROTO_ICMP, Net.IPPROTO_ICMPV6 -> {
                if (avail < 4) {
                    malformed = true;
                    return bits;
                }
                if (!inner) {
                    l4Len = Math.min(avail, Net.ICMP_HDR_LEN);
                }
                return bits | (inner ? INNER_L4_ICMP : L4_ICMP);
            }
            case Net.IPPROTO_ESP -> {
                if (avail < Net.ESP_HDR_LEN) {
                    malformed = true;
                    return bits;
                }
                return inner ? bits | INNER_L4_NONFRAG : bits | TUNNEL_ESP;
            }
            default -> {
                return bits | (inner ? INNER_L4_NONFRAG : L4_NONFRAG);
            }
        }
    }

    private int parseInner(MemorySegment seg, long off, int pos, int len) {
        innerL2Off = pos;
        int et = u16(seg, off + pos + 12);
        int p = pos + Net.ETHER_HDR_LEN;
        int bits = INNER_L2_ETHER;
        if (et == Net.ETHER_TYPE_VLAN) {
            if (len < p + 4) {
                malformed = true;
                return bits;
            }
            et = u16(seg, off + p + 2);
            p += 4;
            bits = INNER_L2_ETHER_VLAN;
        }
        innerL3Off = p;
        int l3 = parseL3(seg, off, p, len, et, true);
        return l3 < 0 ? bits : bits | l3;
    }

    private void setL4(boolean inner, int proto, int l4Off) {
        if (inner) {
            innerL4Proto = proto;
            innerL4Off = l4Off;
        } else {
            l4Proto = proto;
        }
    }

    /**
     * Classifies the first segment of mbuf {@code m} and stores the packet type and header
     * lengths (l2/l3/l4_len) in it.
     *
     * @return the packet type
     */
    public int classify(int m) {
        int t = classify(Mbuf.segment(m), Mbuf.dataOffset(m), Mbuf.dataLen(m));
        Mbuf.setPacketType(m, t);
        Mbuf.setTxOffload(m, l2Len, l3Len, l4Len);
        return t;
    }

    public int packetType() {
        return ptype;
    }

    /** True when the frame ended inside a header it announced (or a length field lied). */
    public boolean malformed() {
        return malformed;
    }

    /** Bytes of L2 header, VLAN tags included; the L3 header starts here. */
    public int l2Len() {
        return l2Len;
    }

    public int l3Len() {
        return l3Len;
    }

    public int l4Len() {
        return l4Len;
    }

    /** Offset of the L4 header from the frame start. */
    public int l4Offset() {
        return l2Len + l3Len;
    }

    /** IP protocol / next header of the outer packet, or -1. */
    public int l4Protocol() {
        return l4Proto;
    }

    /** Number of VLAN tags (0, 1, 2). */
    public int vlanCount() {
        return vlanCount;
    }

    /** The innermost VLAN TCI (the C-tag of a QinQ pair), 0 if none. */
    public int vlanTci() {
        return vlanTci;
    }

    /** The outer (S-tag) TCI of a QinQ pair, 0 if none. */
    public int outerVlanTci() {
        return outerVlanTci;
    }

    /** Offset of the inner Ethernet header of a VXLAN packet, or -1. */
    public int innerL2Offset() {
        return innerL2Off;
    }

    public int innerL3Offset() {
        return innerL3Off;
    }

    public int innerL4Offset() {
        return innerL4Off;
    }

    public int innerL4Protocol() {
        return innerL4Proto;
    }

    private static int u8(MemorySegment s, long o) {
        return Byte.toUnsignedInt(s.get(Net.U8, o));
    }

    private static int u16(MemorySegment s, long o) {
        return Short.toUnsignedInt(s.get(Net.BE16, o));
    }
}
