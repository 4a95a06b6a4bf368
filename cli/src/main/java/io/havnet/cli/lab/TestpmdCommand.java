package io.havnet.cli.lab;

import io.havnet.lab.Demo;
import io.havnet.lab.Experiment;
import io.havnet.lab.apps.GuestApps;
import io.havnet.lab.control.Testpmd;
import io.havnet.lab.scenario.Scenario;
import io.havnet.lab.scenario.ScenarioLoader;
import org.jline.builtins.Completers.TreeCompleter;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

import static org.jline.builtins.Completers.TreeCompleter.node;

/** {@code havnet testpmd}: a testpmd-style shell over a scenario's host. */
@Command(name = "testpmd", mixinStandardHelpOptions = true,
        description = {"An interactive shell in the manner of DPDK testpmd over a scenario's host (default: one macswap "
                + "VM per path): show port info|stats, show vf stats, set fwd, start, stop, set vf ..., show iommu faults.",
                "Port N is the N-th VM's vNIC. With --cmdfile the commands run from a file; the first bad one ends "
                        + "the run with exit 2."})
public final class TestpmdCommand implements Runnable {
    @Parameters(paramLabel = "SCENARIO.yaml", arity = "0..1", description = "the scenario (default: one VM per path)")
    Path file;

    @Option(names = "--cmdfile", paramLabel = "FILE", description = "run the commands in FILE, echoing each one")
    Path cmdfile;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        List<String> script = null;
        if (cmdfile != null) {
            try {
                script = Files.readAllLines(cmdfile);
            } catch (NoSuchFileException e) {
                throw new IllegalArgumentException(cmdfile + ": no such file");
            } catch (IOException e) {
                throw new IllegalArgumentException(cmdfile + ": " + e.getMessage());
            }
        }
        Scenario s = file != null ? ScenarioLoader.load(file) : Demo.scenario(Demo.Plan.quick());
        PrintWriter out = spec.commandLine().getOut();
        try (Experiment e = new Experiment(s)) {
            e.start();
            Testpmd t = new Testpmd(e);
            out.println("havnet testpmd: " + e.host().vms().size() + " ports (VMs " + String.join(", ",
                    e.host().vms().stream().map(v -> v.name() + "/" + v.path().label()).toList()) + ")");
            if (script != null) {
                runScript(t, script, out);
            } else {
                interactive(t, out);
            }
        }
    }

    private void runScript(Testpmd t, List<String> lines, PrintWriter out) {
        for (int i = 0; i < lines.size() && !t.quitRequested(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            out.println("testpmd> " + line);
            try {
                out.print(t.execute(line));
                out.flush();
            } catch (IllegalArgumentException | IllegalStateException ex) {
                out.flush();
                throw new IllegalArgumentException(cmdfile + ":" + (i + 1) + ": " + ex.getMessage());
            }
        }
        if (t.forwarding()) {
            out.print(t.execute("stop"));
        }
        out.flush();
    }

    private void interactive(Testpmd t, PrintWriter out) {
        Terminal term;
        try {
            term = TerminalBuilder.builder().system(true).build();
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot open the terminal: " + ex.getMessage(), ex);
        }
        try {
            Object[] modes = GuestApps.NAMES;
            TreeCompleter completer = new TreeCompleter(
                    node("help"),
                    node("show", node("port", node("info", node("all")), node("stats", node("all"))),
                            node("fwd", node("stats", node("all"))), node("vf", node("stats"), node("info")),
                            node("iommu", node("faults"))),
                    node("clear", node("port", node("stats", node("all")))),
                    node("set", node("fwd", node(modes)),
                            node("vf", node("mac"), node("vlan"), node("spoofchk"), node("trust"), node("rate"),
                                    node("link"))),
                    node("start"), node("stop"), node("sleep"), node("quit"));
            LineReader reader = LineReaderBuilder.builder().terminal(term).appName("havnet-testpmd").completer(completer)
                    .variable(LineReader.HISTORY_FILE, Path.of(System.getProperty("user.home"), ".havnet_testpmd_history"))
                    .build();
            PrintWriter tw = term.writer();
            tw.println("type help for the commands, quit to leave (Tab completes)");
            while (!t.quitRequested()) {
                String line;
                try {
                    line = reader.readLine("testpmd> ");
                } catch (UserInterruptException ex) {
                    continue;
                } catch (EndOfFileException ex) {
                    tw.print(t.execute("quit"));
                    break;
                }
                try {
                    tw.print(t.execute(line));
                } catch (IllegalArgumentException | IllegalStateException ex) {
                    tw.println("Bad arguments: " + ex.getMessage());
                }
                tw.flush();
            }
            try {
                reader.getHistory().save();
            } catch (IOException ex) {
                tw.println("(history not saved: " + ex.getMessage() + ")");
            }
            tw.flush();
        } finally {
            try {
                term.close();
            } catch (IOException ex) {
                out.println("(terminal not restored: " + ex.getMessage() + ")");
            }
        }
    }
}
