package io.havnet.dataplane.crypto;

import io.havnet.dataplane.TestEnv;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HexFormat;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** Both backends against the GCM specification's test vectors and against each other. */
class AesGcmTest {
    static final HexFormat HEX = HexFormat.of();

    static void need(CryptoBackend b) {
        TestEnv.require(b.available(), "crypto backend " + b.label() + ": " + b.unavailableReason());
    }

    /** McGrew and Viega, "The Galois/Counter Mode of Operation", test cases 4 (AES-128) and 16 (AES-256). */
    @ParameterizedTest
    @EnumSource(CryptoBackend.class)
    void specificationVectors(CryptoBackend b) {
        need(b);
        String p = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525"
                + "b16aedf5aa0de657ba637b39";
        String a = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
        vector(b, "feffe9928665731c6d6a8f9467308308", p, a,
                "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051b"
                        + "a30b396a0aac973d58e091", "5bc94fbc3221a5db94fae95ae7121a47");
        vector(b, "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", p, a,
                "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5"
                        + "f61e6393ba7a0abcc9f662", "76fc6ece0f4e1768cddf8853bb2d551b");
    }

    private static void vector(CryptoBackend b, String key, String pt, String aad, String ct, String tag) {
        byte[] salt = HEX.parseHex("cafebabe");
        byte[] iv = HEX.parseHex("facedbaddecaf888");
        byte[] p = HEX.parseHex(pt);
        byte[] ad = HEX.parseHex(aad);
        try (Arena arena = Arena.ofConfined(); AesGcm g = b.create(HEX.parseHex(key), salt)) {
            MemorySegment s = arena.allocate(256);
            MemorySegment.copy(ad, 0, s, ValueLayout.JAVA_BYTE, 0, ad.length);
            MemorySegment.copy(iv, 0, s, ValueLayout.JAVA_BYTE, 32, 8);
            MemorySegment.copy(p, 0, s, ValueLayout.JAVA_BYTE, 48, p.length);
            g.seal(s, 0, ad.length, 32, 48, p.length, 200);
            assertEquals(ct, HEX.formatHex(s.asSlice(48, p.length).toArray(ValueLayout.JAVA_BYTE)));
            assertEquals(tag, HEX.formatHex(s.asSlice(200, 16).toArray(ValueLayout.JAVA_BYTE)));
            assertTrue(g.open(s, 0, ad.length, 32, 48, p.length, 200));
            assertEquals(pt, HEX.formatHex(s.asSlice(48, p.length).toArray(ValueLayout.JAVA_BYTE)));
            s.set(ValueLayout.JAVA_BYTE, 39, (byte) 0x89); // a fresh IV: GCM must never seal twice under one
            g.seal(s, 0, ad.length, 32, 48, p.length, 200);
            s.set(ValueLayout.JAVA_BYTE, 210, (byte) (s.get(ValueLayout.JAVA_BYTE, 210) ^ 1));
            assertFalse(g.open(s, 0, ad.length, 32, 48, p.length, 200), "a flipped tag bit fails");
        }
    }

    @ParameterizedTest
    @EnumSource(CryptoBackend.class)
    void agreesWithTheOtherBackendOnRandomPackets(CryptoBackend b) {
        need(CryptoBackend.JDK);
        need(b);
        Random r = new Random(7);
        try (Arena arena = Arena.ofConfined()) {
            for (int len : new int[] {0, 1, 15, 16, 17, 64, 1400, 9000}) {
                byte[] key = new byte[len % 2 == 0 ? 16 : 32];
                byte[] salt = new byte[4];
                r.nextBytes(key);
                r.nextBytes(salt);
                MemorySegment s1 = arena.allocate(len + 64);
                byte[] rnd = new byte[len + 64];
                r.nextBytes(rnd);
                MemorySegment.copy(rnd, 0, s1, ValueLayout.JAVA_BYTE, 0, rnd.length);
                MemorySegment s2 = arena.allocate(len + 64);
                s2.copyFrom(s1);
                try (AesGcm x = CryptoBackend.JDK.create(key, salt); AesGcm y = b.create(key, salt)) {
                    x.seal(s1, 0, 8, 8, 16, len, 16 + len);
                    y.seal(s2, 0, 8, 8, 16, len, 16 + len);
                    assertEquals(-1, s1.mismatch(s2), "len " + len);
                    assertTrue(y.open(s1, 0, 8, 8, 16, len, 16 + len));
                    assertArrayEquals(java.util.Arrays.copyOf(rnd, 16 + len),
                            s1.asSlice(0, 16 + len).toArray(ValueLayout.JAVA_BYTE), "round trip, len " + len);
                    s1.set(ValueLayout.JAVA_BYTE, 0, (byte) (s1.get(ValueLayout.JAVA_BYTE, 0) ^ 0x40));
                    assertFalse(x.open(s1, 0, 8, 8, 16, len, 16 + len), "changed AAD fails, len " + len);
                }
            }
        }
    }
}
