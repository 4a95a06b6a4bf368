package io.havnet.lab.scenario;

import io.havnet.hypervisor.IoPath;
import io.havnet.nfv.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** A scenario file either loads whole or fails with one line naming the file, line and field. */
class ScenarioLoaderTest {
    static Scenario parse(String yaml) {
        return ScenarioLoader.parse("lab.yaml", yaml, null);
    }

    static String error(String yaml) {
        ConfigException e = assertThrows(ConfigException.class, () -> parse(yaml));
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        return e.getMessage();
    }

    @Test
    void aFullScenarioLoadsWithEveryField() {
        Scenario s = parse("""
                name: lab
                host: {memory: 1GiB, vfs: 4, pools: 16, veb: off, cost_model: on, line_rate_mbps: 10000}
                traffic:
                  frame_sizes: [64, imix, 1518]
                  in_flight: 16
                  rate_pps: 100000
                  flows: 8
                  duration: 500ms
                vms:
                  - {name: a, path: vswitch, memory: 32MiB, app: echo, ip: 198.18.1.10, vlan: 5}
                  - {name: b, path: sriov, count: 2, mac: 02:00:00:00:00:10, vlan: 10, qos: 3, spoofchk: off,
                     trust: on, max_tx_rate: 500}
                """);
        assertEquals("lab", s.name());
        assertEquals(1L << 30, s.host().memory());
        assertEquals(4, s.host().vfs());
        assertEquals(16, s.host().pools());
        assertFalse(s.host().veb());
        assertTrue(s.host().costModel());
        assertEquals(10_000, s.host().lineRateMbps());
        assertEquals(List.of(new Scenario.FrameSize(64), Scenario.FrameSize.IMIX, new Scenario.FrameSize(1518)),
                s.traffic().sizes());
        assertEquals(16, s.traffic().inFlight());
        assertEquals(100_000, s.traffic().ratePps());
        assertEquals(8, s.traffic().flows());
        assertEquals(0.5, s.traffic().seconds(), 1e-9);
        assertEquals(3, s.vms().size());
        Scenario.VmConf b1 = s.vms().get(2);
        assertEquals("b-1", b1.name());
        assertEquals(IoPath.SRIOV, b1.path());
        assertEquals(0x020000000011L, b1.mac().value(), "count gives consecutive MACs");
        assertEquals(10, b1.vlan());
        assertEquals(3, b1.qos());
        assertFalse(b1.spoofCheck());
        assertTrue(b1.trust());
        assertEquals(500, b1.maxTxRateMbps());
        assertEquals("198.18.1.10", s.vms().get(0).ip());
        assertEquals(List.of(IoPath.VSWITCH, IoPath.SRIOV), s.paths());
    }

    @Test
    void theLineRateReachesTheHostsNic() {
        Scenario s = parse("""
                host: {memory: 512MiB, vfs: 2, line_rate_mbps: 25000}
                vms:
                  - {name: a, path: sriov}
                """);
        try (io.havnet.lab.Experiment e = new io.havnet.lab.Experiment(s)) {
            assertEquals(25_000, e.host().nic().lineRateMbps());
        }
        try (io.havnet.lab.Experiment e = new io.havnet.lab.Experiment(parse("vms:\n  - {name: a, path: sriov}\n"))) {
            assertEquals(0, e.host().nic().lineRateMbps(), "not paced unless asked");
        }
    }

    @Test
    void unknownValuesNameTheFieldTheLineAndTheChoices() {
        String yaml = """
                vms:
                  - {name: a, path: vswitch}
                  - {name: b, path: vmdq}
                  - name: c
                    path: sr-iov
                """;
        assertEquals("lab.yaml:5: vms[2].path: unknown value 'sr-iov' (expected vswitch, vmdq, sriov)", error(yaml));
        assertEquals("lab.yaml:2: vms[0].app: unknown value 'bridge' (expected macswap, mac, io, rxonly, txonly, flowgen, echo, hostile)",
                error("vms:\n  - {name: a, path: vswitch, app: bridge}\n"));
    }

