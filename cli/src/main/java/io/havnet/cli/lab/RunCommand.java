package io.havnet.cli.lab;

import io.havnet.dataplane.stats.Json;
import io.havnet.lab.Experiment;
import io.havnet.lab.metrics.MetricsServer;
import io.havnet.lab.report.HtmlReport;
import io.havnet.lab.scenario.Scenario;
import io.havnet.lab.scenario.ScenarioLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code havnet run SCENARIO.yaml}: a scenario's host, VMs, wire and traffic; output as demo. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Builds the scenario's host and VMs and runs its traffic: with a generator wire, one phase per "
                + "frame size and path (output as demo); with a pcap wire, the file is replayed into the NIC and what "
                + "the NIC sends out is written to DIR/wire-out.pcap.", "Scenario schema: docs/scenarios.md."})
public final class RunCommand implements Runnable {
    @Parameters(paramLabel = "SCENARIO.yaml", description = "the scenario file")
    Path file;

    @Option(names = "--json", description = "print the results as one JSON object on stdout")
    boolean json;

    @Option(names = "--out", paramLabel = "DIR", description = "report directory (default ${DEFAULT-VALUE})")
    Path out = Path.of("havnet-report");

    @Option(names = "--no-report", description = "do not write the HTML report (a pcap wire's output is still written to DIR)")
    boolean noReport;

    @Option(names = "--duration", paramLabel = "D", description = "measured time per phase, overriding traffic.duration; with "
            + "--soak or a scenario's soak key, the whole run (seconds, or 500ms, 30s, 10m, 1h)")
    String durationText;

    @Option(names = "--metrics-port", paramLabel = "N",
            description = "serve every counter in Prometheus text format on 127.0.0.1:N/metrics, and VF control on /vf")
    Integer metricsPort;

    @Option(names = "--soak", description = "repeat the scenario's phases until --duration (total, default 10m) has passed, "
            + "checking conservation, the heap after GC and, at the end, that every buffer is back; exit 1 on a violation "
            + "(a scenario with a soak key runs this way without the option)")
    boolean soak;

    @Option(names = "--wire", paramLabel = "af_packet:IF|generator", description = "replace the scenario's wire")
    String wire;

