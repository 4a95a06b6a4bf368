package io.havnet.dataplane.net;

import io.havnet.dataplane.mbuf.Mbuf;

import java.lang.foreign.MemorySegment;

/**
 * Inserting and removing 802.1Q / 802.1ad tags in place in an mbuf: the MAC addresses move by
 * four bytes into the headroom (insert) or over the tag (remove); the payload does not move.
 */
public final class VlanTags {
    private VlanTags() {}

    /**
     * Inserts a tag with {@code tpid} (0x8100 or 0x88a8) and {@code tci} after the MAC addresses.
     *
     * @return false when the first segment has no 4 bytes of headroom (nothing changed)
     */
    public static boolean insert(int m, int tpid, int tci) {
        if (Mbuf.dataLen(m) < 12 || Mbuf.headroom(m) < 4) {
            return false;
        }
        long at = Mbuf.prepend(m, 4);
        MemorySegment s = Mbuf.segment(m);
        MemorySegment.copy(s, at + 4, s, at, 12);
        s.set(Net.BE16, at + 12, (short) tpid);
        s.set(Net.BE16, at + 14, (short) tci);
        return true;
    }

    /**
     * Removes the outermost tag (0x8100 or 0x88a8) if there is one.
     *
     * @return the removed TCI, or -1 when the frame was not tagged (nothing changed)
     */
    public static int strip(int m) {
        if (Mbuf.dataLen(m) < 18) {
            return -1;
        }
        MemorySegment s = Mbuf.segment(m);
        long at = Mbuf.dataOffset(m);
        int tpid = Short.toUnsignedInt(s.get(Net.BE16, at + 12));
        if (tpid != Net.ETHER_TYPE_VLAN && tpid != Net.ETHER_TYPE_QINQ) {
            return -1;
        }
        int tci = Short.toUnsignedInt(s.get(Net.BE16, at + 14));
        MemorySegment.copy(s, at, s, at + 4, 12);
        Mbuf.adj(m, 4);
        return tci;
    }

    /** The TCI of the outermost tag, or -1 when untagged. */
    public static int peek(int m) {
        if (Mbuf.dataLen(m) < 18) {
            return -1;
        }
        MemorySegment s = Mbuf.segment(m);
        long at = Mbuf.dataOffset(m);
        int tpid = Short.toUnsignedInt(s.get(Net.BE16, at + 12));
        if (tpid != Net.ETHER_TYPE_VLAN && tpid != Net.ETHER_TYPE_QINQ) {
            return -1;
        }
        return Short.toUnsignedInt(s.get(Net.BE16, at + 14));
    }
}
