package io.havnet.dataplane.net;

import java.lang.foreign.MemorySegment;

/**
 * The Toeplitz hash used for receive-side scaling (Microsoft RSS specification; 82599 datasheet
 * §7.1.2.8.1). For every input bit that is set, the 32-bit window of the key starting at that
 * bit is XORed into the result. This implementation precomputes, for each input byte position
 * and value, the XOR of its windows, so hashing costs one table load per input byte.
 */
public final class Toeplitz {
    /** The 40-byte key from the RSS specification, also the 82599's usual default. */
    public static final byte[] DEFAULT_KEY = {
        (byte) 0x6d, (byte) 0x5a, (byte) 0x56, (byte) 0xda, (byte) 0x25, (byte) 0x5b, (byte) 0x0e, (byte) 0xc2,
        (byte) 0x41, (byte) 0x67, (byte) 0x25, (byte) 0x3d, (byte) 0x43, (byte) 0xa3, (byte) 0x8f, (byte) 0xb0,
        (byte) 0xd0, (byte) 0xca, (byte) 0x2b, (byte) 0xcb, (byte) 0xae, (byte) 0x7b, (byte) 0x30, (byte) 0xb4,
        (byte) 0x77, (byte) 0xcb, (byte) 0x2d, (byte) 0xa3, (byte) 0x80, (byte) 0x30, (byte) 0xf2, (byte) 0x0c,
        (byte) 0x6a, (byte) 0x42, (byte) 0xb7, (byte) 0x3b, (byte) 0xbe, (byte) 0xac, (byte) 0x01, (byte) 0xfa,
    };

    private final byte[] key;
    private final int maxInput;
    private final int[] table; // [position * 256 + byte value]

    /** A hasher for {@code key}; inputs may be up to {@code key.length - 4} bytes. */
    public Toeplitz(byte[] key) {
        if (key.length < 8) {
            throw new IllegalArgumentException("RSS key must be at least 8 bytes, got " + key.length);
        }
        this.key = key.clone();
        this.maxInput = key.length - 4;
        this.table = new int[maxInput * 256];
        for (int pos = 0; pos < maxInput; pos++) {
            for (int bit = 0; bit < 8; bit++) {
                int window = window(this.key, pos * 8 + bit);
                int mask = 0x80 >>> bit;
                for (int v = 0; v < 256; v++) {
                    if ((v & mask) != 0) {
                        table[pos * 256 + v] ^= window;
                    }
                }
            }
        }
    }

    public static Toeplitz defaultKey() {
        return new Toeplitz(DEFAULT_KEY);
    }

    public byte[] key() {
        return key.clone();
    }

    /** The largest input this key can hash. */
    public int maxInput() {
        return maxInput;
    }

    /** 32 key bits starting at bit {@code bitOffset} (MSB first). */
    private static int window(byte[] key, int bitOffset) {
        int w = 0;
        for (int i = 0; i < 32; i++) {
            int b = bitOffset + i;
            int bit = key[b >>> 3] >>> (7 - (b & 7)) & 1;
            w = w << 1 | bit;
        }
        return w;
    }

    /** Hash of {@code len} bytes of {@code seg} at {@code off}, starting at input position {@code pos}. */
    public int hash(MemorySegment seg, long off, int len, int pos, int acc) {
        if (pos + len > maxInput) {
            throw new IllegalArgumentException("RSS input of " + (pos + len) + " bytes exceeds key capacity " + maxInput);
        }
        int h = acc;
        for (int i = 0; i < len; i++) {
            h ^= table[(pos + i) * 256 + Byte.toUnsignedInt(seg.get(Net.U8, off + i))];
        }
        return h;
    }

    /** Hash of a 32-bit value at input position {@code pos} (network order). */
    public int hash32(int value, int pos, int acc) {
        int b = pos * 256;
        return acc ^ table[b + (value >>> 24)] ^ table[b + 256 + (value >>> 16 & 0xFF)]
                ^ table[b + 512 + (value >>> 8 & 0xFF)] ^ table[b + 768 + (value & 0xFF)];
    }

    /** Hash of a 16-bit value at input position {@code pos}. */
    public int hash16(int value, int pos, int acc) {
        int b = pos * 256;
        return acc ^ table[b + (value >>> 8 & 0xFF)] ^ table[b + 256 + (value & 0xFF)];
    }

    /** RSS hash of an IPv4 pair: input = src, dst. */
    public int hashIpv4(int src, int dst) {
        return hash32(dst, 4, hash32(src, 0, 0));
    }

    /** RSS hash of an IPv4 TCP/UDP 4-tuple: input = src, dst, src port, dst port. */
    public int hashIpv4Ports(int src, int dst, int srcPort, int dstPort) {
        return hash16(dstPort, 10, hash16(srcPort, 8, hashIpv4(src, dst)));
    }

    /** Reference implementation, bit by bit, straight from the specification. */
    public static int hashReference(byte[] key, byte[] input) {
        int result = 0;
        for (int i = 0; i < input.length * 8; i++) {
            if ((input[i >>> 3] >>> (7 - (i & 7)) & 1) != 0) {
                result ^= window(key, i);
            }
        }
        return result;
    }
}
