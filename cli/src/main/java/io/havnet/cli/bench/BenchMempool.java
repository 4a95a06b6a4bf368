package io.havnet.cli.bench;

import io.havnet.dataplane.stats.Json;
import io.havnet.bench.MempoolBench;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code havnet bench mempool}: get+put throughput on one core, with and without per-lcore cache. */
@Command(name = "mempool", mixinStandardHelpOptions = true,
        description = "Bulk get+put on one core: objects/s with the per-lcore cache, without it, and a JCTools pool.")
public final class BenchMempool implements Runnable {
    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Option(names = "--objects", description = "objects per measured round (default ${DEFAULT-VALUE})")
    long objects = 100_000_000L;

    @Option(names = "--rounds", description = "measured rounds; the median is reported (default ${DEFAULT-VALUE})")
    int rounds = 5;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        if (objects < 1_000_000 || rounds < 1 || rounds > 100) {
            throw new IllegalArgumentException("--objects must be >= 1000000 and --rounds in [1, 100]");
        }
        List<MempoolBench.Result> results = new MempoolBench(objects, rounds).runAll();
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("benchmark", "mempool");
            m.put("results", results.stream().map(MempoolBench.Result::toMap).toList());
            out.println(Json.write(m));
            return;
        }
        out.printf(Locale.ROOT, "mempool: one core, get n + put n per cycle, median of %d rounds of %,d objects%n",
                rounds, objects);
        Table t = new Table("implementation", "bulk", "cache", "M objects/s", "ns/object", "bytes alloc/object");
        for (MempoolBench.Result r : results) {
            t.row(r.name(), r.bulk(), r.cacheSize(), String.format(Locale.ROOT, "%.1f", r.mopsPerSec()),
                    String.format(Locale.ROOT, "%.2f", r.nsPerObject()),
                    String.format(Locale.ROOT, "%.3f", r.allocBytesPerObject()));
        }
        t.print(out);
    }
}
