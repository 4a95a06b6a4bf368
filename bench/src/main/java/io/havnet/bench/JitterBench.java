package io.havnet.bench;

import io.havnet.dataplane.agent.StallProbe;
import io.havnet.dataplane.clock.Clock;
import io.havnet.dataplane.stats.Stalls;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code havnet bench jitter}: how often, and for how long, the machine takes a CPU away from a
 * thread that never gives it up — the floor under every latency an lcore on that CPU can show.
 * havnet's {@link StallProbe} runs on a pinned lcore per CPU; its peer, taking turns with it, is
 * {@code oslat} (rt-tests: "OS latency detector by running busy loops on specified cores"), a C
 * program outside the JVM. Where the two agree, the stalls are the machine's, not the JVM's.
 */
public final class JitterBench {
    /** The stall lengths reported as rates, µs. */
    public static final long[] THRESHOLDS_US = {10, 50, 100, 1_000};
    private static final Pattern OSLAT_ROW = Pattern.compile("^\\s*(\\d+) \\(us\\):\\s*([\\d ]+?)\\s*(\\(including overflows\\))?\\s*$");
    private static final Pattern OSLAT_FIELD = Pattern.compile("^\\s*(Maximum|Duration|Core):\\s*([\\d. ]+?)\\s*(\\(.*\\))?\\s*$");
    private static final int OSLAT_BUCKETS = 1024;

    private final int[] cpus;
    private final int seconds;
    private final int rounds;
    private final String oslat;

    /**
     * @param oslat the oslat executable, or null to run havnet's probe alone
     */
    public JitterBench(int[] cpus, int seconds, int rounds, String oslat) {
        if (cpus.length == 0 || seconds < 1 || rounds < 1) {
            throw new IllegalArgumentException("jitter bench needs a CPU, 1 s and 1 round");
        }
        this.cpus = cpus.clone();
        this.seconds = seconds;
        this.rounds = rounds;
        this.oslat = oslat;
    }

    /** The oslat on PATH, or null. */
    public static String findOslat() {
        return Measure.executable("oslat");
    }

    /** Fresh probes, one per CPU, that spin 1 ms per call. */
    public static StallProbe[] probes(int n) {
        StallProbe[] probes = new StallProbe[n];
        for (int i = 0; i < n; i++) {
            probes[i] = new StallProbe(Clock.SYSTEM, 1_000_000);
        }
        return probes;
    }

