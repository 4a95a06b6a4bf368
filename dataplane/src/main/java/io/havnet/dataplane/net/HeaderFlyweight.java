package io.havnet.dataplane.net;

import java.lang.foreign.MemorySegment;

/**
 * Base of the header flyweights: a reusable view over a header at {@code offset} of a segment.
 * {@link #wrap} re-points it at another packet; nothing is allocated per packet. Multi-byte
 * fields are network order.
 */
public abstract class HeaderFlyweight {
    protected MemorySegment segment;
    protected long offset;

    /** Points this flyweight at the header that starts at {@code offset} of {@code segment}. */
    public HeaderFlyweight wrap(MemorySegment segment, long offset) {
        this.segment = segment;
        this.offset = offset;
        return this;
    }

    public final MemorySegment segment() {
        return segment;
    }

    public final long offset() {
        return offset;
    }

    protected final int u8(int at) {
        return Byte.toUnsignedInt(segment.get(Net.U8, offset + at));
    }

    protected final void u8(int at, int v) {
        segment.set(Net.U8, offset + at, (byte) v);
    }

    protected final int u16(int at) {
        return Short.toUnsignedInt(segment.get(Net.BE16, offset + at));
    }

    protected final void u16(int at, int v) {
        segment.set(Net.BE16, offset + at, (short) v);
    }

    protected final int u32(int at) {
        return segment.get(Net.BE32, offset + at);
    }

    protected final void u32(int at, int v) {
        segment.set(Net.BE32, offset + at, v);
    }

    protected final long mac(int at) {
        return (long) u16(at) << 32 | Integer.toUnsignedLong(u32(at + 2));
    }

    protected final void mac(int at, long mac) {
        u16(at, (int) (mac >>> 32));
        u32(at + 2, (int) mac);
    }
}
