package io.havnet.cli.bench;

import io.havnet.bench.LpmBench;
import io.havnet.dataplane.stats.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;

/** {@code havnet bench lpm}: DIR-24-8 lookups/s next to a binary trie. */
@Command(name = "lpm", mixinStandardHelpOptions = true,
        description = "IPv4 LPM lookups per second on one core: DIR-24-8 next to a binary trie, same routes and addresses.")
public final class BenchLpm implements Runnable {
    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Option(names = "--routes", description = "prefixes besides the default route (default ${DEFAULT-VALUE})")
    int routes = 10_000;

    @Option(names = "--seconds", description = "measured seconds per structure (default ${DEFAULT-VALUE})")
    double seconds = 2;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        if (routes < 1 || routes > 1_000_000) {
            throw new IllegalArgumentException("--routes must be in [1, 1000000]");
        }
        if (!(seconds >= 0.2 && seconds <= 600)) {
            throw new IllegalArgumentException("--seconds must be in [0.2, 600]");
        }
        Map<String, Object> r = new LpmBench(routes, seconds).run();
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            r.put("benchmark", "lpm");
            out.println(Json.write(r));
            return;
        }
        out.printf(Locale.ROOT, "lpm: %s routes (%s tbl8 groups), random addresses in routed space, one core%n",
                r.get("routes"), r.get("tbl8_groups"));
        Table t = new Table("structure", "M lookups/s", "bytes alloc/lookup");
        t.row("DIR-24-8 (havnet)", r.get("dir24_8_mlookups_per_s"), r.get("dir24_8_alloc_bytes_per_lookup"));
        t.row("binary trie", r.get("binary_trie_mlookups_per_s"), "");
        t.print(out);
        out.printf(Locale.ROOT, "DIR-24-8 is %.1fx the trie%n", ((Number) r.get("speedup")).doubleValue());
    }
}
