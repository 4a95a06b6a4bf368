package io.havnet.cli.bench;

import io.havnet.bench.JitterBench;
import io.havnet.dataplane.stats.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code havnet bench jitter}: the machine's interruptions of a spinning lcore, next to oslat. */
@Command(name = "jitter", mixinStandardHelpOptions = true,
        description = "How often the machine takes each CPU away from a busy-polling thread, and the latency floor that"
                + " sets: havnet's lcore probe and oslat (rt-tests) taking turns on the same CPUs.")
public final class BenchJitter implements Runnable {
    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Option(names = "--seconds", description = "seconds per probe per round (default ${DEFAULT-VALUE})")
    int seconds = 10;

    @Option(names = "--rounds", description = "rounds; in each, havnet's probe and then oslat (default ${DEFAULT-VALUE})")
    int rounds = 3;

    @Option(names = "--cpus", split = ",", description = "CPUs to probe (default: every CPU)")
    int[] cpus;

    @Option(names = "--no-peer", description = "run havnet's probe only")
    boolean noPeer;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        int ncpu = Runtime.getRuntime().availableProcessors();
        if (cpus == null) {
            cpus = new int[ncpu];
            for (int i = 0; i < ncpu; i++) {
                cpus[i] = i;
            }
        }
        for (int c : cpus) {
            if (c < 0 || c >= ncpu) {
                throw new IllegalArgumentException("--cpus " + c + ": this machine has CPUs 0.." + (ncpu - 1));
            }
        }
        if (cpus.length == 0 || java.util.Arrays.stream(cpus).distinct().count() != cpus.length) {
            throw new IllegalArgumentException("--cpus takes distinct CPUs");
        }
        if (seconds < 1 || seconds > 3_600) {
            throw new IllegalArgumentException("--seconds must be in [1, 3600]");
        }
        if (rounds < 1 || rounds > 100) {
            throw new IllegalArgumentException("--rounds must be in [1, 100]");
        }
        PrintWriter err = spec.commandLine().getErr();
        String oslat = noPeer ? null : JitterBench.findOslat();
        if (oslat == null && !noPeer) {
            err.println("jitter: oslat not found (apt-get install rt-tests): havnet's probe only");
        }
        Map<String, Object> r = new JitterBench(cpus, seconds, rounds, oslat).run();
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("benchmark", "jitter");
            m.putAll(r);
            out.println(Json.write(m));
            return;
        }
        out.printf(Locale.ROOT, "jitter: a spinning thread per CPU, %d round(s) of %d s each for havnet's lcore probe%s; peer: %s%n",
                rounds, seconds, Boolean.TRUE.equals(r.get("pinned")) ? " (pinned)" : " (unpinned: " + r.get("pin_notice") + ")",
                r.get("peer"));
        Table t = new Table("cpu", "probe", "stalls/s ≥10µs", "≥50µs", "≥100µs", "≥1ms", "max µs", "time lost",
                "floor p99 µs", "p99.9", "p99.99");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> rows = (List<Map<String, Object>>) r.get("results");
        for (Map<String, Object> row : rows) {
            t.row(row.get("cpu"), row.get("probe"), f1(row.get("stalls_per_s_ge_10us")), f1(row.get("stalls_per_s_ge_50us")),
                    f1(row.get("stalls_per_s_ge_100us")), f1(row.get("stalls_per_s_ge_1000us")), f1(row.get("max_us")),
                    String.format(Locale.ROOT, "%.3f %%", ((Number) row.get("lost_share_ge_10us")).doubleValue() * 100),
                    f1(row.get("floor_p99_us")), f1(row.get("floor_p999_us")), f1(row.get("floor_p9999_us")));
        }
        t.print(out);
        out.println("floor: the wait that stalls alone give that share of frames arriving steadily at a queue served from that CPU");
    }

    private static String f1(Object o) {
        return String.format(Locale.ROOT, "%.1f", ((Number) o).doubleValue());
    }
}
