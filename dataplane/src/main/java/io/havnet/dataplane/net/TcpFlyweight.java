package io.havnet.dataplane.net;

import java.lang.foreign.MemorySegment;

/**
 * TCP header (RFC 9293 §3.1).
 * <pre>
 *  0 src port | 2 dst port | 4 seq | 8 ack | 12 data offset:4 rsv:4 | 13 flags | 14 window
 *  16 checksum | 18 urgent pointer | 20 options
 * </pre>
 */
public final class TcpFlyweight extends HeaderFlyweight {
    public static final int SRC_PORT = 0;
    public static final int DST_PORT = 2;
    public static final int SEQ = 4;
    public static final int ACK = 8;
    public static final int DATA_OFFSET = 12;
    public static final int FLAGS = 13;
    public static final int WINDOW = 14;
    public static final int CHECKSUM = 16;
    public static final int URGENT = 18;
    public static final int MIN_LENGTH = 20;

    public static final int FIN = 0x01;
    public static final int SYN = 0x02;
    public static final int RST = 0x04;
    public static final int PSH = 0x08;
    public static final int ACK_FLAG = 0x10;

    @Override
    public TcpFlyweight wrap(MemorySegment segment, long offset) {
        super.wrap(segment, offset);
        return this;
    }

    public int srcPort() {
        return u16(SRC_PORT);
    }

    public TcpFlyweight srcPort(int p) {
        u16(SRC_PORT, p);
        return this;
    }

    public int dstPort() {
        return u16(DST_PORT);
    }

    public TcpFlyweight dstPort(int p) {
        u16(DST_PORT, p);
        return this;
    }

    public int seq() {
        return u32(SEQ);
    }

    public TcpFlyweight seq(int v) {
        u32(SEQ, v);
        return this;
    }

    public int ack() {
        return u32(ACK);
    }

    public TcpFlyweight ack(int v) {
        u32(ACK, v);
        return this;
    }

    /** Header length in bytes (data offset × 4). */
    public int headerLength() {
        return (u8(DATA_OFFSET) >>> 4) * 4;
    }

    public TcpFlyweight headerLength(int bytes) {
        u8(DATA_OFFSET, bytes / 4 << 4);
        return this;
    }

    public int flags() {
        return u8(FLAGS);
    }

    public TcpFlyweight flags(int f) {
        u8(FLAGS, f);
        return this;
    }

    public int window() {
        return u16(WINDOW);
    }

    public TcpFlyweight window(int w) {
        u16(WINDOW, w);
        return this;
    }

    public int checksum() {
        return u16(CHECKSUM);
    }

    public TcpFlyweight checksum(int v) {
        u16(CHECKSUM, v);
        return this;
    }
}