    @Test
    void everyKindOfMistakeIsCaught() {
        assertTrue(error("vms: []\nhosts: {}\n").matches("lab\\.yaml:2: .*hosts.*"), error("vms: []\nhosts: {}\n"));
        assertTrue(error("host: {vfs: 99}\nvms:\n  - {name: a, path: vswitch}\n").contains("host.vfs: 99 is out of range"));
        assertTrue(error("host: {line_rate_mbps: 500000}\nvms:\n  - {name: a, path: vswitch}\n")
                .contains("host.line_rate_mbps: 500000 is out of range [0, 400000]"));
        assertTrue(error("host: {line_rate_mbps: 10g}\nvms:\n  - {name: a, path: vswitch}\n")
                .contains("host.line_rate_mbps: '10g' is not a whole number"));
        assertTrue(error("vms:\n  - {name: a, path: vswitch, memory: lots}\n").contains("vms[0].memory: 'lots' is not a size"));
        assertTrue(error("vms:\n  - {name: a, path: vswitch}\n  - {name: a, path: vmdq}\n").contains("'a' is used twice"));
        assertTrue(error("vms:\n  - {name: a, path: vswitch, mac: '02:00:00:00:00:10'}\n"
                + "  - {name: b, path: sriov, mac: '02:00:00:00:00:10'}\n").contains("mac 02:00:00:00:00:10 is already a's"));
        assertTrue(error("vms:\n  - {name: a, path: vmdq, mac: '02:00:00:00:00:0e', count: 3}\n"
                + "  - {name: b, path: sriov, mac: '02:00:00:00:00:10'}\n").contains("mac 02:00:00:00:00:10 is already a-2's"));
        assertEquals(2, parse("vms:\n  - {name: a, path: sriov, mac: '02:00:00:00:00:10', vlan: 10}\n"
                + "  - {name: b, path: sriov, mac: '02:00:00:00:00:10', vlan: 20}\n").vms().size(), "one address on two VLANs");
        assertTrue(error("host: {vfs: 1}\nvms:\n  - {name: a, path: sriov, count: 2}\n")
                .contains("2 VMs on sriov but host.vfs is 1"));
        assertTrue(error("vms:\n  - {name: a, path: vswitch, mac: ff:ff:ff:ff:ff:ff}\n").contains("not a unicast address"));
        assertTrue(error("vms:\n  - {name: a, path: vmdq, trust: on}\n").contains("VF settings: only for path sriov"));
        assertTrue(error("traffic: {frame_size: 20}\nvms:\n  - {name: a, path: vswitch}\n")
                .contains("traffic.frame_size: 20 is out of range"));
        assertTrue(error("wire: tap0\nvms:\n  - {name: a, path: vswitch}\n")
                .contains("wire: unknown value 'tap0' (expected generator, pcap:FILE, af_packet:IF, {vxlan:"));
        assertTrue(error("wire: {vxlan: {local: 10.0.0.1, remote: 10.0.0.2:99999, vni: 1}}\nvms:\n  - {name: a, path: vswitch}\n")
                .contains("wire.vxlan.remote: '10.0.0.2:99999' is not IP:PORT"));
        assertTrue(error("vms:\n  - {name: a, path: vswitch, tap: {name: t0, netns: n}}\n").contains("ip: required"));
        assertTrue(error("vms:\n  - {name: a, path: vswitch, tap: {name: t0, netns: n, ip: 10.0.0.1}}\n")
                .contains("'10.0.0.1' is not A.B.C.D/LEN"));
        assertTrue(error("vms:\n  - {name: a, path: vswitch, tap: {name: t0, netns: n, ip: 10.0.0.1/24}}\n"
                + "  - {name: b, path: vmdq, tap: {name: t0, netns: m, ip: 10.0.0.2/24}}\n").contains("tap t0 is used twice"));
        assertTrue(error("vms:\n  - {name: a, path: vswitch, app: echo, tap: {name: t0, netns: n, ip: 10.0.0.1/24}}\n")
                .contains("a VM with a tap runs tap-bridge"));
        assertTrue(error("host: {memory: 256MiB}\nvms:\n  - {name: a, path: vswitch, memory: 1GiB}\n")
                .contains("cannot hold the VMs' 1024 MiB"));
        assertTrue(error("vms:\n  - {path: vswitch}\n").contains("vms[0]: name: required"));
        assertTrue(error("name: x\n").contains("vms: required"));
        assertEquals("lab.yaml: empty file", error(""));
        assertTrue(error("host: {vfs: 14}\nvms:\n  - {name: a, path: vmdq, count: 2}\n")
                .contains("2 VMs on vmdq need a pool each, but 16 pools hold only 1 after 14 VFs"));
        assertTrue(error("host: {veb: maybe}\nvms:\n  - {name: a, path: vmdq}\n")
                .contains("host.veb: 'maybe' is not a boolean"));
        assertTrue(error("soak: forever\nvms:\n  - {name: a, path: vmdq}\n")
                .contains("soak: 'forever' is not a duration"));
        assertTrue(error("wire: af_packet:eth0\nsoak: 10m\nvms:\n  - {name: a, path: vmdq}\n")
                .contains("soak: a soak run needs the generator wire"));
    }

    @Test
    void aSoakKeyMakesTheScenarioASoakRun() {
        Scenario s = parse("soak: 1h\nvms:\n  - {name: a, path: vmdq}\n");
        assertTrue(s.soak());
        assertEquals(3600, s.soakSeconds(), 1e-9);
        assertFalse(parse("vms:\n  - {name: a, path: vmdq}\n").soak());
    }

    @Test
    void yamlSyntaxErrorsGiveTheLine() {
        String msg = error("vms:\n  - {name: a, path: vswitch\n  - oops: [\n");
        assertTrue(msg.startsWith("lab.yaml:"), msg);
        assertTrue(msg.contains("YAML error"), msg);
    }

    @Test
    void missingFilesAndPcapsAreNamed(@TempDir Path dir) throws Exception {
        ConfigException e = assertThrows(ConfigException.class, () -> ScenarioLoader.load(dir.resolve("nope.yaml")));
        assertEquals(dir.resolve("nope.yaml") + ": no such file", e.getMessage());
        Path f = dir.resolve("p.yaml");
        Files.writeString(f, "wire: pcap:missing.pcap\nvms:\n  - {name: a, path: vswitch}\n");
        e = assertThrows(ConfigException.class, () -> ScenarioLoader.load(f));
        assertEquals(f + ":1: wire: pcap file " + dir.resolve("missing.pcap") + " does not exist", e.getMessage());
    }

    @Test
    void theShippedExamplesLoad() throws Exception {
        Path dir = Path.of("..", "scenarios");
        try (var files = Files.list(dir)) {
            List<Path> yamls = files.filter(p -> p.toString().endsWith(".yaml")).toList();
            assertTrue(yamls.size() >= 4, "examples in scenarios/: " + yamls);
            for (Path y : yamls) {
                assertFalse(ScenarioLoader.load(y).vms().isEmpty(), y.toString());
            }
        }
    }
}
