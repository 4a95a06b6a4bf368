package io.havnet.cli.bench;

import io.havnet.dataplane.stats.Json;
import io.havnet.bench.NicBench;
import io.havnet.platform.memory.PageAllocator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.Map;

/** {@code havnet bench nic}: the SR-IOV data path through the emulated NIC. */
@Command(name = "nic", mixinStandardHelpOptions = true,
        description = "wire -> NIC -> VF -> guest macswap -> VF -> NIC -> wire: Mpps, NIC ns/packet, IOTLB misses;"
                + " then the same loop stripped to its memory traffic on the same CPUs (the floor).")
public final class BenchNic implements Runnable {
    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Option(names = "--seconds", description = "measured seconds (default ${DEFAULT-VALUE})")
    double seconds = 5;

    @Option(names = "--frame-size", description = "wire frame size, FCS included (default ${DEFAULT-VALUE})")
    int frameSize = 64;

    @Option(names = "--iommu-page", description = "IOMMU page size for the VM: 4k or 2m (default ${DEFAULT-VALUE})")
    String iommuPage = "2m";

    @Option(names = "--in-flight", description = "frames circulating in the loop (default ${DEFAULT-VALUE})")
    int inFlight = 2048;

    @Option(names = "--cores", description = "1: NIC, guest and wire on one core (no cross-core traffic); 2: NIC on CPU 0, guest on CPU 1 (default ${DEFAULT-VALUE})")
    int cores = 2;

    @Option(names = "--wire-cpu", description = "with 2 cores, the CPU of the wire's far end (the reflector): 1, next to the guest,"
            + " or 0, next to the NIC, so frames reach the NIC from the wire without crossing cores (default ${DEFAULT-VALUE})")
    int wireCpu = 1;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        if (seconds < 0.5 || seconds > 600) {
            throw new IllegalArgumentException("--seconds must be in [0.5, 600]");
        }
        if (frameSize < 64 || frameSize > 1518) {
            throw new IllegalArgumentException("--frame-size must be in [64, 1518]");
        }
        long page = switch (iommuPage) {
            case "4k" -> PageAllocator.PAGE_4K;
            case "2m" -> PageAllocator.PAGE_2M;
            default -> throw new IllegalArgumentException("--iommu-page must be 4k or 2m, got '" + iommuPage + "'");
        };
        if (inFlight < 1 || inFlight > 4000) {
            throw new IllegalArgumentException("--in-flight must be in [1, 4000]");
        }
        if (cores != 1 && cores != 2) {
            throw new IllegalArgumentException("--cores must be 1 or 2");
        }
        if (wireCpu != 0 && wireCpu != 1) {
            throw new IllegalArgumentException("--wire-cpu must be 0 or 1");
        }
        Map<String, Object> r = new NicBench(seconds, frameSize, page, inFlight, cores, wireCpu).run();
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(Json.write(r));
            return;
        }
        out.printf("nic: %s, %d-byte frames, IOMMU pages %s, %.1f s%n", r.get("path"), frameSize, r.get("iommu_page"), seconds);
        Table t = new Table("metric", "value");
        for (String k : new String[] {"mpps", "line_rate_10g_mpps", "nic_ns_per_pkt", "guest_ns_per_pkt",
            "iotlb_misses_per_pkt", "alloc_bytes_per_pkt", "nic_rx_drops", "frames", "floor_mpps", "floor_nic_ns_per_pkt",
            "of_floor"}) {
            t.row(k, r.get(k));
        }
        t.print(out);
    }
}
