package io.havnet.cli.bench;

import io.havnet.dataplane.stats.Json;
import io.havnet.bench.NativeRing;
import io.havnet.bench.RingBench;
import io.havnet.dataplane.os.CacheLineDemote;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code havnet bench ring}: cross-core ring throughput, havnet next to JCTools. */
@Command(name = "ring", mixinStandardHelpOptions = true,
        description = "Producer and consumer on two cores: ns per handle for havnet rings (also with Ring.F_DEMOTE"
                + " where the CPU has CLDEMOTE) and JCTools queues.")
public final class BenchRing implements Runnable {
    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Option(names = "--handles", description = "handles per measured round (default ${DEFAULT-VALUE})")
    long handles = 50_000_000L;

    @Option(names = "--rounds", description = "measured rounds per variant; the median is reported (default ${DEFAULT-VALUE})")
    int rounds = 5;

    @Option(names = "--cpus", split = ",", description = "producer,consumer CPUs, -1 = unpinned (default ${DEFAULT-VALUE})")
    int[] cpus = {0, 1};

    @Option(names = "--no-native", description = "skip the C peer (the same SPSC protocol compiled with the machine's cc)")
    boolean noNative;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        if (cpus.length != 2) {
            throw new IllegalArgumentException("--cpus takes two CPUs: producer,consumer");
        }
        if (rounds < 1 || rounds > 100) {
            throw new IllegalArgumentException("--rounds must be in [1, 100]");
        }
        int ncpu = Runtime.getRuntime().availableProcessors();
        if (cpus[0] >= ncpu || cpus[1] >= ncpu || cpus[0] < -1 || cpus[1] < -1) {
            throw new IllegalArgumentException("--cpus " + cpus[0] + "," + cpus[1] + ": this machine has CPUs 0.." + (ncpu - 1));
        }
        // both sides spin: on one CPU a handle would cross only when the scheduler switches threads
        if (cpus[0] >= 0 && cpus[0] == cpus[1]) {
            throw new IllegalArgumentException("--cpus " + cpus[0] + "," + cpus[1]
                    + ": producer and consumer need two different CPUs (the bench measures a ring between cores)");
        }
        if (ncpu < 2) {
            throw new IllegalArgumentException("bench ring needs two CPUs; this process may use " + ncpu);
        }
        RingBench bench = new RingBench(handles, rounds, cpus[0], cpus[1]);
        List<RingBench.Result> results = new java.util.ArrayList<>(bench.runAll());
        NativeRing.Outcome c = noNative ? new NativeRing.Outcome(List.of(), null, "--no-native") : bench.runNative();
        results.addAll(c.results());
        double rtt = bench.cacheLineRoundTripNanos();
        double ratio = ratio(results, "havnet-spsc");
        double demoteRatio = ratio(results, "havnet-spsc-cldemote");
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("benchmark", "ring");
            m.put("producer_cpu", cpus[0]);
            m.put("consumer_cpu", cpus[1]);
            m.put("pinned", bench.pinNotice() == null);
            m.put("collections_in_rounds", bench.collectionsInRounds());
            m.put("cacheline_round_trip_ns", io.havnet.bench.Measure.r3(rtt));
            m.put("spsc_speedup_over_jctools", io.havnet.bench.Measure.r3(ratio));
            m.put("cldemote", CacheLineDemote.active());
            if (CacheLineDemote.active()) {
                m.put("spsc_cldemote_speedup_over_jctools", io.havnet.bench.Measure.r3(demoteRatio));
            } else {
                m.put("cldemote_why", CacheLineDemote.why());
            }
            if (c.why() == null) {
                m.put("native_compiler", c.compiler());
            } else {
                m.put("native_why", c.why());
            }
            m.put("results", results.stream().map(RingBench.Result::toMap).toList());
            out.println(Json.write(m));
            return;
        }
        out.printf(Locale.ROOT, "ring: producer on CPU %d, consumer on CPU %d%s; median of %d rounds of %,d handles%n",
                cpus[0], cpus[1], bench.pinNotice() == null ? "" : " (unpinned: " + bench.pinNotice() + ")", rounds,
                results.getFirst().handles());
        Table t = new Table("implementation", "burst", "ns/handle (median)", "ns/handle (best)", "M handles/s");
        for (RingBench.Result r : results) {
            t.row(r.name(), r.burst(), String.format(Locale.ROOT, "%.2f", r.nsPerHandle()),
                    String.format(Locale.ROOT, "%.2f", r.minNsPerHandle()), String.format(Locale.ROOT, "%.1f", r.mops()));
        }
        t.print(out);
        if (bench.collectionsInRounds() > 0) {
            out.printf(Locale.ROOT, "%d garbage collection(s) ran during the measured rounds: their pauses count as ring time%n",
                    bench.collectionsInRounds());
        }
        out.printf(Locale.ROOT, "havnet SPSC at burst 32 against JCTools SpscArrayQueue offer/poll: %.2fx as fast%n", ratio);
        if (CacheLineDemote.active()) {
            out.printf(Locale.ROOT, "the same ring with Ring.F_DEMOTE (filled lines demoted, CLDEMOTE): %.2fx as fast%n", demoteRatio);
        } else {
            out.printf(Locale.ROOT, "havnet-spsc-cldemote not run: %s%n", CacheLineDemote.why());
        }
        out.printf(Locale.ROOT, "cache-line round trip between the two CPUs (ping-pong): %.0f ns%n", rtt);
        out.println(c.why() == null ? "c-*: the same SPSC protocol in C (" + c.compiler() + "), +prefetch / +cldemote added"
                : "c-* not run: " + c.why());
    }

    /** JCTools SPSC offer/poll's median ns per handle over the named havnet variant's at burst 32. */
    static double ratio(List<RingBench.Result> results, String havnetVariant) {
        double havnet = Double.NaN;
        double jctools = Double.NaN;
        for (RingBench.Result r : results) {
            if (r.name().equals(havnetVariant) && r.burst() == 32) {
                havnet = r.nsPerHandle();
            } else if (r.name().equals("jctools-spsc") && r.burst() == 1) {
                jctools = r.nsPerHandle();
            }
        }
        return jctools / havnet;
    }
}
