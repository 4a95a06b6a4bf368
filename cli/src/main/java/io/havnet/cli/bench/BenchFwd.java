package io.havnet.cli.bench;

import io.havnet.bench.FwdBench;
import io.havnet.dataplane.stats.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code havnet bench fwd}: testpmd io forwarding between ring ports on one core. */
@Command(name = "fwd", mixinStandardHelpOptions = true,
        description = "io forwarding between two ring ports on one core: Mpps and bytes allocated per packet.")
public final class BenchFwd implements Runnable {
    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Option(names = "--packets", description = "packets in the timed run (default ${DEFAULT-VALUE}, at least 10 M)")
    long packets = 200_000_000L;

    @Option(names = "--burst", description = "burst size (default ${DEFAULT-VALUE})")
    int burst = 32;

    @Option(names = "--frame-size", description = "wire frame size in bytes, FCS included (default ${DEFAULT-VALUE})")
    int frameSize = 64;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        if (packets < 10_000_000) {
            throw new IllegalArgumentException("--packets must be at least 10000000 (allocation is measured over >= 10 M)");
        }
        if (burst < 1 || burst > 512) {
            throw new IllegalArgumentException("--burst must be in [1, 512]");
        }
        if (frameSize < 64 || frameSize > 1518) {
            throw new IllegalArgumentException("--frame-size must be in [64, 1518]");
        }
        List<FwdBench.Result> results = new FwdBench(packets, burst, frameSize).runAll();
        FwdBench.Result io = results.getFirst();
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("benchmark", "fwd");
            m.put("mode", "io");
            m.put("frame_size", frameSize);
            m.put("burst", burst);
            m.put("packets", io.packets());
            m.put("mpps", io.mpps());
            m.put("ns_per_pkt", io.nsPerPacket());
            m.put("alloc_bytes_per_pkt", io.allocBytesPerPacket());
            m.put("results", results.stream().map(FwdBench.Result::toMap).toList());
            out.println(Json.write(m));
            return;
        }
        out.printf(Locale.ROOT, "fwd: two ring ports, two streams on one core, %d-byte frames, burst %d, %,d packets%n",
                frameSize, burst, io.packets());
        Table t = new Table("engine", "Mpps", "ns/pkt", "bytes alloc/pkt");
        for (FwdBench.Result r : results) {
            t.row(r.name(), String.format(Locale.ROOT, "%.1f", r.mpps()), String.format(Locale.ROOT, "%.2f", r.nsPerPacket()),
                    String.format(Locale.ROOT, "%.4f", r.allocBytesPerPacket()));
        }
        t.print(out);
    }
}
