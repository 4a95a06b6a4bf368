package io.havnet.dataplane.net;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The Internet checksum (RFC 1071) and its incremental update (RFC 1624). Sums are kept in a
 * {@code long} of 16-bit words and folded at the end; callers chain partial sums (pseudo header,
 * header, payload) before {@link #fold}.
 */
public final class Checksum {
    private Checksum() {}

    private static final boolean LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    /**
     * Adds the bytes {@code [off, off+len)} as big-endian 16-bit words to {@code initial}
     * (an odd trailing byte is padded with zero). Returns the unfolded sum.
     *
     * <p>Eight bytes a step in the machine's own order: a one's-complement sum does not depend on
     * byte order up to a swap of the folded result (RFC 1071 §2(B)), and a swap is a
     * multiplication by 256 modulo 0xFFFF, so the swapped sum chains with big-endian sums as the
     * word-by-word sum would. What a caller folds is the same value either way.
     */
    public static long sum(MemorySegment seg, long off, int len, long initial) {
        int i = 0;
        long s = initial;
        if (len >= 8) {
            long w8 = 0;
            for (; i + 8 <= len; i += 8) {
                long w = seg.get(ValueLayout.JAVA_LONG_UNALIGNED, off + i);
                w8 += (w & 0xFFFF_FFFFL) + (w >>> 32);
            }
            int f = fold(w8);
            s += LITTLE_ENDIAN ? (f >>> 8 | f << 8) & 0xFFFF : f;
        }
        for (; i + 4 <= len; i += 4) {
            int w = seg.get(Net.BE32, off + i);
            s += (w >>> 16) + (w & 0xFFFF);
        }
        if (i + 2 <= len) {
            s += Short.toUnsignedInt(seg.get(Net.BE16, off + i));
            i += 2;
        }
        if (i < len) {
            s += Byte.toUnsignedInt(seg.get(Net.U8, off + i)) << 8;
        }
        return s;
    }

    /** Folds a sum to 16 bits (end-around carry). */
    public static int fold(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) sum;
    }

    /** The value for a checksum field: one's complement of the folded sum. */
    public static int finish(long sum) {
        return ~fold(sum) & 0xFFFF;
    }

    /** IPv4 header checksum over {@code headerLength} bytes; the checksum field must hold 0. */
    public static int ipv4Header(MemorySegment seg, long off, int headerLength) {
        return finish(sum(seg, off, headerLength, 0));
    }

    /** True when the IPv4 header of {@code headerLength} bytes at {@code off} carries a checksum that verifies. */
    public static boolean ipv4HeaderOk(MemorySegment seg, long off, int headerLength) {
        return fold(sum(seg, off, headerLength, 0)) == 0xFFFF;
    }

    /** Pseudo-header sum for IPv4 (RFC 768/9293): src, dst, protocol, L4 length. */
    public static long ipv4PseudoHeader(MemorySegment seg, long ipOff, int protocol, int l4Length) {
        long s = sum(seg, ipOff + Ipv4Flyweight.SRC, 8, 0);
        return s + protocol + l4Length;
    }

    /** Pseudo-header sum for IPv6 (RFC 8200 §8.1): src, dst, upper-layer length, next header. */
    public static long ipv6PseudoHeader(MemorySegment seg, long ipOff, int protocol, int l4Length) {
        long s = sum(seg, ipOff + Ipv6Flyweight.SRC, 32, 0);
        return s + (l4Length >>> 16) + (l4Length & 0xFFFF) + protocol;
    }

    /**
     * Checksum of an L4 segment (UDP, TCP, ICMPv6) given its pseudo-header sum; the checksum field
     * must hold 0. For UDP a computed 0 is sent as 0xFFFF (RFC 768).
     */
    public static int l4(MemorySegment seg, long l4Off, int l4Length, long pseudo, boolean udp) {
        int c = finish(sum(seg, l4Off, l4Length, pseudo));
        return udp && c == 0 ? 0xFFFF : c;
    }

    /**
     * RFC 1624 eqn. 3: the new checksum after a 16-bit word of the covered data changes from
     * {@code oldWord} to {@code newWord}: HC' = ~(~HC + ~m + m').
     */
    public static int update16(int checksum, int oldWord, int newWord) {
        long s = (~checksum & 0xFFFF) + (~oldWord & 0xFFFF) + (newWord & 0xFFFF);
        return ~fold(s) & 0xFFFF;
    }

    /** {@link #update16} for a 32-bit field (an address): two word updates. */
    public static int update32(int checksum, int oldValue, int newValue) {
        long s = (~checksum & 0xFFFF)
                + (~(oldValue >>> 16) & 0xFFFF) + (~oldValue & 0xFFFF)
                + (newValue >>> 16) + (newValue & 0xFFFF);
        return ~fold(s) & 0xFFFF;
    }
}
