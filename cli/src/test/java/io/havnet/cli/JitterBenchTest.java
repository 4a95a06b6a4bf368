package io.havnet.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.havnet.bench.JitterBench;
import io.havnet.dataplane.TestEnv;
import io.havnet.dataplane.stats.Stalls;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** {@code havnet bench jitter}: havnet's lcore probe next to oslat, a busy-loop latency detector nobody here wrote. */
class JitterBenchTest {
    /** oslat 2.40's quiet summary for two cores, -b 1024 -z, with two loops past the last bucket on core 1. */
    static final String OSLAT = """
            oslat V 2.40
                    Core:\t 0 1
            Counter Freq:\t 2100 2096 (Mhz)
                001 (us):\t 51384655 53714858
                002 (us):\t 143 70
                051 (us):\t 4 0
               1024 (us):\t 0 2 (including overflows)
                 Minimum:\t 1 1 (us)
                 Average:\t 1.001 1.001 (us)
                 Maximum:\t 51 4000 (us)
                 Max-Min:\t 50 3999 (us)
                Duration:\t 2.000 1.999 (sec)
            """;

    @Test
    void oslatsHistogramIsReadAtEachBucketsLowerEdge() {
        Stalls[] s = {new Stalls(), new Stalls()};
        assertEquals("2.40", JitterBench.parseOslat(OSLAT, s));
        assertEquals(2_000_000_000L, s[0].observedNanos(), "oslat's duration, not its rounded-up buckets");
        assertEquals(147, s[0].countAtLeast(1));
        assertEquals(4, s[0].countAtLeast(50), "bucket 051 holds loops of (50, 51] µs");
        assertEquals(50_000, s[0].maxNanos());
        assertEquals(72, s[1].countAtLeast(1));
        assertEquals(2, s[1].countAtLeast(1_000), "the overflows: one at the edge, one at oslat's maximum");
        assertEquals(3_999_000, s[1].maxNanos());
        assertThrows(IllegalArgumentException.class, () -> JitterBench.parseOslat(OSLAT, new Stalls[] {new Stalls()}),
                "a summary for another number of cores is refused, not misread");
        assertThrows(IllegalArgumentException.class, () -> JitterBench.parseOslat("oslat V 2.40\n", s));
    }

    @Test
    void benchJitterPutsHavnetsProbeNextToOslatOnTheSameCpu() throws Exception {
        TestEnv.require(TestEnv.hasTool("oslat"), "oslat is not installed (apt-get install rt-tests)");
        TestEnv.require(TestEnv.isRoot(), "oslat runs as root");
        CliTest.Run r = CliTest.run("bench", "jitter", "--json", "--seconds", "1", "--rounds", "1", "--cpus", "0");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertTrue(j.get("peer").asText().startsWith("oslat 2."), j.toString());
        JsonNode rows = j.get("results");
        assertEquals(2, rows.size(), rows.toString());
        for (int i = 0; i < 2; i++) {
            JsonNode row = rows.get(i);
            assertEquals(i == 0 ? "havnet" : "oslat", row.get("probe").asText());
            assertEquals(0, row.get("cpu").asInt());
            assertEquals(1.0, row.get("observed_s").asDouble(), 0.2, row.toString());
            double p9999 = row.get("floor_p9999_us").asDouble();
            assertTrue(row.get("floor_p99_us").asDouble() <= p9999 && p9999 <= row.get("max_us").asDouble(), row.toString());
        }
    }

    @Test
    void badJitterValuesAreOneLineErrors() {
        CliTest.Run r = CliTest.run("bench", "jitter", "--cpus", "0,0");
        assertEquals(2, r.code());
        assertEquals("havnet: --cpus takes distinct CPUs", r.err().strip());
        r = CliTest.run("bench", "jitter", "--seconds", "0");
        assertEquals(2, r.code());
        assertEquals("havnet: --seconds must be in [1, 3600]", r.err().strip());
    }
}
