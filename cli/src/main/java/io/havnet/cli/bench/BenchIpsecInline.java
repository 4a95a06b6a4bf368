package io.havnet.cli.bench;

import io.havnet.bench.InlineIpsecBench;
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

/** {@code havnet bench ipsec-inline}: ESP crypto in the guest versus in the NIC. */
@Command(name = "ipsec-inline", mixinStandardHelpOptions = true,
        description = "A VM on a trusted VF as an ESP gateway: crypto in the guest (software) next to crypto in the NIC "
                + "(inline IPsec), guest and NIC ns per frame.")
public final class BenchIpsecInline implements Runnable {
    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Option(names = "--seconds", description = "measured seconds per run (default ${DEFAULT-VALUE})")
    double seconds = 3;

    @Option(names = "--frame-sizes", split = ",", description = "frame sizes with FCS (default ${DEFAULT-VALUE})")
    int[] sizes = {64, 512, 1400};

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        if (!(seconds >= 0.5 && seconds <= 600)) {
            throw new IllegalArgumentException("--seconds must be in [0.5, 600]");
        }
        for (int s : sizes) {
            if (s < 64 || s > 1400) {
                throw new IllegalArgumentException("--frame-sizes: " + s + " is outside [64, 1400] (ESP must fit 1518 B)");
            }
        }
        InlineIpsecBench b = new InlineIpsecBench(seconds, 256);
        new InlineIpsecBench(1, 256).run(false, 512); // warm up the JIT on both paths; not reported
        new InlineIpsecBench(1, 256).run(true, 512);
        List<Map<String, Object>> runs = new ArrayList<>();
        for (int s : sizes) {
            runs.add(b.run(false, s));
            runs.add(b.run(true, s));
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("benchmark", "ipsec-inline");
            m.put("runs", runs);
            out.println(Json.write(m));
            return;
        }
        out.printf(Locale.ROOT, "ipsec-inline: ESP gateway in a VM on a VF, AES-128-GCM, %.1f s per run; NIC on CPU 0, "
                + "guest and far end on CPU 1%n", seconds);
        Table t = new Table("frame", "crypto in", "Mpps", "guest ns/pkt", "NIC ns/pkt", "far end ns/pkt", "drops");
        for (Map<String, Object> r : runs) {
            t.row(r.get("frame_size"), r.get("mode").equals("inline") ? "NIC (inline)" : "guest (software)", r.get("mpps"),
                    r.get("guest_ns_per_pkt"), r.get("nic_ns_per_pkt"), r.get("far_end_ns_per_pkt"), r.get("drops"));
        }
        t.print(out);
    }
}
