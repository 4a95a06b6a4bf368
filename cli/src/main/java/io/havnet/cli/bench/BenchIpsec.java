package io.havnet.cli.bench;

import io.havnet.bench.IpsecBench;
import io.havnet.dataplane.crypto.CryptoBackend;
import io.havnet.dataplane.stats.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code havnet bench ipsec}: ESP encap+decap per core next to raw JDK AES-GCM. */
@Command(name = "ipsec", mixinStandardHelpOptions = true,
        description = "ESP tunnel encap+decap (AES-128-GCM) on one core at 64, 512, 1400 B and IMIX, next to raw JDK AES-GCM "
                + "seal+open of the same payloads, with the JDK and the OpenSSL backend.")
public final class BenchIpsec implements Runnable {
    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Option(names = "--seconds", description = "measured seconds per side and size, the two sides taking turns in 25 ms slices (default ${DEFAULT-VALUE})")
    double seconds = 3;

    @Option(names = "--sizes", split = ",", description = "frame sizes with FCS, or imix (default 64,512,1400,imix)")
    List<String> sizes = List.of("64", "512", "1400", "imix");

    @Option(names = "--backends", split = ",", description = "jdk, openssl (default: both, openssl when available)")
    List<String> backends = List.of("jdk", "openssl");

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        if (!(seconds >= 0.2 && seconds <= 600)) {
            throw new IllegalArgumentException("--seconds must be in [0.2, 600]");
        }
        List<Integer> s = new ArrayList<>();
        for (String x : sizes) {
            if (x.equals("imix")) {
                s.add(IpsecBench.IMIX);
            } else {
                int v;
                try {
                    v = Integer.parseInt(x);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("--sizes: '" + x + "' is not a size or imix");
                }
                if (v < 64 || v > 1518) {
                    throw new IllegalArgumentException("--sizes: " + v + " is outside [64, 1518]");
                }
                s.add(v);
            }
        }
        List<CryptoBackend> bs = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        for (String b : backends) {
            CryptoBackend c = CryptoBackend.parse(b);
            if (c.available()) {
                bs.add(c);
            } else {
                skipped.add(c.label() + ": " + c.unavailableReason());
            }
        }
        IpsecBench bench = new IpsecBench(seconds);
        List<Map<String, Object>> runs = new ArrayList<>();
        for (CryptoBackend b : bs) {
            for (int size : s) {
                runs.add(bench.run(size, b));
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("benchmark", "ipsec");
            m.put("runs", runs);
            m.put("skipped", skipped);
            out.println(Json.write(m));
            return;
        }
        out.printf(Locale.ROOT, "ipsec: ESP tunnel mode, AES-128-GCM, encap + decap per packet on one core, %.1f s per run%n",
                seconds);
        Table t = new Table("backend", "frame", "havnet Mpps", "havnet Gbit/s", "alloc B/pkt", "raw JDK Mpps",
                "raw JDK Gbit/s", "havnet / raw", "by third");
        for (Map<String, Object> r : runs) {
            t.row(r.get("backend"), r.get("frame_size"), f(r.get("havnet_mpps")), f(r.get("havnet_gbps")),
                    f(r.get("havnet_alloc_bytes_per_pkt")), f(r.get("raw_jdk_mpps")), f(r.get("raw_jdk_gbps")),
                    f(r.get("havnet_vs_raw_jdk")), spread(r.get("havnet_vs_raw_jdk_by_third")));
        }
        t.print(out);
        for (String k : skipped) {
            out.println("skipped " + k);
        }
    }

    /** "lowest–highest" of the per-third ratios. */
    private static String spread(Object thirds) {
        double lo = Double.MAX_VALUE;
        double hi = -Double.MAX_VALUE;
        for (Object o : (List<?>) thirds) {
            double v = ((Number) o).doubleValue();
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        return String.format(Locale.ROOT, "%.2f–%.2f", lo, hi);
    }

    private static String f(Object o) {
        return String.format(Locale.ROOT, "%.3f", ((Number) o).doubleValue());
    }
}
