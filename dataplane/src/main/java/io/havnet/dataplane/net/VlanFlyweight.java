package io.havnet.dataplane.net;

import java.lang.foreign.MemorySegment;

/**
 * The 4 bytes that follow a TPID of 0x8100 (802.1Q C-tag) or 0x88a8 (802.1ad S-tag): the TCI
 * (PCP:3 DEI:1 VID:12) and the encapsulated EtherType. Wrap it at Ethernet offset + 14.
 */
public final class VlanFlyweight extends HeaderFlyweight {
    public static final int TCI = 0;
    public static final int INNER_TYPE = 2;
    public static final int LENGTH = 4;

    @Override
    public VlanFlyweight wrap(MemorySegment segment, long offset) {
        super.wrap(segment, offset);
        return this;
    }

    public int tci() {
        return u16(TCI);
    }

    public VlanFlyweight tci(int tci) {
        u16(TCI, tci);
        return this;
    }

    public int vid() {
        return tci() & 0xFFF;
    }

    public int pcp() {
        return tci() >>> 13;
    }

    public int dei() {
        return tci() >>> 12 & 1;
    }

    public int innerType() {
        return u16(INNER_TYPE);
    }

    public VlanFlyweight innerType(int t) {
        u16(INNER_TYPE, t);
        return this;
    }

    /** A TCI from its parts; IllegalArgumentException when out of range. */
    public static int tci(int pcp, int dei, int vid) {
        if (pcp < 0 || pcp > 7 || dei < 0 || dei > 1 || vid < 0 || vid > 4095) {
            throw new IllegalArgumentException("bad VLAN tag: pcp " + pcp + " dei " + dei + " vid " + vid);
        }
        return pcp << 13 | dei << 12 | vid;
    }
}
