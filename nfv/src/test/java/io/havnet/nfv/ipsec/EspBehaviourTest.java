package io.havnet.nfv.ipsec;

import io.havnet.dataplane.crypto.CryptoBackend;
import io.havnet.dataplane.net.PacketBuilder;
import io.havnet.nfv.NfHarness;
import io.havnet.nfv.config.ConfigException;
import org.junit.jupiter.api.Test;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Sequence numbers, the replay window, tampering, policies and bad configurations. */
class EspBehaviourTest {
    static final int L = 0xCB007101; // 203.0.113.1
    static final int R = 0xCB007102;
    static final TunnelFactory.Pair PAIR = TunnelFactory.create(L, R, new int[] {0x0A010000, 16}, new int[] {0x0A020000, 16},
            Aead.AES_128_GCM, 128, new SecureRandom());

    static byte[] plain(String src, String dst, int i) {
        return PacketBuilder.ethernet(2, 1).ipv4(src, dst).udp(40000 + i, 33333).payload(new byte[i % 300]).build();
    }

    /** Left encrypts {@code n} packets 10.1 → 10.2; returns the ESP frames in order. */
    static List<byte[]> esp(int n) {
        List<byte[]> out = new ArrayList<>();
        try (Sad sad = new Sad(PAIR.left().sas(), CryptoBackend.JDK);
             NfHarness h = new NfHarness((rx, tx) -> new EspEncap(rx, tx, 32, PAIR.left(), sad))) {
            for (int i = 0; i < n; i++) {
                out.add(h.one(plain("10.1.0.5", "10.2.0.7", i)));
            }
            assertEquals(n, h.count("protected"));
        }
        return out;
    }

    @Test
    void theTunnelFactorysPairTalks() {
        List<byte[]> e = esp(50);
        try (Sad sad = new Sad(PAIR.right().sas(), CryptoBackend.JDK);
             NfHarness h = new NfHarness((rx, tx) -> new EspDecap(rx, tx, 32, PAIR.right(), sad))) {
            for (int i = 0; i < e.size(); i++) {
                assertArrayEquals(plain("10.1.0.5", "10.2.0.7", i), h.one(e.get(i)), "packet " + i);
            }
            assertEquals(50, h.count("decrypted"));
            // right's reply direction is its own out policy: 10.2 -> 10.1 through the other SA
        }
        GatewayConfig back = GatewayConfig.parse("left.yaml", PAIR.left().toYaml());
        assertEquals(PAIR.left().policies(), back.policies());
        assertEquals(PAIR.left().sas().get(0).keyHex(), back.sas().get(0).keyHex());
        assertNotEquals(PAIR.left().sas().get(0).keyHex(), PAIR.left().sas().get(1).keyHex(), "a key per direction");
    }

    @Test
    void replaysOldPacketsAndForgeriesAreDroppedAndCounted() {
        List<byte[]> e = esp(300);
        try (Sad sad = new Sad(PAIR.right().sas(), CryptoBackend.JDK);
             NfHarness h = new NfHarness((rx, tx) -> new EspDecap(rx, tx, 32, PAIR.right(), sad))) {
            assertNotNull(h.one(e.get(9)));      // seq 10
            assertNull(h.one(e.get(9)));         // again
            assertEquals(1, h.count("replayed"));
            assertNotNull(h.one(e.get(4)));      // seq 5: late but inside the 128 window
            assertNotNull(h.one(e.get(249)));    // seq 250 moves the window to [123, 250]
            assertNull(h.one(e.get(99)));        // seq 100: left of it
            assertEquals(1, h.count("too_old"));
            assertNotNull(h.one(e.get(199)));    // seq 200: inside, first time
            byte[] forged = e.get(299).clone();  // seq 300 with a broken ICV must not move the window
            forged[forged.length - 1] ^= 1;
            assertNull(h.one(forged));
            byte[] flipped = e.get(298).clone(); // one ciphertext bit
            flipped[60] ^= 0x10;
            assertNull(h.one(flipped));
            assertEquals(2, h.count("auth_failed"));
            assertNotNull(h.one(e.get(130)), "seq 131 still inside: the forgery did not move the window");
            assertNotNull(h.one(e.get(299)), "the genuine seq 300 is accepted");
            byte[] unknown = e.get(10).clone();
            unknown[34] ^= 0x55;                 // SPI
            assertNull(h.one(unknown));
            assertEquals(1, h.count("unknown_spi"));
            byte[] cut = Arrays.copyOf(e.get(11), 14 + 20 + 8 + 8 + 5);
            cut[16] = 0;
            cut[17] = (byte) (cut.length - 14);  // a consistent IP length over a too-short ESP payload
            assertNull(h.one(cut));
            byte[] lies = e.get(12).clone();
            lies[17] = (byte) (lies[17] + 40);   // IP total length beyond the frame
            assertNull(h.one(lies));
            assertEquals(2, h.count("malformed"));
            assertNull(h.one(plain("10.1.0.1", "10.2.0.1", 1)), "clear text where a protect policy applies");
            assertEquals(1, h.count("cleartext_discard"));
            assertNull(h.one(plain("192.0.2.1", "198.51.100.1", 1)), "clear text no inbound policy covers");
            assertEquals(1, h.count("no_policy"));
        }
    }