    public Map<String, Object> run() {
        StallProbe[] probes = probes(cpus.length);
        Stalls[] peer = new Stalls[cpus.length];
        for (int i = 0; i < cpus.length; i++) {
            peer[i] = new Stalls();
        }
        String pinNotice = null;
        String oslatVersion = null;
        String oslatError = null;
        for (int r = 0; r < rounds; r++) {
            pinNotice = probeRound(probes, r == 0);
            if (oslat != null && oslatError == null) {
                try {
                    oslatVersion = oslatRound(peer);
                } catch (IOException | RuntimeException e) {
                    oslatError = e.getMessage();
                }
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("seconds_per_round", seconds);
        m.put("rounds", rounds);
        m.put("pinned", pinNotice == null);
        if (pinNotice != null) {
            m.put("pin_notice", pinNotice);
        }
        m.put("peer", oslat == null ? "none (oslat not found: apt-get install rt-tests)"
                : oslatError != null ? "oslat failed: " + oslatError : "oslat " + oslatVersion);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int i = 0; i < cpus.length; i++) {
            rows.add(row(cpus[i], "havnet", probes[i].stalls()));
            if (oslat != null && oslatError == null) {
                rows.add(row(cpus[i], "oslat", peer[i]));
            }
        }
        m.put("results", rows);
        return m;
    }

    /** What one probe saw on one CPU: stall rates, the longest, the time lost and the floor per percentile. */
    public static Map<String, Object> row(int cpu, String probe, Stalls s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cpu", cpu);
        m.put("probe", probe);
        m.put("observed_s", Measure.r3(s.observedNanos() / 1e9));
        for (long us : THRESHOLDS_US) {
            m.put("stalls_per_s_ge_" + us + "us", Measure.r3(s.perSecondAtLeast(us)));
        }
        m.put("max_us", Measure.r3(s.maxNanos() / 1e3));
        m.put("lost_share_ge_10us", Math.round(s.lostShareAtLeast(10) * 1e6) / 1e6);
        m.put("floor_p99_us", Measure.r3(s.floorNanos(0.99) / 1e3));
        m.put("floor_p999_us", Measure.r3(s.floorNanos(0.999) / 1e3));
        m.put("floor_p9999_us", Measure.r3(s.floorNanos(0.9999) / 1e3));
        return m;
    }

    /** One lcore per CPU, each spinning its probe for the round. */
    private String probeRound(StallProbe[] probes, boolean warmUp) {
        if (warmUp) {
            StallProbe.compile();
        }
        return StallProbe.runOn(probes, cpus, seconds * 1_000L);
    }

    /** One oslat run over the same CPUs; its histogram goes into {@code into}. Returns oslat's version. */
    private String oslatRound(Stalls[] into) throws IOException {
        StringBuilder list = new StringBuilder();
        for (int c : cpus) {
            list.append(list.isEmpty() ? "" : ",").append(c);
        }
        Measure.Exec r = Measure.exec(List.of(oslat, "-c", list.toString(), "-D", Integer.toString(seconds), "-q",
                "-b", Integer.toString(OSLAT_BUCKETS), "-z"), seconds + 30L);
        if (r.exit() != 0) {
            throw new IllegalStateException("exit " + r.exit() + ": " + r.lastLine());
        }
        String out = r.out();
        return parseOslat(out, into);
    }

    /**
     * Adds oslat's quiet-mode summary ({@code -q -b N -z}) to one {@link Stalls} per core, in the
     * order of its "Core:" line. oslat's bucket b holds loops of (b−1, b] µs; each is recorded at
     * its lower edge, and the last bucket's overflows at its edge except the longest, recorded at
     * oslat's maximum — all lower bounds.
     *
     * @return the version oslat printed
     */
    public static String parseOslat(String text, Stalls[] into) {
        String version = "?";
        int cores = -1;
        List<long[]> rows = new ArrayList<>();
        long[] max = null;
        double[] duration = null;
        int lastBucket = -1;
        for (String line : text.split("\n")) {
            if (line.startsWith("oslat V")) {
                version = line.substring("oslat V".length()).strip();
                continue;
            }
            Matcher f = OSLAT_FIELD.matcher(line);
            if (f.matches()) {
                String[] v = f.group(2).strip().split("\\s+");
                switch (f.group(1)) {
                    case "Core" -> cores = v.length;
                    case "Maximum" -> max = longs(v);
                    case "Duration" -> {
                        duration = new double[v.length];
                        for (int i = 0; i < v.length; i++) {
                            duration[i] = Double.parseDouble(v[i]);
                        }
                    }
                    default -> { }
                }
                continue;
            }
            Matcher r = OSLAT_ROW.matcher(line);
            if (r.matches()) {
                long[] counts = longs(r.group(2).strip().split("\\s+"));
                long[] row = new long[counts.length + 1];
                row[0] = Long.parseLong(r.group(1));
                System.arraycopy(counts, 0, row, 1, counts.length);
                rows.add(row);
                if (r.group(3) != null) {
                    lastBucket = (int) row[0];
                }
            }
        }
        if (cores != into.length || max == null || duration == null || max.length != cores || duration.length != cores) {
            throw new IllegalArgumentException("oslat's output has no summary for " + into.length + " cores");
        }
        for (int c = 0; c < cores; c++) {
            long before = into[c].observedNanos();
            for (long[] row : rows) {
                if (row.length != cores + 1) {
                    throw new IllegalArgumentException("oslat row for " + row[0] + " µs has " + (row.length - 1) + " counts");
                }
                long bucket = row[0];
                long n = row[c + 1];
                if (bucket < 2 || n == 0) {
                    continue;
                }
                if (bucket == lastBucket && max[c] > bucket) {
                    into[c].recordMicros(bucket - 1, n - 1);
                    into[c].recordMicros(max[c] - 1, 1);
                } else {
                    into[c].recordMicros(bucket - 1, n);
                }
            }
            long stalls = into[c].observedNanos() - before;
            into[c].addQuietNanos(Math.max(0, Math.round(duration[c] * 1e9) - stalls));
        }
        return version;
    }

    private static long[] longs(String[] v) {
        long[] out = new long[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Long.parseLong(v[i]);
        }
        return out;
    }
}
