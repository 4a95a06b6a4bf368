package io.havnet.dataplane.net;

import java.lang.foreign.MemorySegment;

/**
 * ESP header (RFC 4303 §2): SPI and sequence number, followed by the payload (for AES-GCM, an
 * 8-byte explicit IV first, RFC 4106 §3).
 */
public final class EspFlyweight extends HeaderFlyweight {
    public static final int SPI = 0;
    public static final int SEQ = 4;
    public static final int LENGTH = 8;

    @Override
    public EspFlyweight wrap(MemorySegment segment, long offset) {
        super.wrap(segment, offset);
        return this;
    }

    public int spi() {
        return u32(SPI);
    }

    public EspFlyweight spi(int v) {
        u32(SPI, v);
        return this;
    }

    public int seq() {
        return u32(SEQ);
    }

    public EspFlyweight seq(int v) {
        u32(SEQ, v);
        return this;
    }
}
