package io.havnet.dataplane.net;

import java.lang.foreign.MemorySegment;

/**
 * VXLAN header (RFC 7348 §5).
 * <pre>
 *  0 flags (I = 0x08) | 1..3 reserved | 4..6 VNI | 7 reserved
 * </pre>
 */
public final class VxlanFlyweight extends HeaderFlyweight {
    public static final int FLAGS = 0;
    public static final int VNI = 4;
    public static final int LENGTH = 8;
    public static final int FLAG_VNI_VALID = 0x08;

    @Override
    public VxlanFlyweight wrap(MemorySegment segment, long offset) {
        super.wrap(segment, offset);
        return this;
    }

    public int flags() {
        return u8(FLAGS);
    }

    /** True when the I flag is set (VNI valid), as RFC 7348 requires. */
    public boolean vniValid() {
        return (flags() & FLAG_VNI_VALID) != 0;
    }

    public int vni() {
        return u32(VNI) >>> 8;
    }

    /** Writes flags = I, reserved = 0 and the 24-bit VNI. */
    public VxlanFlyweight vni(int vni) {
        if (vni < 0 || vni > 0xFFFFFF) {
            throw new IllegalArgumentException("VNI " + vni + " out of range [0, 16777215]");
        }
        u32(FLAGS, FLAG_VNI_VALID << 24);
        u32(VNI, vni << 8);
        return this;
    }
}