    @Test
    void decryptedPacketsMustMatchTheInboundPolicyOfTheirSa() {
        // left's SA carries 10.1 -> 10.2; a config whose in policy expects 10.3 -> 10.2 rejects it
        SaConfig sa = PAIR.right().sa(PAIR.left().sas().get(0).spi());
        GatewayConfig strict = new GatewayConfig(List.of(sa), List.of(new Policy(Policy.Dir.IN, 0x0A030000, 16, 0x0A020000,
                16, -1, 0, 65535, 0, 65535, Policy.Action.PROTECT, sa.spi())));
        try (Sad sad = new Sad(strict.sas(), CryptoBackend.JDK);
             NfHarness h = new NfHarness((rx, tx) -> new EspDecap(rx, tx, 32, strict, sad))) {
            assertNull(h.one(esp(1).getFirst()));
            assertEquals(1, h.count("policy_mismatch"));
        }
    }

    @Test
    void anSaThatRunsOutOfSequenceNumbersStops() {
        try (Sad sad = new Sad(PAIR.left().sas(), CryptoBackend.JDK);
             NfHarness h = new NfHarness((rx, tx) -> new EspEncap(rx, tx, 32, PAIR.left(), sad))) {
            sad.get(PAIR.left().sas().get(0).spi()).setLastSeq(Sa.MAX_SEQ - 1);
            assertNotNull(h.one(plain("10.1.0.5", "10.2.0.7", 1)), "the last number, 2^32 - 1");
            assertNull(h.one(plain("10.1.0.5", "10.2.0.7", 2)));
            assertEquals(1, h.count("seq_overflow"));
            assertNull(h.one(plain("10.9.0.5", "10.2.0.7", 2)));
            assertEquals(1, h.count("no_policy"));
            assertNull(h.one(PacketBuilder.ethernet(2, 1).arp(1, 1, 1, 0, 2).build()));
            assertEquals(1, h.count("not_ipv4"));
        }
    }

    @Test
    void badConfigurationsAreOneLineErrorsWithTheLine() {
        assertEquals("gw.yaml:5: sas[0].key: aes-128-gcm needs 20 bytes (16-byte key + 4-byte salt), got 16", error("""
                sas:
                  - spi: 0x1000
                    mode: tunnel
                    aead: aes-128-gcm
                    key: 00112233445566778899aabbccddeeff
                    tunnel: {src: 203.0.113.1, dst: 203.0.113.2}
                """));
        String overlap = error("""
                sas:
                  - {spi: 0x1000, aead: aes-128-gcm, key: 00112233445566778899aabbccddeeffcafebabe, tunnel: {src: 1.1.1.1, dst: 2.2.2.2}}
                policies:
                  - {src: 10.1.0.0/16, dst: 10.2.0.0/16, action: protect, spi: 0x1000}
                  - {src: 10.1.2.0/24, dst: 0.0.0.0/0, action: bypass}
                """);
        assertTrue(overlap.startsWith("gw.yaml:5: policies[1]: overlaps policy 1 (out 10.1.0.0/16 -> 10.2.0.0/16 protect spi 0x1000, line 4)"),
                overlap);
        assertTrue(error("policies:\n  - {src: 10.1.0.0/16, action: protect, spi: 0x2000}\n").contains("no SA has SPI 0x2000"));
        assertTrue(error("sas:\n  - {spi: 7, aead: aes-128-gcm, key: 00}\n").contains("sas[0].spi: 7 is out of range [256,"));
        assertTrue(error("sas:\n  - {spi: 0x1000, aead: aes-128-gcm, key: 00112233445566778899aabbccddeeffcafebabe}\n")
                .contains("tunnel: required in tunnel mode"));
        assertTrue(error("sas:\n  - {spi: 0x1000, aead: chacha20, key: 00}\n").contains("unknown value 'chacha20'"));
        assertTrue(error("sas:\n  - {spi: 0x1000, mode: transport, aead: aes-128-gcm, replay_window: 100, "
                + "key: 00112233445566778899aabbccddeeffcafebabe}\n").contains("100 is not a multiple of 64"));
        assertTrue(error("policies:\n  - {src: 10.1.0.1/16, action: bypass}\n").contains("has host bits set"));
        assertTrue(error("policies:\n  - {src: 10.1.0.0/16, dport: 53, action: bypass}\n").contains("ports need proto tcp or udp"));
        assertThrows(IllegalArgumentException.class, () -> TunnelFactory.create(L, R, new int[] {0x0A010000, 16},
                new int[] {0x0A018000, 17}, Aead.AES_128_GCM, 64, new SecureRandom()), "overlapping subnets");
    }

    static String error(String yaml) {
        ConfigException e = assertThrows(ConfigException.class, () -> GatewayConfig.parse("gw.yaml", yaml));
        assertFalse(e.getMessage().contains("\n"));
        return e.getMessage();
    }

    @Test
    void theReplayWindowFollowsRfc4303() {
        ReplayWindow w = new ReplayWindow(64);
        assertEquals(ReplayWindow.TOO_OLD, w.check(0), "sequence 0 is never sent");
        for (long s : new long[] {1, 3, 2, 64, 65}) {
            assertEquals(ReplayWindow.OK, w.check(s), "seq " + s);
            w.update(s);
        }
        assertEquals(ReplayWindow.REPLAYED, w.check(3));
        assertEquals(ReplayWindow.OK, w.check(4));
        assertEquals(ReplayWindow.TOO_OLD, w.check(1), "65 - 1 >= 64");
        w.update(10_000);
        assertEquals(ReplayWindow.OK, w.check(9_950));
        assertEquals(ReplayWindow.TOO_OLD, w.check(9_936));
        assertEquals(ReplayWindow.REPLAYED, w.check(10_000));
        assertThrows(IllegalArgumentException.class, () -> new ReplayWindow(100));
        assertThrows(IllegalArgumentException.class, () -> new ReplayWindow(8192));
        ReplayWindow big = new ReplayWindow(4096);
        big.update(5000);
        assertEquals(ReplayWindow.OK, big.check(905));
        assertEquals(ReplayWindow.TOO_OLD, big.check(904));
    }
}
