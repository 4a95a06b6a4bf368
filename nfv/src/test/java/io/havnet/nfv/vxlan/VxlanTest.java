package io.havnet.nfv.vxlan;

import io.havnet.dataplane.net.PacketBuilder;
import io.havnet.nfv.Interop;
import io.havnet.nfv.NfHarness;
import io.havnet.nfv.PcapRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** VXLAN (RFC 7348) against scapy's encoding, tshark's dissector, and bad frames. */
class VxlanTest {
    static final int LOCAL = 0xC0000201;  // 192.0.2.1
    static final int REMOTE = 0xC0000202;

    @Test
    void encapsulationEqualsScapysAndDecapsulationRestores(@TempDir Path dir) {
        Interop.requireScapy();
        Interop.requireTshark();
        Path plain = dir.resolve("plain.pcap");
        Path vx = dir.resolve("vxlan.pcap");
        Path back = dir.resolve("back.pcap");
        Interop.scapy("""
                pk = [Ether(src="02:00:00:00:0a:01", dst="02:00:00:00:0a:02") / IP(src="10.42.0.1", dst="10.42.0.%d" % i) / UDP(sport=40000 + i, dport=33333) / Raw(b"y" * i) for i in range(2, 40)]
                pk.append(Ether(src="02:00:00:00:0a:01", dst="ff:ff:ff:ff:ff:ff") / ARP(psrc="10.42.0.1", pdst="10.42.0.2"))
                wrpcap(sys.argv[1], pk)
                """, plain);
        PcapRun.Result r = PcapRun.run(plain, vx, 32, (rx, tx) -> new VxlanEncap(rx, tx, 32, 42, LOCAL, REMOTE,
                0x020000000001L, 0x020000000002L, Map.of()));
        assertEquals(39, r.counters().get("encapsulated"));
        String out = Interop.scapy("""
                a = rdpcap(sys.argv[1]); b = rdpcap(sys.argv[2])
                ok = 0; sports = set()
                for x, y in zip(a, b):
                    sport = y[UDP].sport
                    sports.add(sport)
                    want = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(src="192.0.2.1", dst="192.0.2.2", flags="DF", ttl=64, id=y[IP].id) / UDP(sport=sport, dport=4789, chksum=0) / VXLAN(vni=42, flags=0x08) / x
                    ok += bytes(want) == bytes(y) and 49152 <= sport <= 65535
                print(len(a), ok, len(sports) > 20)
                """, plain, vx);
        assertEquals("39 39 True", out.strip(), "equal to scapy's VXLAN; source ports spread by inner flow");
        List<String> t = Interop.tshark(vx, "-T", "fields", "-e", "vxlan.vni", "-e", "ip.dst").lines().toList();
        assertEquals("42\t192.0.2.2,10.42.0.2", t.getFirst());
        PcapRun.Result d = PcapRun.run(vx, back, 32, (rx, tx) -> new VxlanDecap(rx, tx, 32, REMOTE, Set.of(42), Map.of()));
        assertEquals(39, d.counters().get("decapsulated"));
        out = Interop.scapy("""
                a = rdpcap(sys.argv[1]); b = rdpcap(sys.argv[2])
                print(sum(bytes(x) == bytes(y) for x, y in zip(a, b)))
                """, plain, back);
        assertEquals("39", out.strip());
    }

    @Test
    void vlanToVniMappingAndBadFrames() {
        byte[] tagged = PacketBuilder.ethernet(2, 1).vlan(100).ipv4("10.0.0.1", "10.0.0.2").udp(1, 2).build();
        byte[] encapsulated;
        try (NfHarness h = new NfHarness((rx, tx) -> new VxlanEncap(rx, tx, 32, 5, LOCAL, REMOTE, 1, 2, Map.of(100, 5100)))) {
            encapsulated = h.one(tagged);
            assertEquals(5100, (encapsulated[46] & 0xFF) << 16 | (encapsulated[47] & 0xFF) << 8 | encapsulated[48] & 0xFF);
            assertEquals(tagged.length - 4 + VxlanEncap.OUTER, encapsulated.length, "the tag went into the VNI");
            assertEquals(1, h.count("mapped"));
        }
        try (NfHarness h = new NfHarness((rx, tx) -> new VxlanDecap(rx, tx, 32, REMOTE, Set.of(5100), Map.of(5100, 100)))) {
            assertArrayEquals(tagged, h.one(encapsulated), "the VNI's VID comes back as a tag");
            byte[] wrongVni = encapsulated.clone();
            wrongVni[48] ^= 1;
            assertNull(h.one(wrongVni));
            assertEquals(1, h.count("unknown_vni"));
            byte[] noFlag = encapsulated.clone();
            noFlag[42] = 0;
            assertNull(h.one(noFlag));
            assertEquals(1, h.count("bad_flags"));
            byte[] badSum = encapsulated.clone();
            badSum[24] ^= 1;
            assertNull(h.one(badSum));
            assertEquals(1, h.count("bad_checksum"));
            byte[] truncated = java.util.Arrays.copyOf(encapsulated, 60);
            assertNull(h.one(truncated));
            assertEquals(1, h.count("malformed"));
            assertNull(h.one(PacketBuilder.ethernet(2, 1).ipv4("10.0.0.1", "10.0.0.2").udp(1, 4790).build()));
            assertEquals(1, h.count("not_vxlan"));
            byte[] elsewhere = encapsulated.clone();
            elsewhere[33] ^= 1; // destination address (checksum now wrong too: fix it)
            int sum = 0;
            for (int i = 14; i < 34; i += 2) {
                sum += i == 24 ? 0 : (elsewhere[i] & 0xFF) << 8 | elsewhere[i + 1] & 0xFF;
            }
            sum = (sum & 0xFFFF) + (sum >>> 16);
            sum = ~((sum & 0xFFFF) + (sum >>> 16)) & 0xFFFF;
            elsewhere[24] = (byte) (sum >>> 8);
            elsewhere[25] = (byte) sum;
            assertNull(h.one(elsewhere));
            assertEquals(1, h.count("wrong_destination"));
        }
    }
}
