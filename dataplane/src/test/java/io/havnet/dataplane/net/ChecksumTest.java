package io.havnet.dataplane.net;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class ChecksumTest {
    /** A captured IPv4 header whose checksum field holds 0xb861 (a common textbook example). */
    private static final byte[] HEADER = hex("450000730000400040110000c0a80001c0a800c7");

    @Test
    void ipv4HeaderChecksumMatchesAKnownHeader() {
        MemorySegment s = MemorySegment.ofArray(HEADER.clone());
        assertEquals(0xb861, Checksum.ipv4Header(s, 0, 20));
        Ipv4Flyweight ip = new Ipv4Flyweight().wrap(s, 0);
        ip.updateChecksum();
        assertEquals(0xb861, ip.checksum());
        assertTrue(ip.checksumOk());
        ip.ttl(63);
        assertFalse(ip.checksumOk(), "a changed header no longer verifies");
    }

    /** RFC 1071 word by word, big-endian: what {@link Checksum#sum} must agree with. */
    private static long reference(byte[] b, int off, int len, long initial) {
        long s = initial;
        for (int i = 0; i < len; i += 2) {
            int hi = b[off + i] & 0xFF;
            int lo = i + 1 < len ? b[off + i + 1] & 0xFF : 0;
            s += hi << 8 | lo;
        }
        return s;
    }

    @Test
    void sumsOfEveryLengthAndAlignmentFoldAsTheWordByWordSum() {
        Random rnd = new Random(1071);
        MemorySegment native_ = java.lang.foreign.Arena.ofAuto().allocate(1600);
        for (int t = 0; t < 20_000; t++) {
            int len = t < 200 ? t : rnd.nextInt(1500);
            int off = rnd.nextInt(64);
            byte[] b = new byte[off + len];
            int kind = rnd.nextInt(4); // random bytes, all zero, all 0xFF, all zero but one byte
            if (kind == 0) {
                rnd.nextBytes(b);
            } else if (kind == 2) {
                java.util.Arrays.fill(b, (byte) 0xFF);
            } else if (kind == 3 && len > 0) {
                b[off + rnd.nextInt(len)] = (byte) (1 + rnd.nextInt(255));
            }
            long initial = rnd.nextBoolean() ? 0 : rnd.nextInt(1 << 20);
            MemorySegment.copy(b, 0, native_, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, b.length);
            int want = Checksum.fold(reference(b, off, len, initial));
            assertEquals(want, Checksum.fold(Checksum.sum(native_, off, len, initial)),
                    "len " + len + " off " + off + " kind " + kind + " initial " + initial);
            assertEquals(want, Checksum.fold(Checksum.sum(MemorySegment.ofArray(b), off, len, initial)));
        }
    }

    @Test
    void incrementalUpdateEqualsFullRecomputationForRandomHeaders() {
        Random rnd = new Random(1624);
        Ipv4Flyweight ip = new Ipv4Flyweight();
        for (int i = 0; i < 10_000; i++) {
            byte[] h = new byte[20];
            rnd.nextBytes(h);
            h[0] = 0x45;
            MemorySegment s = MemorySegment.ofArray(h);
            ip.wrap(s, 0).updateChecksum();
            int ttl = 1 + rnd.nextInt(255);
            ip.ttl(ttl).updateChecksum();
            ip.decrementTtl();
            assertTrue(ip.checksumOk(), "RFC 1624 update must keep the header valid");
            int incremental = ip.checksum();
            ip.updateChecksum();
            assertEquals(ip.checksum(), incremental);

            int oldSrc = ip.src();
            int newSrc = rnd.nextInt();
            int c = Checksum.update32(ip.checksum(), oldSrc, newSrc);
            ip.src(newSrc);
            ip.checksum(c);
            assertTrue(ip.checksumOk(), "32-bit field update keeps the header valid");
        }
    }

    @Test
    void udpChecksumOverPseudoHeaderVerifiesToZero() {
        byte[] f = new byte[20 + 8 + 5];
        MemorySegment s = MemorySegment.ofArray(f);
        new Ipv4Flyweight().wrap(s, 0).versionAndHeaderLength(20).totalLength(f.length).ttl(64)
                .protocol(Net.IPPROTO_UDP).src(Net.parseIpv4("10.0.0.1")).dst(Net.parseIpv4("10.0.0.2"))
                .updateChecksum();
        UdpFlyweight u = new UdpFlyweight().wrap(s, 20).srcPort(1234).dstPort(53).length(13).checksum(0);
        f[28] = 'h';
        f[29] = 'e';
        f[30] = 'l';
        f[31] = 'l';
        f[32] = 'o';
        long pseudo = Checksum.ipv4PseudoHeader(s, 0, Net.IPPROTO_UDP, 13);
        u.checksum(Checksum.l4(s, 20, 13, pseudo, true));
        assertEquals(0xFFFF, Checksum.fold(Checksum.sum(s, 20, 13, pseudo)), "a valid segment sums to all ones");
    }

    @Test
    void oddLengthIsPaddedWithZero() {
        MemorySegment s = MemorySegment.ofArray(new byte[] {0x01, 0x02, 0x03});
        assertEquals(0x0102 + 0x0300, Checksum.sum(s, 0, 3, 0));
    }

    static byte[] hex(String h) {
        byte[] b = new byte[h.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(h.substring(2 * i, 2 * i + 2), 16);
        }
        return b;
    }
}