    @Option(names = "--linger", paramLabel = "SECONDS",
            description = "keep the host (and the metrics endpoint) up this long after the traffic (default ${DEFAULT-VALUE})")
    double linger = 0;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        if (metricsPort != null && (metricsPort < 0 || metricsPort > 65535)) {
            throw new IllegalArgumentException("--metrics-port " + metricsPort + " is out of range [0, 65535]");
        }
        if (!(linger >= 0 && linger <= 86_400)) {
            throw new IllegalArgumentException("--linger " + linger + " is out of range [0, 86400] s");
        }
        Scenario s = ScenarioLoader.load(file);
        soak |= s.soak();
        Double duration = durationText == null ? null : parseDuration(durationText, soak ? 86_400 : 3600);
        if (soak) {
            if (s.wire().real() || s.wire().kind().equals(Scenario.WireConf.PCAP)) {
                throw new IllegalArgumentException("--soak needs the generator wire (the tester measures every round)");
            }
            double total = duration != null ? duration : s.soak() ? s.soakSeconds() : 600;
            int code = Soak.run(s, total, spec.commandLine().getOut(), spec.commandLine().getErr(),
                    json);
            if (code != 0) {
                throw new IllegalStateException("soak: a check failed (see above)");
            }
            return;
        }
        if (wire != null) {
            Scenario.WireConf w;
            if (wire.equals("generator")) {
                w = Scenario.WireConf.generator();
            } else if (wire.startsWith("af_packet:") && wire.length() > 10) {
                w = new Scenario.WireConf(Scenario.WireConf.AF_PACKET, null, null, wire.substring(10), null);
            } else {
                throw new IllegalArgumentException("--wire '" + wire + "': expected af_packet:IF or generator");
            }
            s = new Scenario(s.name(), s.host(), w, s.traffic(), s.vms());
        }
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("scenario", s.name());
        boolean pcap = s.wire().kind().equals(Scenario.WireConf.PCAP);
        if (pcap || !noReport) {
            HtmlReport.checkWritable(out); // before the run, not after it
        }
        Path wireOut = pcap ? out.resolve("wire-out.pcap") : null;
        boolean real = s.wire().real();
        try (Experiment e = pcap ? Experiment.withPcapWire(s, wireOut) : Experiment.open(s);
             MetricsServer m = metricsPort == null ? null : MetricsServer.start(e, metricsPort);
             Progress p = new Progress(err, false)) {
            if (m != null) {
                err.println("metrics: http://127.0.0.1:" + m.port() + "/metrics   VF control: http://127.0.0.1:" + m.port()
                        + "/vf");
            }
            double secs = duration != null ? duration : s.traffic().seconds();
            if (pcap) {
                p.accept("replaying " + s.wire().pcapIn());
                results.put("replay", e.replay(Math.max(secs, 1)));
            } else if (real) {
                p.accept("the host runs for " + secs + " s on " + e.host().nic().wire()
                        + (e.host().vms().stream().anyMatch(v -> e.tap(v.name()) != null)
                        ? "; guests: " + String.join(", ", s.vms().stream().filter(v -> v.tap() != null)
                        .map(v -> v.name() + " = " + v.tap().cidr() + " in netns " + v.tap().netns()).toList()) : ""));
                results.put("real", e.runReal(secs, p));
            } else {
                p.accept("warming up (not measured)");
                e.warmUp(0.5, 10, true); // the measured phases go on on the lcores that warmed up
                List<Map<String, Object>> runs = new ArrayList<>();
                for (Scenario.FrameSize size : s.traffic().sizes()) {
                    p.accept(size + " frames");
                    runs.addAll(e.phases(s.paths(), size, secs, p)); // the paths take turns
                }
                results.put("runs", runs);
            }
            if (linger > 0) {
                p.accept("host stays up for " + linger + " s");
                try {
                    Thread.sleep((long) (linger * 1000));
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        if (real) {
            if (json) {
                stdout.println(Json.write(results));
            } else {
                stdout.print(replaySummary((Map<?, ?>) results.get("real")));
            }
            stdout.flush();
            return;
        }
        if (pcap) {
            if (json) {
                stdout.println(Json.write(results));
            } else {
                stdout.print(replaySummary((Map<?, ?>) results.get("replay")));
            }
            stdout.flush();
            err.println("wire output: " + wireOut);
            return;
        }
        DemoCommand.Reports.finish(results, json, noReport ? null : out, stdout, err);
    }

    private static String replaySummary(Map<?, ?> r) {
        StringBuilder b = new StringBuilder();
        if (r.containsKey("file")) {
            b.append(String.format("replayed %s: %s frames read, %s frames the NIC sent to the wire (%s s%s)%n", r.get("file"),
                    r.get("frames_read"), r.get("frames_written"), r.get("seconds"),
                    Boolean.TRUE.equals(r.get("complete")) ? "" : ", file not finished"));
        } else {
            b.append(String.format("%s: %s frames in from the wire, %s out, in %s s%n", r.get("wire"), r.get("wire_rx"),
                    r.get("wire_tx"), r.get("seconds")));
        }
        b.append("NIC rx:");
        ((Map<?, ?>) r.get("nic_rx")).forEach((k, v) -> b.append(' ').append(k).append('=').append(v));
        b.append("\nNIC tx:");
        ((Map<?, ?>) r.get("nic_tx")).forEach((k, v) -> b.append(' ').append(k).append('=').append(v));
        b.append("\nVMs:");
        ((Map<?, ?>) r.get("vms")).forEach((k, v) -> b.append(' ').append(k).append(' ').append(v));
        b.append("\ndrops:");
        Map<?, ?> d = (Map<?, ?>) r.get("drops");
        if (d.isEmpty()) {
            b.append(" none");
        }
        d.forEach((k, v) -> b.append(' ').append(k).append('=').append(v));
        return b.append('\n').toString();
    }

    /** {@code 90}, {@code 90s}, {@code 500ms}, {@code 10m}, {@code 1h} as seconds in [0.05, max]. */
    static double parseDuration(String t, double max) {
        double v;
        try {
            v = io.havnet.nfv.config.ConfigNode.seconds(t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--duration '" + t + "' is not a duration (e.g. 30, 500ms, 30s, 10m, 1h)");
        }
        if (!(v >= 0.05 && v <= max)) {
            throw new IllegalArgumentException("--duration " + t + " is out of range [0.05 s, " + (long) max + " s]");
        }
        return v;
    }
}
