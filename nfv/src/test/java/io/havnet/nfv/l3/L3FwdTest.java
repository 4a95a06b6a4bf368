package io.havnet.nfv.l3;

import io.havnet.nfv.Interop;
import io.havnet.nfv.NfHarness;
import io.havnet.nfv.PcapRun;
import io.havnet.nfv.config.ConfigException;
import io.havnet.dataplane.net.PacketBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** l3fwd: routes, TTL and checksum as scapy recomputes them, drops with reasons. */
class L3FwdTest {
    static final String ROUTES = """
            mac: 02:00:00:00:00:01
            routes:
              - {prefix: 10.2.0.0/16, via: 02:00:00:00:02:01}
              - {prefix: 10.2.3.0/24, via: 02:00:00:00:02:03}
              - {prefix: 0.0.0.0/0, via: 02:00:00:00:00:fe}
            """;

    @Test
    void routesDecrementsTtlAndKeepsTheChecksumRight(@TempDir Path dir) throws Exception {
        Interop.requireScapy();
        Path routes = dir.resolve("routes.yaml");
        Files.writeString(routes, ROUTES);
        Path in = dir.resolve("in.pcap");
        Path out = dir.resolve("out.pcap");
        Interop.scapy("""
                pk = []
                for i, dst in enumerate(["10.2.0.1", "10.2.3.4", "192.0.2.1", "10.2.3.200"] * 10):
                    pk.append(Ether(src="02:00:00:00:99:99", dst="02:00:00:00:00:01") / IP(src="10.1.0.1", dst=dst, ttl=2 + i, tos=i) / UDP(sport=40000, dport=33333) / Raw(b"z" * i))
                pk.append(Ether() / IP(dst="10.2.0.1", ttl=1) / UDP())
                wrpcap(sys.argv[1], pk)
                """, in);
        PcapRun.Result r = PcapRun.run(in, out, 32, (rx, tx) -> new L3Fwd(rx, tx, 32, RouteTable.load(routes)));
        assertEquals(40, r.counters().get("forwarded"));
        assertEquals(1, r.counters().get("ttl_exceeded"));
        String check = Interop.scapy("""
                want = {"10.2.0.1": "02:00:00:00:02:01", "10.2.3.4": "02:00:00:00:02:03", "192.0.2.1": "02:00:00:00:00:fe", "10.2.3.200": "02:00:00:00:02:03"}
                a = rdpcap(sys.argv[1]); b = rdpcap(sys.argv[2])
                ok = 0
                for x, y in zip(a, b):
                    c = y[IP].chksum; del y[IP].chksum
                    ok += (y.dst == want[x[IP].dst] and y.src == "02:00:00:00:00:01" and y[IP].ttl == x[IP].ttl - 1
                           and IP(bytes(y[IP])).chksum == c)
                print(ok)
                """, in, out);
        assertEquals("40", check.strip(), "next-hop MACs, TTL - 1, checksum equal to scapy's recomputation");
    }

    @Test
    void dropsSayWhy() {
        RouteTable t = RouteTable.parse("r.yaml", "mac: 02:00:00:00:00:01\nroutes:\n  - {prefix: 10.2.0.0/16, via: 02:00:00:00:02:01}\n");
        try (NfHarness h = new NfHarness((rx, tx) -> new L3Fwd(rx, tx, 32, t))) {
            assertNull(h.one(PacketBuilder.ethernet(1, 2).ipv4("10.1.0.1", "10.3.0.1").udp(1, 2).build()));
            assertEquals(1, h.count("no_route"));
            byte[] bad = PacketBuilder.ethernet(1, 2).ipv4("10.1.0.1", "10.2.0.1").udp(1, 2).build();
            bad[24] ^= 1;
            assertNull(h.one(bad));
            assertEquals(1, h.count("bad_checksum"));
            assertNull(h.one(PacketBuilder.ethernet(1, 2).arp(1, 2, 1, 0, 2).build()));
            assertEquals(1, h.count("not_ipv4"));
            byte[] lies = PacketBuilder.ethernet(1, 2).ipv4("10.1.0.1", "10.2.0.1").udp(1, 2).build();
            lies[16] = 0x10;
            assertNull(h.one(lies));
            assertEquals(1, h.count("malformed"));
        }
        ConfigException e = assertThrows(ConfigException.class, () -> RouteTable.parse("r.yaml",
                "mac: 02:00:00:00:00:01\nroutes:\n  - {prefix: 10.2.0.0/16, via: 02:00:00:00:02:01}\n  - {prefix: 10.2.0.0/16, via: 02:00:00:00:02:02}\n"));
        assertEquals("r.yaml:4: routes[1].prefix: route 10.2.0.0/16 is given twice", e.getMessage());
        e = assertThrows(ConfigException.class, () -> RouteTable.parse("r.yaml", "mac: 02:00:00:00:00:01\nroutes:\n  - {prefix: 10.2.0.0/33, via: 02:00:00:00:02:01}\n"));
        assertTrue(e.getMessage().contains("prefix length must be in [0, 32]"), e.getMessage());
    }
}
