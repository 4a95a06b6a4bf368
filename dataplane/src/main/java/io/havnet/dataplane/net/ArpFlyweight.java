package io.havnet.dataplane.net;

import java.lang.foreign.MemorySegment;

/**
 * ARP for IPv4 over Ethernet (RFC 826).
 * <pre>
 *  0 htype | 2 ptype | 4 hlen | 5 plen | 6 oper | 8 sha | 14 spa | 18 tha | 24 tpa | 28
 * </pre>
 */
public final class ArpFlyweight extends HeaderFlyweight {
    public static final int HTYPE = 0;
    public static final int PTYPE = 2;
    public static final int HLEN = 4;
    public static final int PLEN = 5;
    public static final int OPER = 6;
    public static final int SHA = 8;
    public static final int SPA = 14;
    public static final int THA = 18;
    public static final int TPA = 24;
    public static final int LENGTH = 28;

    public static final int REQUEST = 1;
    public static final int REPLY = 2;

    @Override
    public ArpFlyweight wrap(MemorySegment segment, long offset) {
        super.wrap(segment, offset);
        return this;
    }

    /** True when this is Ethernet/IPv4 ARP (htype 1, ptype 0x0800, 6/4-byte addresses). */
    public boolean isEthernetIpv4() {
        return u16(HTYPE) == 1 && u16(PTYPE) == Net.ETHER_TYPE_IPV4 && u8(HLEN) == 6 && u8(PLEN) == 4;
    }

    /** Writes the fixed Ethernet/IPv4 fields. */
    public ArpFlyweight ethernetIpv4() {
        u16(HTYPE, 1);
        u16(PTYPE, Net.ETHER_TYPE_IPV4);
        u8(HLEN, 6);
        u8(PLEN, 4);
        return this;
    }

    public int oper() {
        return u16(OPER);
    }

    public ArpFlyweight oper(int op) {
        u16(OPER, op);
        return this;
    }

    public long sha() {
        return mac(SHA);
    }

    public ArpFlyweight sha(long m) {
        mac(SHA, m);
        return this;
    }

    public int spa() {
        return u32(SPA);
    }

    public ArpFlyweight spa(int a) {
        u32(SPA, a);
        return this;
    }

    public long tha() {
        return mac(THA);
    }

    public ArpFlyweight tha(long m) {
        mac(THA, m);
        return this;
    }

    public int tpa() {
        return u32(TPA);
    }

    public ArpFlyweight tpa(int a) {
        u32(TPA, a);
        return this;
    }
}
