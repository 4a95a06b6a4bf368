package io.havnet.dataplane.net;

import java.lang.foreign.MemorySegment;

/** ICMP (RFC 792) and ICMPv6 (RFC 4443) share this header: type, code, checksum, rest (id, seq). */
public final class IcmpFlyweight extends HeaderFlyweight {
    public static final int TYPE = 0;
    public static final int CODE = 1;
    public static final int CHECKSUM = 2;
    public static final int IDENTIFIER = 4;
    public static final int SEQUENCE = 6;
    public static final int LENGTH = 8;

    public static final int ECHO_REPLY = 0;
    public static final int ECHO_REQUEST = 8;
    public static final int V6_ECHO_REQUEST = 128;
    public static final int V6_ECHO_REPLY = 129;

    @Override
    public IcmpFlyweight wrap(MemorySegment segment, long offset) {
        super.wrap(segment, offset);
        return this;
    }

    public int type() {
        return u8(TYPE);
    }

    public IcmpFlyweight type(int t) {
        u8(TYPE, t);
        return this;
    }

    public int code() {
        return u8(CODE);
    }

    public IcmpFlyweight code(int c) {
        u8(CODE, c);
        return this;
    }

    public int checksum() {
        return u16(CHECKSUM);
    }

    public IcmpFlyweight checksum(int v) {
        u16(CHECKSUM, v);
        return this;
    }

    public int identifier() {
        return u16(IDENTIFIER);
    }

    public IcmpFlyweight identifier(int v) {
        u16(IDENTIFIER, v);
        return this;
    }

    public int sequence() {
        return u16(SEQUENCE);
    }

    public IcmpFlyweight sequence(int v) {
        u16(SEQUENCE, v);
        return this;
    }
}
