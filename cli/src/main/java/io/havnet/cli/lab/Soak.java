package io.havnet.cli.lab;

import io.havnet.bench.JitterBench;
import io.havnet.bench.Measure;
import io.havnet.dataplane.agent.StallProbe;
import io.havnet.dataplane.mempool.Mempool;
import io.havnet.dataplane.stats.Json;
import io.havnet.hypervisor.IoPath;
import io.havnet.hypervisor.Vm;
import io.havnet.lab.Experiment;
import io.havnet.lab.scenario.Scenario;

import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code havnet run SCENARIO --soak --duration S}: the scenario's phases again and again until S
 * seconds have passed. Every round: Mpps and the latency tail per path, conservation
 * (offered + replicas = delivered + drops) and the heap after a GC; at the end every pool must be
 * whole. Before the host starts, the machine's own latency floor on the lcores' CPUs is measured,
 * so the tail is read next to it. Returns 0 when every check held.
 */
final class Soak {
    private Soak() {}

    private static long hostileSent(Experiment e) {
        long n = 0;
        for (Vm v : e.host().vms()) {
            if ("hostile".equals(e.appOf(v.name()))) {
                n += e.appCounters(v.name()).get(0);
            }
        }
        return n;
    }

    /** The CPUs the host's lcores run on ({@link io.havnet.hypervisor.Host.Placement#twoCores()}). */
    private static final int[] LCORE_CPUS = {0, 1};

