package io.havnet.cli.lab;

import io.havnet.cli.LineRateOption;
import io.havnet.dataplane.stats.Json;
import io.havnet.lab.Demo;
import io.havnet.lab.report.HtmlReport;
import io.havnet.lab.report.TextTable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;

/** {@code havnet demo}: the three paths side by side on an embedded default host. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"One host, 4 macswap VMs on each path (vSwitch, VMDq, SR-IOV VF); the tester offers 64 B, "
                + "1518 B and IMIX frames to each path and measures throughput, per-packet cost and latency; then "
                + "the hypervisor's cost as VMs are added (1-16 per path). About 35 s; --quick about 5 s.",
                "Writes havnet-report/index.html (charts) and results.json."})
public final class DemoCommand implements Runnable {
    @Option(names = "--quick", description = "64 B and 1518 B only, short runs, scaling 1 and 4 VMs (about 5 s; a smoke test, not figures to quote)")
    boolean quick;

    @Option(names = "--json", description = "print the results as one JSON object on stdout (schema: docs/results.md)")
    boolean json;

    @Option(names = "--out", paramLabel = "DIR", description = "report directory (default ${DEFAULT-VALUE})")
    Path out = Path.of("havnet-report");

    @Option(names = "--no-report", description = "do not write the HTML report")
    boolean noReport;

    @Mixin
    LineRateOption lineRate;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (!noReport) {
            HtmlReport.checkWritable(out);
        }
        Demo.Plan plan = (quick ? Demo.Plan.quick() : Demo.Plan.full()).withLineRate(lineRate.mbps());
        Map<String, Object> results;
        try (Progress p = new Progress(err, false)) {
            p.accept("havnet demo: " + Demo.VMS_PER_PATH + " macswap VMs per path; NIC on CPU 0, hypervisor, guests "
                    + "and tester on CPU 1" + lineRate.describe("NIC port"));
            results = Demo.run(plan, p);
        }
        Reports.finish(results, json, noReport ? null : out, stdout, err);
        if (quick) {
            err.println("demo --quick: a smoke test; the JIT was not given time to settle, so these figures are largely"
                    + " the compiler's (run without --quick for figures)");
        }
    }

    /** Printing and writing results, shared by demo and run. */
    static final class Reports {
        private Reports() {}

        static void finish(Map<String, Object> results, boolean json, Path out, PrintWriter stdout, PrintWriter err) {
            if (json) {
                stdout.println(Json.write(results));
            } else {
                stdout.println();
                stdout.print(TextTable.render(results));
            }
            stdout.flush();
            if (out != null) {
                Path index = HtmlReport.write(out, results);
                err.println("report: " + index + " (and " + out.resolve("results.json") + ")");
            }
        }
    }
}
