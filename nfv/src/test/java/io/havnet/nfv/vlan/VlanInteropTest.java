package io.havnet.nfv.vlan;

import io.havnet.dataplane.net.Net;
import io.havnet.nfv.Interop;
import io.havnet.nfv.NfHarness;
import io.havnet.nfv.PcapRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** 802.1Q and 802.1ad tags as scapy encodes them and tshark decodes them. */
class VlanInteropTest {
    static final String PLAIN = """
            pk = [Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(src="10.0.0.1", dst="10.0.0.%d" % i) / UDP(sport=40000, dport=33333) / Raw(b"x" * i) for i in range(1, 30)]
            wrpcap(sys.argv[1], pk)
            """;

    @Test
    void pushAndQinqEqualScapysEncodingAndTsharkReadsThem(@TempDir Path dir) {
        Interop.requireScapy();
        Interop.requireTshark();
        Path plain = dir.resolve("plain.pcap");
        Path tagged = dir.resolve("tagged.pcap");
        Path qinq = dir.resolve("qinq.pcap");
        Path popped = dir.resolve("popped.pcap");
        Interop.scapy(PLAIN, plain);
        PcapRun.Result r = PcapRun.run(plain, tagged, 32,
                (rx, tx) -> VlanFunction.push(rx, tx, 32, Net.ETHER_TYPE_VLAN, 100, 5, 1));
        assertEquals(29, r.counters().get("pushed"));
        PcapRun.run(tagged, qinq, 32, (rx, tx) -> VlanFunction.push(rx, tx, 32, Net.ETHER_TYPE_QINQ, 2000, 3, 0));
        String out = Interop.scapy("""
                a = rdpcap(sys.argv[1]); b = rdpcap(sys.argv[2]); c = rdpcap(sys.argv[3])
                ok1 = sum(bytes(y) == bytes(Ether(src=x.src, dst=x.dst) / Dot1Q(vlan=100, prio=5, id=1) / x[IP]) for x, y in zip(a, b))
                ok2 = sum(bytes(z) == bytes(Ether(src=x.src, dst=x.dst, type=0x88a8) / Dot1AD(vlan=2000, prio=3) / Dot1Q(vlan=100, prio=5, id=1) / x[IP]) for x, z in zip(a, c))
                print(len(a), ok1, ok2)
                """, plain, tagged, qinq);
        assertEquals("29 29 29", out.strip(), "havnet's tags equal scapy's Dot1Q and Dot1AD/Dot1Q encodings");
        List<String> t = Interop.tshark(qinq, "-T", "fields", "-e", "ieee8021ad.id", "-e", "ieee8021ad.priority", "-e",
                "vlan.id", "-e", "vlan.priority", "-e", "vlan.dei", "-e", "ip.dst").lines().toList();
        assertEquals(29, t.size());
        assertEquals("2000\t3\t100\t5\t1\t10.0.0.1", t.getFirst(), "outer S-tag 2000 PCP 3, inner C-tag 100 PCP 5 DEI 1");
        PcapRun.run(qinq, popped, 32, (rx, tx) -> VlanFunction.pop(rx, tx, 32));
        Path twice = dir.resolve("twice.pcap");
        PcapRun.Result p = PcapRun.run(popped, twice, 32, (rx, tx) -> VlanFunction.pop(rx, tx, 32));
        assertEquals(29, p.counters().get("popped"));
        out = Interop.scapy("""
                a = rdpcap(sys.argv[1]); b = rdpcap(sys.argv[2])
                print(sum(bytes(x) == bytes(y) for x, y in zip(a, b)))
                """, plain, twice);
        assertEquals("29", out.strip(), "popping both tags restores the original frames");
    }

    @Test
    void translateMarkAndBadFrames() {
        byte[] tagged = io.havnet.dataplane.net.PacketBuilder.ethernet(2, 1).vlan(0x2000 | 10).ipv4("10.0.0.1", "10.0.0.2")
                .udp(1, 2).build();
        try (NfHarness h = new NfHarness((rx, tx) -> VlanFunction.translate(rx, tx, 32, 10, 20))) {
            byte[] o = h.one(tagged);
            assertEquals(0x2000 | 20, (o[14] & 0xFF) << 8 | o[15] & 0xFF, "VID 10 -> 20, PCP 1 kept");
            assertArrayEquals(o, h.one(o), "VID 20 is not translated again: passed unchanged");
            assertEquals(1, h.count("unmatched"));
            assertNull(h.one(new byte[10]));
            assertEquals(1, h.count("malformed"));
            byte[] shortTag = new byte[16];
            shortTag[12] = (byte) 0x81;
            assertNull(h.one(shortTag));
            assertEquals(2, h.count("malformed"));
        }
        try (NfHarness h = new NfHarness((rx, tx) -> VlanFunction.mark(rx, tx, 32, 7, 1))) {
            byte[] o = h.one(tagged);
            assertEquals(0xF000 | 10, (o[14] & 0xFF) << 8 | o[15] & 0xFF);
            h.one(io.havnet.dataplane.net.PacketBuilder.ethernet(2, 1).ipv4("10.0.0.1", "10.0.0.2").build());
            assertEquals(1, h.count("untagged"));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new NfHarness((rx, tx) ->
                VlanFunction.push(rx, tx, 32, Net.ETHER_TYPE_VLAN, 4095, 0, 0)));
        assertEquals("vid 4095 is out of range [0, 4094]", e.getMessage());
    }
}
