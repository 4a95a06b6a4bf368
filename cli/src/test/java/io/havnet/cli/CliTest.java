package io.havnet.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.havnet.bench.NativeRing;
import io.havnet.dataplane.TestEnv;
import io.havnet.dataplane.os.CacheLineDemote;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** What a user sees: exit codes, one-line errors, JSON that parses. */
class CliTest {
    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void versionNamesHavnetAndJava() {
        Run r = run("--version");
        assertEquals(0, r.code());
        assertTrue(r.out().startsWith("havnet 0."), r.out());
    }

    @Test
    void unknownCommandIsAUsageErrorWithExit2() {
        Run r = run("frobnicate");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("havnet: Unmatched argument at index 0: 'frobnicate'"), r.err());
        assertFalse(r.err().contains("at io.havnet"), "no stack trace for a user error");
    }

    @Test
    @Timeout(60) // a ring bench with both sides on one CPU had not ended after a minute
    void badBenchValuesAreOneLineErrors() {
        Run r = run("bench", "fwd", "--packets", "10");
        assertEquals(2, r.code());
        assertEquals("havnet: --packets must be at least 10000000 (allocation is measured over >= 10 M)",
                r.err().strip());
        r = run("bench", "ring", "--cpus", "0,99");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("havnet: --cpus 0,99: this machine has CPUs 0.."), r.err());
        r = run("bench", "ring", "--cpus", "0,0", "--handles", "20000", "--rounds", "1");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("havnet: --cpus 0,0: producer and consumer need two different CPUs"), r.err());
        r = run("bench", "ring", "--rounds", "many");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("'many' is not an int"), r.err());
        r = run("bench");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("havnet: bench needs a benchmark: ring, mempool, fwd, nic, paths, ipsec, ipsec-inline, lpm, afpacket or jitter"), r.err());
    }

    @Test
    void benchRingJsonHasHavnetAndJctoolsSideBySide() throws Exception {
        Run r = run("bench", "ring", "--json", "--handles", "200000", "--rounds", "1");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        Set<String> names = new HashSet<>();
        for (JsonNode res : j.get("results")) {
            names.add(res.get("name").asText() + "/" + res.get("burst").asInt());
            assertTrue(res.get("ns_per_handle").asDouble() > 0);
        }
        assertTrue(names.containsAll(Set.of("havnet-spsc/32", "jctools-spsc/1", "havnet-mpmc/32", "jctools-mpmc/1",
                "havnet-mpsc/32", "jctools-mpsc/1")),
                names.toString());
        double havnet = nsPerHandle(j, "havnet-spsc/32");
        double jctools = nsPerHandle(j, "jctools-spsc/1");
        assertEquals(jctools / havnet, j.get("spsc_speedup_over_jctools").asDouble(), 0.01 * jctools / havnet,
                "the speed-up is JCTools' offer/poll time over havnet's burst-32 time");
        assertEquals(CacheLineDemote.active(), j.get("cldemote").asBoolean());
        if (CacheLineDemote.active()) {
            assertTrue(names.containsAll(Set.of("havnet-spsc-cldemote/32", "havnet-spsc-cldemote/1")), names.toString());
            double demoting = nsPerHandle(j, "havnet-spsc-cldemote/32");
            assertEquals(jctools / demoting, j.get("spsc_cldemote_speedup_over_jctools").asDouble(), 0.01 * jctools / demoting);
        } else {
            assertEquals(CacheLineDemote.why(), j.get("cldemote_why").asText());
        }
        // the native peer: the same protocol in C, compiled here (CI installs a C compiler)
        TestEnv.require(NativeRing.compiler() != null, "no C compiler (cc or gcc): bench ring's C peer cannot run");
        assertFalse(j.has("native_why"), () -> j.get("native_why").asText());
        assertTrue(j.get("native_compiler").asText().endsWith("-O2 -march=native -pthread"), j.toString());
        assertTrue(names.contains("c-spsc/32"), names.toString());
        for (JsonNode res : j.get("results")) {
            if (res.get("name").asText().startsWith("c-spsc")) {
                assertEquals(200000 / 16384 * 16384, res.get("handles").asLong(), "the C peer moves the handles bench ring does");
            }
        }
    }

    /** {@code bench ring --json}'s median ns per handle of the result named {@code name/burst}, 0 if absent. */
    private static double nsPerHandle(JsonNode j, String nameAndBurst) {
        for (JsonNode res : j.get("results")) {
            if ((res.get("name").asText() + "/" + res.get("burst").asInt()).equals(nameAndBurst)) {
                return res.get("ns_per_handle").asDouble();
            }
        }
        return 0;
    }

    @Test
    void benchRingCountsNoCollectionInItsMeasuredRounds() throws Exception {
        // 7 rounds of every variant: a harness that starts threads per round leaves tens of MB of
        // unused allocation buffers behind, enough for a collection inside the measured rounds
        Run r = run("bench", "ring", "--json", "--handles", "200000", "--rounds", "5", "--no-native");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(0, j.get("collections_in_rounds").asLong(), "no collection pause is counted as ring time");
    }

    @Test
    void benchRingWithoutItsNativePeerSaysSo() throws Exception {
        Run r = run("bench", "ring", "--json", "--handles", "20000", "--rounds", "1", "--no-native");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals("--no-native", j.get("native_why").asText());
        for (JsonNode res : j.get("results")) {
            assertFalse(res.get("name").asText().startsWith("c-"), res.toString());
        }
    }

    @Test
    void benchFwdJsonReportsMppsAndAllocation() throws Exception {
        Run r = run("bench", "fwd", "--json", "--packets", "10000000");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertTrue(j.get("mpps").asDouble() > 0);
        assertEquals(0.0, j.get("alloc_bytes_per_pkt").asDouble(), "forwarding allocates nothing per packet");
        assertTrue(j.get("packets").asLong() >= 10_000_000);
        assertEquals("bare-ring-loop", j.get("results").get(2).get("name").asText());
    }

    @Test
    void benchMempoolJsonListsCachedAndUncachedPools() throws Exception {
        Run r = run("bench", "mempool", "--json", "--objects", "1000000", "--rounds", "1");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals("havnet-mempool-cache", j.get("results").get(0).get("name").asText());
        assertEquals("havnet-mempool-nocache", j.get("results").get(2).get("name").asText());
    }

    @Test
    void benchPathsJsonPutsTheThreePathsSideBySide() throws Exception {
        Run r = run("bench", "paths", "--json", "--seconds", "0.5", "--vms", "1", "--frame-sizes", "64");
        assertEquals(0, r.code(), r.err());
        JsonNode runs = new ObjectMapper().readTree(r.out()).get("runs");
        assertEquals(3, runs.size());
        Set<String> paths = new HashSet<>();
        for (JsonNode run : runs) {
            paths.add(run.get("path").asText());
            assertTrue(run.get("mpps").asDouble() > 0, run.toString());
            if (run.get("path").asText().equals("sriov")) {
                assertEquals(0.0, run.get("hypervisor_ns_per_pkt").asDouble(), "SR-IOV: no hypervisor time");
            } else {
                assertTrue(run.get("hypervisor_ns_per_pkt").asDouble() > 0);
            }
        }
        assertEquals(Set.of("vswitch", "vmdq", "sriov"), paths);
        r = run("bench", "paths", "--paths", "sr-iov");
        assertEquals(2, r.code());
        assertEquals("havnet: unknown value 'sr-iov' (expected vswitch, vmdq, sriov)", r.err().strip());
    }

    /**
     * {@code bench nic} measures the NIC path and, in the same run, its floor: the same loop without
     * the NIC's work, which must be faster (on one core several times over).
     */
    @Test
    void benchNicJsonHasThePathAndItsFloorSideBySide() throws Exception {
        Run r = run("bench", "nic", "--json", "--seconds", "0.5", "--cores", "1");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        double mpps = j.get("mpps").asDouble();
        double floor = j.get("floor_mpps").asDouble();
        assertTrue(mpps > 0 && floor > mpps, r.out());
        assertEquals(mpps / floor, j.get("of_floor").asDouble(), 0.001);
        assertTrue(j.get("floor_nic_ns_per_pkt").asDouble() < j.get("nic_ns_per_pkt").asDouble(), r.out());
        r = run("bench", "nic", "--cores", "3");
        assertEquals(2, r.code());
        assertEquals("havnet: --cores must be 1 or 2", r.err().strip());
    }

    /**
     * A port paced at 200 Mbit/s carries no more than 0.298 M frames/s of 64 B on any path, and drops
     * nothing for it. (How close to the line each path comes depends on the machine: on a loaded one
     * far below it, see docs/nic.md; LineRateTest checks the rate itself.)
     */
    @Test
    void benchPathsOnAPacedPortCarryTheLineRate() throws Exception {
        Run r = run("bench", "paths", "--json", "--seconds", "0.5", "--vms", "1", "--frame-sizes", "64",
                "--line-rate-mbps", "200");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(200, j.get("line_rate_mbps").asLong());
        double line = 200e6 / ((64 + 20) * 8) / 1e6; // 0.298 Mpps: preamble and gap take 20 B a frame
        for (JsonNode run : j.get("runs")) {
            double mpps = run.get("mpps").asDouble();
            assertTrue(mpps <= line * 1.02 && mpps > 0, run.get("path") + ": " + mpps + " Mpps on a " + line + " Mpps line");
            assertEquals(0, run.get("drops").size(), "nothing dropped for rate: " + run);
        }
        r = run("bench", "paths", "--line-rate-mbps", "400001");
        assertEquals(2, r.code());
        assertEquals("havnet: --line-rate-mbps must be in [0, 400000]", r.err().strip());
    }

    /** {@code ./havnet jmh}: JMH's command line, but a wrong argument is one line and exit 2. */
    @Test
    @Timeout(60)
    void jmhWrongArgumentsAreOneLineErrorsWithExit2() throws Exception {
        Run r = jmh("NoSuchBenchmark");
        assertEquals(2, r.code(), r.err());
        assertEquals("havnet jmh: no benchmark matches NoSuchBenchmark (./havnet jmh -l lists them)", r.err().strip());
        r = jmh("-nosuchoption", "RingJmh");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("havnet jmh: ") && r.err().strip().lines().count() == 1, r.err());
        r = jmh("-f", "many", "RingJmh");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("havnet jmh: Cannot parse argument 'many'") && r.err().strip().lines().count() == 1,
                r.err());
        r = jmh("-l");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("io.havnet.bench.jmh.RingJmh.spsc"), r.out());
    }

    /** Runs the launcher's {@code jmh} entry point in a JVM of its own (JMH ends with System.exit). */
    private static Run jmh(String... args) throws Exception {
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of(
                java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "io.havnet.bench.jmh.JmhMain"));
        cmd.addAll(java.util.List.of(args));
        Process p = new ProcessBuilder(cmd).start();
        var out = java.util.concurrent.CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
        String err = readAll(p.getErrorStream());
        return new Run(p.waitFor(), out.get(), err);
    }

    private static String readAll(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
