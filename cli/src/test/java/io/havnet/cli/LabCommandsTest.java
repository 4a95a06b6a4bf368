package io.havnet.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.havnet.dataplane.TestEnv;
import io.havnet.dataplane.net.Net;
import io.havnet.lab.Demo;
import io.havnet.lab.Experiment;
import io.havnet.lab.metrics.MetricsServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.havnet.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.*;

/** demo, run, testpmd, vf and the metrics endpoint, the way a user drives them. */
class LabCommandsTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Set<String> RUN_KEYS = Set.of("path", "frame_size", "vms", "offered", "delivered", "drops", "mpps", "gbps",
            "hypervisor_ns_per_pkt", "nic_ns_per_pkt", "guest_ns_per_pkt", "copies_per_pkt", "vm_exits_per_pkt",
            "interrupts_per_pkt", "latency_us", "long_calls");

    /** The demo on a port paced at 1 Gbit/s: no path carries more than the line, every frame is accounted for. */
    @Test
    void demoOnAPacedPortKeepsEveryPathWithinTheLine() throws Exception {
        CliTest.Run r = run("demo", "--quick", "--json", "--no-report", "--line-rate-mbps", "1000");
        assertEquals(0, r.code(), r.err());
        JsonNode root = JSON.readTree(r.out());
        assertTrue(root.get("scenario").asText().endsWith("port paced at 1,000 Mbit/s"), root.get("scenario").asText());
        for (JsonNode run : root.get("runs")) {
            int size = run.get("frame_size").asInt();
            double line = 1000e6 / ((size + Net.ETHER_PREAMBLE_AND_GAP) * 8) / 1e6;
            // Each measured window opens on a full closed loop: up to vms x in_flight_per_vm frames
            // the line carried before the window may reach the tester inside it, once per slice
            // (at most Experiment.MAX_SLICES per path and size). At 1518 B and 0.15 s of windows
            // that is 8 % of a 1 Gbit/s line; an unpaced port carries ~10 times the line.
            double backlog = Experiment.MAX_SLICES * run.get("vms").asDouble() * run.get("in_flight_per_vm").asDouble()
                    / run.get("seconds").asDouble() / 1e6;
            assertTrue(run.get("mpps").asDouble() <= line * 1.02 + backlog, size + " B on a " + line + " Mpps line: " + run);
            long dropped = 0;
            for (JsonNode d : run.get("drops")) {
                dropped += d.asLong();
            }
            assertEquals(run.get("offered").asLong() + run.get("replicas").asLong(), run.get("delivered").asLong() + dropped,
                    "every offered frame came back or was counted: " + run);
        }
        r = run("demo", "--line-rate-mbps", "-1");
        assertEquals(2, r.code());
        assertEquals("havnet: --line-rate-mbps must be in [0, 400000]", r.err().strip());
    }

    @Test
    void demoQuickJsonFollowsTheSchemaConservesFramesAndWritesTheReport(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("report");
        CliTest.Run r = run("demo", "--quick", "--json", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("demo --quick: a smoke test"), "says its figures are not to quote: " + r.err());
        JsonNode root = JSON.readTree(r.out());
        JsonNode runs = root.get("runs");
        assertEquals(6, runs.size(), "3 paths x 2 sizes");
        int i = 0;
        for (String size : List.of("64", "1518")) {
            for (String path : List.of("vswitch", "vmdq", "sriov")) {
                JsonNode run = runs.get(i++);
                for (String k : RUN_KEYS) {
                    assertTrue(run.has(k), k + " missing in " + run);
                }
                assertEquals(path, run.get("path").asText());
                assertEquals(size, run.get("frame_size").asText());
                assertEquals(Demo.VMS_PER_PATH, run.get("vms").asInt());
                long offered = run.get("offered").asLong();
                long delivered = run.get("delivered").asLong();
                long dropped = 0;
                for (JsonNode d : run.get("drops")) {
                    dropped += d.asLong();
                }
                assertTrue(delivered > 0, run.toString());
                assertEquals(offered + run.get("replicas").asLong(), delivered + dropped,
                        "every offered frame came back or was counted: " + run);
                assertTrue(run.get("mpps").asDouble() > 0);
                assertTrue(run.get("gbps").asDouble() > 0);
                JsonNode lat = run.get("latency_us");
                assertTrue(lat.get("p50").asDouble() > 0 && lat.get("p50").asDouble() <= lat.get("p99").asDouble()
                        && lat.get("p99").asDouble() <= lat.get("p999").asDouble(), lat.toString());
                for (String kind : List.of("hypervisor", "nic", "guests")) {
                    JsonNode lc = run.get("long_calls").get(kind);
                    assertTrue(lc.get("ge_100us").asLong() >= lc.get("ge_1ms").asLong() && lc.get("ge_1ms").asLong() >= 0,
                            kind + ": " + lc);
                }
                switch (path) {
                    case "sriov" -> {
                        assertEquals(0.0, run.get("hypervisor_ns_per_pkt").asDouble(), "the VF bypasses the hypervisor");
                        assertEquals(0.0, run.get("copies_per_pkt").asDouble());
                    }
                    case "vmdq" -> {
                        assertTrue(run.get("hypervisor_ns_per_pkt").asDouble() > 0, "the relay moves descriptors");
                        assertEquals(0.0, run.get("copies_per_pkt").asDouble(), "the NIC uses the guest's buffers");
                    }
                    default -> {
                        assertTrue(run.get("hypervisor_ns_per_pkt").asDouble() > 0);
                        assertEquals(2.0, run.get("copies_per_pkt").asDouble(), 0.1, "one copy each way");
                    }
                }
            }
        }
        JsonNode scaling = root.get("scaling");
        assertEquals(6, scaling.size(), "1 and 4 VMs per path");
        for (String f : List.of("index.html", "results.json", "mpps.svg", "hypervisor.svg", "scaling.svg", "latency.svg")) {
            Path p = out.resolve(f);
            assertTrue(Files.size(p) > 200, f + " is empty");
        }
        String html = Files.readString(out.resolve("index.html"));
        for (String s : List.of("mpps.svg", "hypervisor.svg", "scaling.svg", "latency.svg", "vswitch", "vmdq", "sriov")) {
            assertTrue(html.contains(s), s);
        }
        assertTrue(Files.readString(out.resolve("mpps.svg")).startsWith("<svg"), "an SVG image");
        assertEquals(runs, JSON.readTree(out.resolve("results.json").toFile()).get("runs"));
    }

    @Test
    void runReportsScenarioErrorsWithFileLineAndFieldAndExit2(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("lab.yaml");
        Files.writeString(f, "vms:\n  - {name: a, path: vswitch}\n  - {name: b, path: vmdq}\n  - name: c\n    path: sr-iov\n");
        CliTest.Run r = run("run", f.toString());
        assertEquals(2, r.code());
        assertEquals("havnet: " + f + ":5: vms[2].path: unknown value 'sr-iov' (expected vswitch, vmdq, sriov)",
                r.err().strip());
        r = run("run", dir.resolve("none.yaml").toString());
        assertEquals(2, r.code());
        assertEquals("havnet: " + dir.resolve("none.yaml") + ": no such file", r.err().strip());
        Files.writeString(f, "vms: [\n");
        r = run("run", f.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("havnet: " + f + ":"), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace");
        r = run("run", f.toString(), "--metrics-port", "70000");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--metrics-port 70000 is out of range"), r.err());
        Files.writeString(f, "vms:\n  - {name: a, path: vswitch}\n");
        r = run("run", f.toString(), "--duration", "ten");
        assertEquals(2, r.code());
        assertEquals("havnet: --duration 'ten' is not a duration (e.g. 30, 500ms, 30s, 10m, 1h)", r.err().strip());
        r = run("run", f.toString(), "--duration", "2h");
        assertEquals(2, r.code());
        assertEquals("havnet: --duration 2h is out of range [0.05 s, 3600 s]", r.err().strip());
    }

    @Test
    void aReportDirectoryThatCannotBeWrittenIsRefusedBeforeTheRun(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("plain-file"), "not a directory");
        Path out = file.resolve("report"); // not creatable, even by root
        Path f = Files.writeString(dir.resolve("lab.yaml"), "vms:\n  - {name: a, path: vswitch}\n");
        for (List<String> args : List.of(List.of("demo", "--quick", "--out", out.toString()),
                List.of("run", f.toString(), "--out", out.toString()))) {
            CliTest.Run r = run(args.toArray(String[]::new));
            assertEquals(2, r.code(), args + ": " + r.err());
            String[] lines = r.err().strip().split("\n");
            assertEquals(1, lines.length, "one line, no progress (nothing ran): " + r.err());
            assertTrue(lines[0].startsWith("havnet: report directory " + out + " is not writable"), r.err());
            assertEquals("", r.out(), "no results: nothing ran");
        }
    }

    @Test
    void runExecutesAScenarioFile(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("echo.yaml");
        Files.writeString(f, """
                traffic: {frame_size: 128, in_flight: 4, duration: 200ms}
                vms:
                  - {name: e, path: vmdq, app: echo, ip: 198.18.1.50}
                """);
        CliTest.Run r = run("run", f.toString(), "--json", "--no-report");
        assertEquals(0, r.code(), r.err());
        JsonNode run = JSON.readTree(r.out()).get("runs").get(0);
        assertEquals("vmdq", run.get("path").asText());
        assertEquals(128, run.get("frame_size").asInt());
        assertTrue(run.get("delivered").asLong() > 0, "the echo guest answered the UDP probes: " + run);
        assertEquals(run.get("offered").asLong(), run.get("delivered").asLong());
    }

    @Test
    void openLoopTrafficKeepsTheScenariosRate(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("rate.yaml");
        Files.writeString(f, """
                traffic: {frame_size: 64, rate_pps: 20000, flows: 4, duration: 1s}
                vms:
                  - {name: a, path: sriov}
                  - {name: b, path: sriov}
                """);
        CliTest.Run r = run("run", f.toString(), "--json", "--no-report");
        assertEquals(0, r.code(), r.err());
        JsonNode run = JSON.readTree(r.out()).get("runs").get(0);
        double mpps = run.get("mpps").asDouble();
        assertEquals(0.020, mpps, 0.006, "open loop at 20,000 frames/s: " + run);
        assertEquals(0, run.get("in_flight_per_vm").asInt());
        assertEquals(run.get("offered").asLong(), run.get("delivered").asLong());
    }

    @Test
    void pcapWireReplaysTheCaptureAndTsharkReadsTheAnswers(@TempDir Path dir) throws Exception {
        TestEnv.require(TestEnv.hasTool("tshark"), "tshark is not installed (it reads the pcap havnet writes)");
        CliTest.Run r = run("run", Path.of("..", "scenarios", "pcap-replay.yaml").toString(), "--json", "--out",
                dir.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode replay = JSON.readTree(r.out()).get("replay");
        assertEquals(17, replay.get("frames_read").asInt());
        assertTrue(replay.get("complete").asBoolean());
        TestEnv.Result t = TestEnv.exec(List.of("tshark", "-r", dir.resolve("wire-out.pcap").toString(), "-T", "fields",
                "-e", "eth.src", "-e", "_ws.col.Protocol", "-e", "_ws.col.Info", "-o", "gui.column.format:\"Protocol\",\"%p\",\"Info\",\"%i\""),
                null, 60).ok();
        List<String> lines = t.out().lines().toList();
        assertEquals(replay.get("frames_written").asInt(), lines.size(), t.out());
        for (String mac : List.of("02:00:00:00:00:10", "02:00:00:00:00:20")) {
            assertEquals(1, lines.stream().filter(l -> l.startsWith(mac) && l.contains("ARP") && l.contains("is at " + mac))
                    .count(), "one ARP reply from " + mac + ":\n" + t.out());
            assertEquals(3, lines.stream().filter(l -> l.startsWith(mac) && l.contains("Echo (ping) reply")).count(),
                    "three ping replies from " + mac + ":\n" + t.out());
        }
        // every IPv4, ICMP and UDP checksum of the answers verifies (status 1 = good)
        TestEnv.Result c = TestEnv.exec(List.of("tshark", "-r", dir.resolve("wire-out.pcap").toString(), "-o",
                "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-Y", "ip", "-T", "fields", "-e",
                "ip.checksum.status", "-e", "icmp.checksum.status", "-e", "udp.checksum.status"), null, 60).ok();
        List<String> sums = c.out().lines().toList();
        assertEquals(14, sums.size(), c.out());
        for (String l : sums) {
            assertTrue(l.matches("1\t(1\t|\t1)"), "a checksum did not verify: '" + l + "'");
        }
    }

    @Test
    void aShortSoakWithHostileGuestsConservesEveryFrameAndLeaksNothing() throws Exception {
        // soak.yaml declares itself a soak run: --duration is the whole run's
        CliTest.Run r = run("run", Path.of("..", "scenarios", "soak.yaml").toString(), "--duration", "6s", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode s = JSON.readTree(r.out());
        assertTrue(s.get("conserved").asBoolean(), s.toString());
        assertEquals(0, s.get("leaked_mbufs").asLong());
        assertTrue(s.get("hostile_sent").asLong() > 1000, "the hostile guests were busy: " + s);
        assertEquals(s.get("offered").asLong() + s.get("hostile_sent").asLong() + s.get("replicas").asLong(),
                s.get("delivered").asLong() + s.get("dropped").asLong());
        assertTrue(s.get("delivered").asLong() > 0);
        // the tail is reported next to the floor the machine sets on the lcores' CPUs with no traffic
        java.util.Set<String> paths = new java.util.HashSet<>();
        s.get("latency_p9999_us_median_of_rounds").fieldNames().forEachRemaining(paths::add);
        assertEquals(java.util.Set.of("vswitch", "vmdq", "sriov"), paths);
        JsonNode floor = s.get("machine_floor");
        assertEquals(2, floor.size(), floor.toString());
        for (JsonNode cpu : floor) {
            assertEquals(1.0, cpu.get("observed_s").asDouble(), 0.2, cpu.toString());
            assertTrue(cpu.get("floor_p9999_us").asDouble() <= cpu.get("max_us").asDouble(), cpu.toString());
        }
    }

    @Test
    void testpmdRunsACommandFile(@TempDir Path dir) throws Exception {
        Path cmds = dir.resolve("cmds");
        Files.writeString(cmds, """
                # a testpmd session
                show port info all
                set fwd macswap
                start
                sleep 300
                stop
                show port stats all
                show vf stats 0
                set vf vlan 0 10 qos 2
                set vf spoofchk 0 off
                show vf info
                clear port stats all
                show port stats 2
                show iommu faults
                quit
                """);
        CliTest.Run r = run("testpmd", "--cmdfile", cmds.toString());
        assertEquals(0, r.code(), r.err());
        String o = r.out();
        assertTrue(o.contains("Infos for port 2"), o);
        assertTrue(o.contains("Driver name: net_ixgbe_vf"), o);
        assertTrue(o.contains("Driver name: net_virtio"), o);
        assertTrue(o.contains("Set macswap packet forwarding mode"), o);
        Matcher fwd = Pattern.compile("Forward statistics for port (\\d) \\([^)]*\\)  -+\\n  rx_packets: (\\d+)").matcher(o);
        int ports = 0;
        while (fwd.find()) {
            assertTrue(Long.parseLong(fwd.group(2)) > 0, "port " + fwd.group(1) + " forwarded nothing:\n" + o);
            ports++;
        }
        assertEquals(3, ports, o);
        Matcher acc = Pattern.compile("Tester-offered: (\\d+) +Tester-returned: (\\d+) +Lost: (\\d+)").matcher(o);
        assertTrue(acc.find(), o);
        assertEquals(0, Long.parseLong(acc.group(3)), "closed loop drains completely: " + acc.group());
        assertTrue(o.contains("VF 0 statistics"), o);
        assertTrue(o.matches("(?s).*vf 0 +link/ether [0-9a-f:]+ brd ff:ff:ff:ff:ff:ff, vlan 10, qos 2, spoof checking off.*"), o);
        int cleared = o.lastIndexOf("NIC statistics for port 2");
        assertTrue(o.substring(cleared).contains("RX-packets: 0 "), o.substring(cleared));
        assertTrue(o.contains("IOMMU faults: 0"), o);
        assertTrue(o.strip().endsWith("Bye..."), o);

        Files.writeString(cmds, "show port info all\nset fwd teleport\nstart\n");
        r = run("testpmd", "--cmdfile", cmds.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("havnet: " + cmds + ":2: unknown forwarding mode 'teleport' (expected macswap"),
                r.err());
        assertFalse(r.out().contains("testpmd> start"), "stops at the first bad line");
        Files.writeString(cmds, "sleep 99999999999\n");
        r = run("testpmd", "--cmdfile", cmds.toString());
        assertEquals(2, r.code());
        assertEquals("havnet: " + cmds + ":1: sleep 99999999999 is too large", r.err().strip());
    }

    @Test
    void vfSetThenShowRoundTripsThroughARunningHost() throws Exception {
        try (Experiment e = new Experiment(Demo.scenario(Demo.Plan.quick()));
             MetricsServer m = MetricsServer.start(e, 0)) {
            e.start();
            String at = "127.0.0.1:" + m.port();
            CliTest.Run r = run("vf", "--connect", at, "set", "pf0", "vf", "3", "mac", "02:00:00:00:00:03", "vlan", "10",
                    "qos", "3", "spoofchk", "on", "trust", "off", "max_tx_rate", "500", "state", "enable");
            assertEquals(0, r.code(), r.err());
            r = run("vf", "--connect", at, "show", "pf0");
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().startsWith("1: pf0: <BROADCAST,MULTICAST,UP,LOWER_UP>"), r.out());
            assertTrue(r.out().contains("    vf 3     link/ether 02:00:00:00:00:03 brd ff:ff:ff:ff:ff:ff, vlan 10, qos 3, "
                    + "spoof checking on, link-state enable, trust off, max_tx_rate 500Mbps\n"), r.out());
            assertTrue(r.out().contains("RX: bytes  packets  mcast   bcast   dropped"), r.out());
            assertEquals(3, e.host().pf().vfInfo(3).qos());

            r = run("vf", "--connect", at, "set", "pf0", "vf", "99", "trust", "on");
            assertEquals(2, r.code());
            assertEquals("havnet: vf 99 does not exist (pf0 has 16 VFs: 0-15)", r.err().strip());
            r = run("vf", "--connect", at, "set", "pf0", "vf", "1", "vlan", "5000");
            assertEquals(2, r.code());
            assertEquals("havnet: vlan 5000 is out of range [0, 4094]", r.err().strip());
            r = run("vf", "--connect", at, "set", "eth9", "vf", "1", "trust", "on");
            assertEquals(2, r.code());
            assertTrue(r.err().contains("Cannot find device \"eth9\""), r.err());
        }
        CliTest.Run r = run("vf", "--connect", "127.0.0.1:1", "show", "pf0");
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("havnet: error: cannot reach 127.0.0.1:1: connection refused"), r.err());
        r = run("vf", "--connect", "no-such-host.invalid:9090", "show", "pf0"); // .invalid never resolves (RFC 2606)
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("havnet: error: cannot reach no-such-host.invalid:9090: unknown host no-such-host.invalid"),
                r.err());
    }

    @Test
    void vfAgainstAScenarioHost() {
        CliTest.Run r = run("vf", "set", "pf0", "vf", "0", "vlan", "7", "trust", "on");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("vf 0     link/ether"), r.out());
        assertTrue(r.out().contains(", vlan 7, spoof checking on, link-state auto, trust on"), r.out());
        r = run("vf", "bounce", "pf0");
        assertEquals(2, r.code());
        assertEquals("havnet: unknown command 'bounce' (expected set, show)", r.err().strip());
    }

    @Test
    void metricsEndpointServesPrometheusTextThatItsOwnParserReads() throws Exception {
        TestEnv.require(TestEnv.pythonModule("prometheus_client"),
                "python3-prometheus-client is not installed (its parser checks the exposition format)");
        try (Experiment e = new Experiment(Demo.scenario(Demo.Plan.quick()));
             MetricsServer m = MetricsServer.start(e, 0)) {
            e.warmUp(0.05);
            HttpResponse<String> res;
            try (HttpClient c = HttpClient.newHttpClient()) {
                res = c.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + m.port() + "/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString());
            }
            assertEquals(200, res.statusCode());
            assertTrue(res.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
            String body = res.body();
            TestEnv.Result p = TestEnv.exec(List.of(TestEnv.PYTHON, "-c", """
                    import sys
                    from prometheus_client.parser import text_string_to_metric_families
                    for fam in text_string_to_metric_families(sys.stdin.read()):
                        for s in fam.samples:
                            print(fam.type, s.name, ",".join(k + "=" + v for k, v in sorted(s.labels.items())), s.value)
                    """), body, 60).ok();
            String parsed = p.out();
            assertTrue(parsed.lines().anyMatch(l -> l.matches("counter havnet_nic_rx_wire_total  [1-9][0-9.e+]*")),
                    "the NIC received the warm-up traffic:\n" + parsed);
            assertTrue(parsed.contains("counter havnet_component_cpu_seconds_total component=hypervisor,kind=hypervisor"),
                    parsed);
            assertTrue(parsed.contains("counter havnet_vf_tx_packets_total vf=0 "), parsed);
            assertTrue(parsed.contains("counter havnet_port_ipackets_total port=vswitch-0-eth0 "), parsed);
            assertTrue(parsed.contains("gauge havnet_vms  3.0"), parsed);
            assertTrue(parsed.contains("gauge havnet_vms_by_state state=hung 0.0"), parsed);
            assertTrue(parsed.contains("gauge havnet_vms_quarantined  0.0"), parsed);
            assertTrue(parsed.contains("counter havnet_tester_offered_total "), parsed);
            try (HttpClient c = HttpClient.newHttpClient()) {
                res = c.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + m.port() + "/metrics"))
                        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            }
            assertEquals(405, res.statusCode());
        }
    }
}
