package io.havnet.cli.bench;

import io.havnet.bench.AfPacketBench;
import io.havnet.dataplane.stats.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** {@code havnet bench afpacket}: a veth pair, havnet's AF_PACKET port next to bare rings. */
@Command(name = "afpacket", mixinStandardHelpOptions = true,
        description = "Frames across a veth pair (sender CPU 0, receiver CPU 1): havnet's af_packet port next to a minimal "
                + "sender/receiver on the same kind of rings on a second pair, taking turns in 50 ms slices; then how long a "
                + "lone frame takes from send to receive, next to a TPACKET_V3 block ring. Needs root "
                + "(creates and removes the veth pairs).")
public final class BenchAfPacket implements Runnable {
    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Option(names = "--seconds", description = "measured seconds per side, in 50 ms slices alternating with the other side (default ${DEFAULT-VALUE})")
    double seconds = 2;

    @Option(names = "--frame-size", description = "frame size with FCS (default ${DEFAULT-VALUE})")
    int frameSize = 64;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new IllegalArgumentException("bench afpacket needs root (it creates a veth pair and opens AF_PACKET sockets)");
        }
        if (frameSize < 64 || frameSize > 1518 || !(seconds >= 0.5 && seconds <= 600)) {
            throw new IllegalArgumentException("--frame-size must be in [64, 1518] and --seconds in [0.5, 600]");
        }
        String[] ifs = {"hvbench0", "hvbench1", "hvbench2", "hvbench3"};
        ip(false, "link", "del", ifs[0]);
        ip(false, "link", "del", ifs[2]);
        try {
            for (int i = 0; i < 4; i += 2) {
                ip(true, "link", "add", ifs[i], "type", "veth", "peer", "name", ifs[i + 1]);
                // no IPv6 on them: the kernel's own frames (DAD, MLD, router solicitations) would
                // arrive with the bench's and be counted as received
                noIpv6(ifs[i]);
                noIpv6(ifs[i + 1]);
                ip(true, "link", "set", ifs[i], "up");
                ip(true, "link", "set", ifs[i + 1], "up");
            }
            Map<String, Object> r = new AfPacketBench(ifs[0], ifs[1], ifs[2], ifs[3], seconds, frameSize).run();
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                r.put("benchmark", "afpacket");
                out.println(Json.write(r));
                return;
            }
            out.printf(Locale.ROOT, "afpacket: veth pairs, %d B frames, sender on CPU 0, receiver on CPU 1, %.1f s each in 50 ms turns%n",
                    frameSize, seconds);
            Table t = new Table("side", "TX Mpps", "RX Mpps");
            t.row("havnet af_packet port", r.get("havnet_tx_mpps"), r.get("havnet_rx_mpps"));
            t.row("minimal rings (peer)", r.get("minimal_tx_mpps"), r.get("minimal_rx_mpps"));
            t.print(out);
            out.printf(Locale.ROOT, "havnet / minimal: TX %.2f, RX %.2f (TX by third: %s)%n",
                    ((Number) r.get("tx_vs_minimal")).doubleValue(), ((Number) r.get("rx_vs_minimal")).doubleValue(),
                    r.get("tx_vs_minimal_by_third"));
            @SuppressWarnings("unchecked")
            Map<String, Map<String, Object>> lone = (Map<String, Map<String, Object>>) r.get("lone_frame_wait_us");
            Map<String, Object> v2 = lone.get("havnet_tpacket_v2");
            Map<String, Object> v3 = lone.get("tpacket_v3_block_ring");
            out.printf(Locale.ROOT, "a lone frame, send to receive: havnet port (TPACKET_V2) p50 %s us, p90 %s us; "
                    + "TPACKET_V3 block ring (peer) p50 %s us, p90 %s us%n", v2.get("p50"), v2.get("p90"), v3.get("p50"), v3.get("p90"));
        } finally {
            ip(false, "link", "del", ifs[0]);
            ip(false, "link", "del", ifs[2]);
        }
    }

    private static void noIpv6(String ifname) {
        java.nio.file.Path f = java.nio.file.Path.of("/proc/sys/net/ipv6/conf", ifname, "disable_ipv6");
        try {
            if (java.nio.file.Files.exists(f)) {
                java.nio.file.Files.writeString(f, "1");
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot turn IPv6 off on " + ifname + ": " + e.getMessage());
        }
    }

    private static void ip(boolean check, String... args) {
        try {
            Process p = new ProcessBuilder(concat(args)).redirectErrorStream(true).start();
            String o = new String(p.getInputStream().readAllBytes()).strip();
            p.waitFor(30, TimeUnit.SECONDS);
            if (check && p.exitValue() != 0) {
                throw new IllegalStateException("ip " + String.join(" ", args) + ": " + o);
            }
        } catch (IOException e) {
            throw new IllegalStateException("ip cannot run: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static List<String> concat(String... args) {
        java.util.ArrayList<String> l = new java.util.ArrayList<>();
        l.add("ip");
        l.addAll(List.of(args));
        return l;
    }
}
