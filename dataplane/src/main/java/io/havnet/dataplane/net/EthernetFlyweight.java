package io.havnet.dataplane.net;

import java.lang.foreign.MemorySegment;

/**
 * Ethernet II header (IEEE 802.3 §3.1): destination, source, EtherType.
 * <pre>
 *  0      6      12   14
 *  | dst  | src  | type |
 * </pre>
 */
public final class EthernetFlyweight extends HeaderFlyweight {
    public static final int DST = 0;
    public static final int SRC = 6;
    public static final int ETHER_TYPE = 12;
    public static final int LENGTH = 14;

    @Override
    public EthernetFlyweight wrap(MemorySegment segment, long offset) {
        super.wrap(segment, offset);
        return this;
    }

    public long dst() {
        return mac(DST);
    }

    public EthernetFlyweight dst(long mac) {
        mac(DST, mac);
        return this;
    }

    public long src() {
        return mac(SRC);
    }

    public EthernetFlyweight src(long mac) {
        mac(SRC, mac);
        return this;
    }

    public int etherType() {
        return u16(ETHER_TYPE);
    }

    public EthernetFlyweight etherType(int t) {
        u16(ETHER_TYPE, t);
        return this;
    }

    /** Swaps source and destination in place (macswap forwarding). */
    public void swapMacs() {
        long d = dst();
        dst(src());
        src(d);
    }
}
