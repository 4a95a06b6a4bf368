package io.havnet.dataplane.net;

import java.lang.foreign.MemorySegment;

/**
 * IPv6 fixed header (RFC 8200 §3).
 * <pre>
 *  0 ver:4 class:8 flow:20 | 4 payload length | 6 next header | 7 hop limit
 *  8 source (16) | 24 destination (16)
 * </pre>
 * Extension headers are walked by {@link PacketClassifier}.
 */
public final class Ipv6Flyweight extends HeaderFlyweight {
    public static final int VTC_FLOW = 0;
    public static final int PAYLOAD_LENGTH = 4;
    public static final int NEXT_HEADER = 6;
    public static final int HOP_LIMIT = 7;
    public static final int SRC = 8;
    public static final int DST = 24;
    public static final int LENGTH = 40;

    @Override
    public Ipv6Flyweight wrap(MemorySegment segment, long offset) {
        super.wrap(segment, offset);
        return this;
    }

    public int version() {
        return u8(VTC_FLOW) >>> 4;
    }

    public int vtcFlow() {
        return u32(VTC_FLOW);
    }

    public Ipv6Flyweight vtcFlow(int v) {
        u32(VTC_FLOW, v);
        return this;
    }

    public int trafficClass() {
        return vtcFlow() >>> 20 & 0xFF;
    }

    public int flowLabel() {
        return vtcFlow() & 0xFFFFF;
    }

    public int payloadLength() {
        return u16(PAYLOAD_LENGTH);
    }

    public Ipv6Flyweight payloadLength(int v) {
        u16(PAYLOAD_LENGTH, v);
        return this;
    }

    public int nextHeader() {
        return u8(NEXT_HEADER);
    }

    public Ipv6Flyweight nextHeader(int v) {
        u8(NEXT_HEADER, v);
        return this;
    }

    public int hopLimit() {
        return u8(HOP_LIMIT);
    }

    public Ipv6Flyweight hopLimit(int v) {
        u8(HOP_LIMIT, v);
        return this;
    }

    /** 64-bit half of the source address: 0 = high, 1 = low. */
    public long src(int half) {
        return segment.get(Net.BE64, offset + SRC + 8L * half);
    }

    public long dst(int half) {
        return segment.get(Net.BE64, offset + DST + 8L * half);
    }

    public Ipv6Flyweight src(long hi, long lo) {
        segment.set(Net.BE64, offset + SRC, hi);
        segment.set(Net.BE64, offset + SRC + 8, lo);
        return this;
    }

    public Ipv6Flyweight dst(long hi, long lo) {
        segment.set(Net.BE64, offset + DST, hi);
        segment.set(Net.BE64, offset + DST + 8, lo);
        return this;
    }
}
