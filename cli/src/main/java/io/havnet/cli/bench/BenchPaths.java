package io.havnet.cli.bench;

import io.havnet.dataplane.stats.Json;
import io.havnet.bench.PathBench;
import io.havnet.cli.LineRateOption;
import io.havnet.hypervisor.IoPath;
import io.havnet.hypervisor.accounting.CostModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code havnet bench paths}: vswitch, vmdq and sriov side by side. */
@Command(name = "paths", mixinStandardHelpOptions = true,
        description = "The three I/O paths side by side: Mpps and per-packet cost of hypervisor, NIC and guests.")
public final class BenchPaths implements Runnable {
    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Option(names = "--seconds", description = "measured seconds per path and size, the paths taking turns in 100 ms slices (default ${DEFAULT-VALUE})")
    double seconds = 4;

    @Option(names = "--vms", description = "VMs per host (default ${DEFAULT-VALUE})")
    int vms = 4;

    @Option(names = "--frame-sizes", split = ",", description = "wire frame sizes, FCS included (default ${DEFAULT-VALUE})")
    int[] sizes = {64, 1518};

    @Option(names = "--paths", split = ",", description = "paths to run (default vswitch,vmdq,sriov)")
    String[] paths = {"vswitch", "vmdq", "sriov"};

    @Option(names = "--cost-model", description = "add modelled cycles for VM exits and interrupts (reported apart)")
    boolean costModel;

    @Option(names = "--wire-cpu", description = "CPU of the wire's far end (the reflector): 1, with the hypervisor and the guests,"
            + " or 0, with the NIC (default ${DEFAULT-VALUE})")
    int wireCpu = 1;

    @Mixin
    LineRateOption lineRate;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        if (vms < 1 || vms > 16) {
            throw new IllegalArgumentException("--vms must be in [1, 16]");
        }
        if (seconds < 0.5 || seconds > 600) {
            throw new IllegalArgumentException("--seconds must be in [0.5, 600]");
        }
        List<IoPath> ps = new ArrayList<>();
        for (String p : paths) {
            ps.add(IoPath.parse(p));
        }
        for (int s : sizes) {
            if (s < 64 || s > 1518) {
                throw new IllegalArgumentException("--frame-sizes: " + s + " is outside [64, 1518]");
            }
        }
        if (wireCpu != 0 && wireCpu != 1) {
            throw new IllegalArgumentException("--wire-cpu must be 0 or 1");
        }
        long lineRateMbps = lineRate.mbps();
        PathBench b = new PathBench(seconds, vms, 96, costModel ? CostModel.defaults() : CostModel.OFF, wireCpu)
                .lineRateMbps(lineRateMbps);
        List<Map<String, Object>> runs = new ArrayList<>();
        for (int size : sizes) {
            runs.addAll(b.run(ps, size));
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("benchmark", "paths");
            m.put("line_rate_mbps", lineRateMbps);
            m.put("runs", runs);
            out.println(Json.write(m));
            return;
        }
        out.printf(Locale.ROOT, "paths: %d VMs per host running macswap, NIC%s on CPU 0, hypervisor + guests%s on CPU 1, %.1f s each, the hosts taking turns in 100 ms slices%s%n",
                vms, wireCpu == 0 ? " + wire reflector" : "", wireCpu == 0 ? "" : " + wire reflector", seconds,
                lineRate.describe("port"));
        Table t = new Table("path", "frame B", "Mpps", "Gbit/s", "hv ns/pkt", "NIC ns/pkt", "guest ns/pkt", "copies/pkt",
                "exits/pkt", "irqs/pkt", "drops", "Mpps by third");
        for (Map<String, Object> r : runs) {
            @SuppressWarnings("unchecked")
            Map<String, Long> d = (Map<String, Long>) r.get("drops");
            t.row(r.get("path"), r.get("frame_size"), fmt(r.get("mpps")), fmt(r.get("gbps")), fmt(r.get("hypervisor_ns_per_pkt")),
                    fmt(r.get("nic_ns_per_pkt")), fmt(r.get("guest_ns_per_pkt")), fmt(r.get("copies_per_pkt")),
                    fmt(r.get("vm_exits_per_pkt")), fmt(r.get("interrupts_per_pkt")),
                    d.values().stream().mapToLong(Long::longValue).sum(), r.get("mpps_by_third"));
        }
        t.print(out);
    }

    private static String fmt(Object o) {
        return o instanceof Double d ? String.format(Locale.ROOT, "%.2f", d) : String.valueOf(o);
    }
}
