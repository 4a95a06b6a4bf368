package io.havnet.dataplane.net;

import java.lang.foreign.MemorySegment;

/**
 * IPv4 header (RFC 791 §3.1).
 * <pre>
 *  0 ver:4 ihl:4 | 1 tos | 2 total length | 4 id | 6 flags:3 frag offset:13
 *  8 ttl | 9 protocol | 10 header checksum | 12 source | 16 destination | 20 options
 * </pre>
 */
public final class Ipv4Flyweight extends HeaderFlyweight {
    public static final int VER_IHL = 0;
    public static final int TOS = 1;
    public static final int TOTAL_LENGTH = 2;
    public static final int ID = 4;
    public static final int FLAGS_FRAG = 6;
    public static final int TTL = 8;
    public static final int PROTOCOL = 9;
    public static final int CHECKSUM = 10;
    public static final int SRC = 12;
    public static final int DST = 16;
    public static final int MIN_LENGTH = 20;

    @Override
    public Ipv4Flyweight wrap(MemorySegment segment, long offset) {
        super.wrap(segment, offset);
        return this;
    }

    public int version() {
        return u8(VER_IHL) >>> 4;
    }

    /** Header length in bytes (IHL × 4). */
    public int headerLength() {
        return (u8(VER_IHL) & 0xF) * 4;
    }

    public Ipv4Flyweight versionAndHeaderLength(int headerBytes) {
        u8(VER_IHL, 0x40 | headerBytes / 4);
        return this;
    }

    public int tos() {
        return u8(TOS);
    }

    public Ipv4Flyweight tos(int v) {
        u8(TOS, v);
        return this;
    }

    public int totalLength() {
        return u16(TOTAL_LENGTH);
    }

    public Ipv4Flyweight totalLength(int v) {
        u16(TOTAL_LENGTH, v);
        return this;
    }

    public int id() {
        return u16(ID);
    }

    public Ipv4Flyweight id(int v) {
        u16(ID, v);
        return this;
    }

    public int flagsAndFragment() {
        return u16(FLAGS_FRAG);
    }

    public Ipv4Flyweight flagsAndFragment(int v) {
        u16(FLAGS_FRAG, v);
        return this;
    }

    /** True for any fragment but an unfragmented packet (MF set or offset ≠ 0). */
    public boolean isFragment() {
        return (flagsAndFragment() & 0x3FFF) != 0;
    }

    public int ttl() {
        return u8(TTL);
    }

    public Ipv4Flyweight ttl(int v) {
        u8(TTL, v);
        return this;
    }

    public int protocol() {
        return u8(PROTOCOL);
    }

    public Ipv4Flyweight protocol(int v) {
        u8(PROTOCOL, v);
        return this;
    }

    public int checksum() {
        return u16(CHECKSUM);
    }

    public Ipv4Flyweight checksum(int v) {
        u16(CHECKSUM, v);
        return this;
    }

    public int src() {
        return u32(SRC);
    }

    public Ipv4Flyweight src(int a) {
        u32(SRC, a);
        return this;
    }

    public int dst() {
        return u32(DST);
    }

    public Ipv4Flyweight dst(int a) {
        u32(DST, a);
        return this;
    }

    /** Recomputes the header checksum over {@link #headerLength()} bytes. */
    public Ipv4Flyweight updateChecksum() {
        checksum(0);
        checksum(Checksum.ipv4Header(segment, offset, headerLength()));
        return this;
    }

    /** True when the header checksum verifies. */
    public boolean checksumOk() {
        return Checksum.ipv4HeaderOk(segment, offset, headerLength());
    }

    /**
     * Decrements TTL and patches the checksum incrementally (RFC 1624 eqn. 3), as a router does.
     */
    public void decrementTtl() {
        int oldWord = u16(TTL);
        int newWord = oldWord - 0x100;
        u8(TTL, ttl() - 1);
        checksum(Checksum.update16(checksum(), oldWord, newWord & 0xFFFF));
    }
}