    /**
     * The latency floor the machine itself sets on the lcores' CPUs, before any traffic: a spinning
     * probe per CPU ({@link StallProbe}, what {@code havnet bench jitter} runs) for 1–10 s.
     */
    private static List<Map<String, Object>> machineFloor(double soakSeconds, PrintWriter err) {
        int ncpu = Runtime.getRuntime().availableProcessors();
        int[] cpus = java.util.Arrays.stream(LCORE_CPUS).filter(c -> c < ncpu).toArray();
        long millis = (long) Math.max(1_000, Math.min(10_000, soakSeconds * 1_000 / 60));
        StallProbe.compile();
        StallProbe[] probes = JitterBench.probes(cpus.length);
        StallProbe.runOn(probes, cpus, millis);
        List<Map<String, Object>> rows = new ArrayList<>();
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "soak: the machine alone for %.0f s:", millis / 1e3));
        for (int i = 0; i < cpus.length; i++) {
            Map<String, Object> m = JitterBench.row(cpus[i], "havnet", probes[i].stalls());
            rows.add(m);
            line.append(String.format(Locale.ROOT, " CPU %d floor p99.99 %.0f us (%.1f stalls/s of 50 us or more, longest %.0f us);",
                    cpus[i], (Double) m.get("floor_p9999_us"), (Double) m.get("stalls_per_s_ge_50us"), (Double) m.get("max_us")));
        }
        err.println(line);
        err.flush();
        return rows;
    }

    @SuppressWarnings("unchecked")
    static int run(Scenario s, double seconds, PrintWriter out, PrintWriter err, boolean json) {
        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        List<Map<String, Object>> rounds = new ArrayList<>();
        List<Mempool> pools = new ArrayList<>();
        int failures = 0;
        Map<String, Object> summary0 = new LinkedHashMap<>();
        long heapFirst = -1;
        long heapMax = 0;
        double phase = Math.max(0.5, Math.min(s.traffic().seconds(), seconds / 6));
        List<Map<String, Object>> machine = machineFloor(seconds, err);
        Map<String, List<Double>> tails = new LinkedHashMap<>(); // p99.99 of each round, per path
        try (Experiment e = new Experiment(s)) {
            err.println("soak: warming up");
            e.warmUp(0.5);
            // settle before the books open: nothing in flight when the first snapshot is taken
            List<String> hostiles = e.host().vms().stream().map(Vm::name).filter(n -> "hostile".equals(e.appOf(n))).toList();
            hostiles.forEach(e.host()::pauseVm);
            e.host().runUntilIdle(16, 1_000_000);
            List<io.havnet.hypervisor.accounting.Component.Snapshot> a0 = e.host().accounting();
            long off0 = e.tester().offered();
            long del0 = e.tester().delivered();
            long rep0 = e.host().replicas();
            long hostile0 = hostileSent(e);
            hostiles.forEach(e.host()::resumeVm);
            e.start();
            long end = System.nanoTime() + (long) (seconds * 1e9);
            int round = 0;
            while (System.nanoTime() < end) {
                round++;
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("round", round);
                StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "round %3d", round));
                for (Scenario.FrameSize size : s.traffic().sizes()) {
                    for (IoPath p : s.paths()) {
                        Map<String, Object> run = e.phase(p, size, phase, null);
                        if (!run.containsKey("offered")) {
                            continue;
                        }
                        Map<String, Object> lat = (Map<String, Object>) run.get("latency_us");
                        line.append(String.format(Locale.ROOT, " | %s %s %.3f Mpps p99.99 %s us", p.label(), size,
                                ((Number) run.get("mpps")).doubleValue(), lat.get("p9999")));
                        r.put(p.label() + "/" + size.label(), run);
                        tails.computeIfAbsent(p.label(), k -> new ArrayList<>())
                                .add(((Number) lat.get("p9999")).doubleValue());
                    }
                }
                System.gc();
                long heap = mem.getHeapMemoryUsage().getUsed();
                if (round == 2) {
                    heapFirst = heap; // after warm-up and one full round
                }
                heapMax = Math.max(heapMax, heap);
                r.put("heap_after_gc_mb", heap >> 20);
                line.append(String.format(Locale.ROOT, " | heap %d MiB", heap >> 20));
                err.println(line);
                err.flush();
                rounds.add(r);
            }
            // conservation over the whole run, once everything has settled: the tester's frames and
            // the hostile guests' frames went somewhere, or were counted as dropped
            hostiles.forEach(e.host()::pauseVm);
            Thread.sleep(300);
            e.stop();
            long offered = e.tester().offered() - off0;
            long delivered = e.tester().delivered() - del0;
            long hostile = hostileSent(e) - hostile0;
            long replicas = e.host().replicas() - rep0;
            long drops = 0;
            for (io.havnet.hypervisor.accounting.Component.Snapshot a : e.host().accounting()) {
                var b = a0.stream().filter(x -> x.name().equals(a.name())).findFirst().orElse(null);
                for (long v : (b == null ? a : a.minus(b)).drops().values()) {
                    drops += v;
                }
            }
            boolean conserved = offered + hostile + replicas == delivered + drops;
            if (!conserved) {
                failures++;
            }
            summary0.put("offered", offered);
            summary0.put("hostile_sent", hostile);
            summary0.put("replicas", replicas);
            summary0.put("delivered", delivered);
            summary0.put("dropped", drops);
            summary0.put("conserved", conserved);
            pools.addAll(e.host().mempools());
            Map<String, Long> byVm = new LinkedHashMap<>();
            for (Vm v : e.host().vms()) {
                if ("hostile".equals(e.appOf(v.name()))) {
                    byVm.put(v.name(), e.appCounters(v.name()).get(0));
                }
            }
            rounds.add(Map.of("hostile_frames_sent", byVm));
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            failures++;
        }
        long leaked = 0;
        for (Mempool p : pools) {
            leaked += p.inUse();
        }
        if (leaked != 0) {
            failures++;
        }
        long growth = heapFirst < 0 ? 0 : heapMax - heapFirst;
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("rounds", rounds.size() - 1);
        summary.putAll(summary0);
        summary.put("leaked_mbufs", leaked);
        summary.put("heap_growth_after_round_2_mb", growth >> 20);
        Map<String, Object> medians = new LinkedHashMap<>();
        tails.forEach((path, v) -> medians.put(path, Measure.median(v.stream().mapToDouble(Double::doubleValue).toArray())));
        summary.put("latency_p9999_us_median_of_rounds", medians);
        summary.put("machine_floor", machine);
        if (json) {
            Map<String, Object> all = new LinkedHashMap<>(summary);
            all.put("detail", rounds);
            out.println(Json.write(all));
        } else {
            out.printf(Locale.ROOT, "soak: %d rounds; offered %s + hostile %s + replicas %s = delivered %s + dropped %s: %s; "
                            + "%d mbufs leaked; heap growth after round 2: %d MiB%n", rounds.size() - 1, summary0.get("offered"),
                    summary0.get("hostile_sent"), summary0.get("replicas"), summary0.get("delivered"), summary0.get("dropped"),
                    Boolean.TRUE.equals(summary0.get("conserved")) ? "conserved" : "NOT CONSERVED", leaked, growth >> 20);
            StringBuilder tail = new StringBuilder("soak: latency p99.99, median of the rounds:");
            medians.forEach((path, v) -> tail.append(String.format(Locale.ROOT, " %s %.0f us,", path, (Double) v)));
            tail.append(" next to the machine's own floor (no traffic):");
            for (Map<String, Object> m : machine) {
                tail.append(String.format(Locale.ROOT, " CPU %s %.0f us", m.get("cpu"), (Double) m.get("floor_p9999_us")));
            }
            out.println(tail);
        }
        out.flush();
        return failures;
    }
}
