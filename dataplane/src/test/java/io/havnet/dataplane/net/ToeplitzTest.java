package io.havnet.dataplane.net;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.MemorySegment;
import java.net.InetAddress;

import static org.junit.jupiter.api.Assertions.*;

/** The verification suite published with the RSS specification (also 82599 datasheet §7.1.2.8.3). */
class ToeplitzTest {
    private final Toeplitz t = Toeplitz.defaultKey();

    @ParameterizedTest(name = "{0}:{1} -> {2}:{3}")
    @CsvSource({
        "66.9.149.187,   2794,  161.142.100.80, 1766,  323e8fc2, 51ccc178",
        "199.92.111.2,   14230, 65.69.140.83,   4739,  d718262a, c626b0ea",
        "24.19.198.95,   12898, 12.22.207.184,  38024, d2d0a5de, 5c2b394a",
        "38.27.205.30,   48228, 209.142.163.6,  2217,  82989176, afc7327f",
        "153.39.163.191, 44251, 202.188.127.2,  1303,  5d1809c5, 10e828a2",
    })
    void ipv4VectorsMatch(String src, int sport, String dst, int dport, String ipHex, String tcpHex) {
        int s = Net.parseIpv4(src);
        int d = Net.parseIpv4(dst);
        assertEquals((int) Long.parseLong(ipHex, 16), t.hashIpv4(s, d));
        assertEquals((int) Long.parseLong(tcpHex, 16), t.hashIpv4Ports(s, d, sport, dport));
        byte[] input = {(byte) (s >>> 24), (byte) (s >>> 16), (byte) (s >>> 8), (byte) s,
            (byte) (d >>> 24), (byte) (d >>> 16), (byte) (d >>> 8), (byte) d,
            (byte) (sport >>> 8), (byte) sport, (byte) (dport >>> 8), (byte) dport};
        assertEquals((int) Long.parseLong(tcpHex, 16), Toeplitz.hashReference(Toeplitz.DEFAULT_KEY, input),
                "the bit-by-bit reference agrees");
        assertEquals((int) Long.parseLong(tcpHex, 16), t.hash(MemorySegment.ofArray(input), 0, 12, 0, 0));
    }

    @ParameterizedTest(name = "{0} -> {2}")
    @CsvSource({
        "3ffe:2501:200:1fff::7,              2794,  3ffe:2501:200:3::1,       1766,  2cc18cd5, 40207d3d",
        "3ffe:501:8::260:97ff:fe40:efab,     14230, ff02::1,                  4739,  0f0c461c, dde51bbf",
        "3ffe:1900:4545:3:200:f8ff:fe21:67cf, 44251, fe80::200:f8ff:fe21:67cf, 38024, 4b61e985, 02d1feef",
    })
    void ipv6VectorsMatch(String src, int sport, String dst, int dport, String ipHex, String tcpHex) throws Exception {
        byte[] in = new byte[36];
        System.arraycopy(InetAddress.getByName(src).getAddress(), 0, in, 0, 16);
        System.arraycopy(InetAddress.getByName(dst).getAddress(), 0, in, 16, 16);
        in[32] = (byte) (sport >>> 8);
        in[33] = (byte) sport;
        in[34] = (byte) (dport >>> 8);
        in[35] = (byte) dport;
        MemorySegment seg = MemorySegment.ofArray(in);
        assertEquals((int) Long.parseLong(ipHex, 16), t.hash(seg, 0, 32, 0, 0));
        assertEquals((int) Long.parseLong(tcpHex, 16), t.hash(seg, 0, 36, 0, 0));
    }
}
