package io.havnet.nfv.vxlan;

import io.havnet.dataplane.TestEnv;
import io.havnet.nfv.Interop;
import io.havnet.nfv.PcapRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/**
 * VXLAN against the Linux kernel's own: a network namespace holds a {@code vxlan} interface
 * (VNI 42, VTEP 192.0.2.2) behind a veth. havnet encapsulates ICMP echo requests for it; scapy
 * puts them on the veth; Linux decapsulates, answers, and encapsulates the replies itself; havnet
 * decapsulates those. Both directions have to work for a single reply to come back.
 */
class LinuxVxlanInteropTest {
    @Test
    void linuxAcceptsHavnetsVxlanAndHavnetAcceptsLinuxs(@TempDir Path dir) {
        TestEnv.require(TestEnv.isRoot(), "needs root (network namespaces)");
        TestEnv.require(TestEnv.hasTool("ip"), "needs iproute2");
        Interop.requireScapy();
        String ns = "hvx" + ProcessHandle.current().pid();
        String a = "hva" + ProcessHandle.current().pid() % 100000;
        String b = "hvb" + ProcessHandle.current().pid() % 100000;
        try {
            sh("ip netns add " + ns);
            sh("ip link add " + a + " address 02:00:00:00:c0:01 type veth peer name " + b + " address 02:00:00:00:c0:02");
            sh("ip link set " + b + " netns " + ns);
            sh("ip link set " + a + " up");
            sh("sysctl -qw net.ipv6.conf." + a + ".disable_ipv6=1");
            in(ns, "sysctl -qw net.ipv6.conf.all.disable_ipv6=1");
            in(ns, "sysctl -qw net.ipv6.conf.default.disable_ipv6=1");
            in(ns, "ip link set lo up");
            in(ns, "ip link set " + b + " up");
            in(ns, "ip addr add 192.0.2.2/24 dev " + b);
            in(ns, "ip link add vx42 address 02:00:00:00:42:02 type vxlan id 42 local 192.0.2.2 remote 192.0.2.1 dstport 4789 dev " + b);
            in(ns, "ip addr add 10.42.0.2/24 dev vx42");
            in(ns, "ip link set vx42 up");
            in(ns, "ip neigh replace 192.0.2.1 lladdr 02:00:00:00:c0:01 dev " + b);
            in(ns, "ip neigh replace 10.42.0.1 lladdr 02:00:00:00:42:01 dev vx42");

            Path requests = dir.resolve("requests.pcap");
            Path onWire = dir.resolve("on-wire.pcap");
            Path replies = dir.resolve("replies-vxlan.pcap");
            Path inner = dir.resolve("replies.pcap");
            Interop.scapy("""
                    wrpcap(sys.argv[1], [Ether(src="02:00:00:00:42:01", dst="02:00:00:00:42:02") / IP(src="10.42.0.1", dst="10.42.0.2") / ICMP(id=0x4856, seq=i) / Raw(b"havnet-vxlan" * 4) for i in range(1, 6)])
                    """, requests);
            PcapRun.Result e = PcapRun.run(requests, onWire, 32, (rx, tx) -> new VxlanEncap(rx, tx, 32, 42, 0xC0000201,
                    0xC0000202, 0x020000_00c001L, 0x020000_00c002L, Map.of()));
            assertEquals(5, e.counters().get("encapsulated"));
            Interop.scapy("""
                    import time
                    conf.verb = 0
                    s = AsyncSniffer(iface=sys.argv[1], lfilter=lambda p: UDP in p and p[UDP].dport == 4789 and p[IP].src == "192.0.2.2")
                    s.start(); time.sleep(0.5)
                    sendp(rdpcap(sys.argv[2]), iface=sys.argv[1])
                    deadline = time.time() + 5
                    while time.time() < deadline and len(s.results or []) < 5:
                        time.sleep(0.1)
                    wrpcap(sys.argv[3], s.stop())
                    """, a, onWire, replies);
            PcapRun.Result d = PcapRun.run(replies, inner, 32, (rx, tx) -> new VxlanDecap(rx, tx, 32, 0xC0000201, Set.of(42),
                    Map.of()));
            assertEquals(5, d.counters().get("decapsulated"), "Linux answered every request: " + d.counters());
            String out = Interop.scapy("""
                    ok = 0
                    for p in rdpcap(sys.argv[1]):
                        good = (p.dst == "02:00:00:00:42:01" and p[IP].src == "10.42.0.2" and p[IP].dst == "10.42.0.1"
                                and p[ICMP].type == 0 and p[ICMP].id == 0x4856 and bytes(p[Raw]) == b"havnet-vxlan" * 4)
                        c = p[IP].chksum; del p[IP].chksum
                        ok += good and IP(bytes(p[IP])).chksum == c
                    print(ok)
                    """, inner);
            assertEquals("5", out.strip(), "five echo replies, restored byte-exact with good checksums");
            String stats = TestEnv.exec(List.of("ip", "netns", "exec", ns, "ip", "-s", "-j", "link", "show", "vx42"), null, 30)
                    .ok().out();
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"rx\":\\{\"bytes\":\\d+,\"packets\":(\\d+)")
                    .matcher(stats);
            assertTrue(m.find(), stats);
            assertEquals(5, Integer.parseInt(m.group(1)), "Linux's vx42 received havnet's five frames: " + stats);
        } finally {
            TestEnv.exec(List.of("ip", "netns", "del", ns), null, 30);
            TestEnv.exec(List.of("ip", "link", "del", a), null, 30);
        }
    }

    static void sh(String cmd) {
        TestEnv.exec(List.of(cmd.split(" ")), null, 30).ok();
    }

    static void in(String ns, String cmd) {
        sh("ip netns exec " + ns + " " + cmd);
    }
}
