package io.havnet.dataplane.net;

import java.lang.foreign.MemorySegment;

/** UDP header (RFC 768): source port, destination port, length, checksum. */
public final class UdpFlyweight extends HeaderFlyweight {
    public static final int SRC_PORT = 0;
    public static final int DST_PORT = 2;
    public static final int LENGTH_FIELD = 4;
    public static final int CHECKSUM = 6;
    public static final int LENGTH = 8;

    @Override
    public UdpFlyweight wrap(MemorySegment segment, long offset) {
        super.wrap(segment, offset);
        return this;
    }

    public int srcPort() {
        return u16(SRC_PORT);
    }

    public UdpFlyweight srcPort(int p) {
        u16(SRC_PORT, p);
        return this;
    }

    public int dstPort() {
        return u16(DST_PORT);
    }

    public UdpFlyweight dstPort(int p) {
        u16(DST_PORT, p);
        return this;
    }

    public int length() {
        return u16(LENGTH_FIELD);
    }

    public UdpFlyweight length(int v) {
        u16(LENGTH_FIELD, v);
        return this;
    }

    public int checksum() {
        return u16(CHECKSUM);
    }

    public UdpFlyweight checksum(int v) {
        u16(CHECKSUM, v);
        return this;
    }
}
