package io.havnet.cli.lab;

import io.havnet.lab.Demo;
import io.havnet.lab.Experiment;
import io.havnet.lab.control.VfAdmin;
import io.havnet.lab.scenario.Scenario;
import io.havnet.lab.scenario.ScenarioLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** {@code havnet vf}: {@code ip link}-style VF administration. */
@Command(name = "vf", mixinStandardHelpOptions = true,
        description = {"VF administration the way ip link does it:",
                "  havnet vf set pf0 vf 3 mac 02:00:00:00:00:03 vlan 10 qos 3 spoofchk on trust off max_tx_rate 500 state enable",
                "  havnet vf show pf0",
                "Against a running host (havnet run --metrics-port N) with --connect 127.0.0.1:N, or against a host built "
                        + "from --scenario FILE (default: the demo's host) that lives for this one command."})
public final class VfCommand implements Runnable {
    @Option(names = "--connect", paramLabel = "HOST:PORT", description = "a running host's control endpoint")
    String connect;

    @Option(names = "--scenario", paramLabel = "FILE", description = "build the host from this scenario")
    Path scenario;

    @Parameters(paramLabel = "COMMAND", arity = "1..*", description = "set pf0 vf N KEY VALUE... | show pf0")
    List<String> words;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        if (connect != null && scenario != null) {
            throw new IllegalArgumentException("give --connect or --scenario, not both");
        }
        String line = String.join(" ", words);
        if (!words.getFirst().equals("set") && !words.getFirst().equals("show")) {
            throw new IllegalArgumentException("unknown command '" + words.getFirst() + "' (expected set, show)");
        }
        String result;
        if (connect != null) {
            result = remote(line);
        } else {
            Scenario s = scenario != null ? ScenarioLoader.load(scenario) : Demo.scenario(Demo.Plan.quick());
            try (Experiment e = new Experiment(s)) {
                VfAdmin a = new VfAdmin(e.host());
                result = a.execute(line);
                if (words.getFirst().equals("set")) {
                    result = a.show();
                }
            }
        }
        spec.commandLine().getOut().print(result);
        spec.commandLine().getOut().flush();
    }

    private String remote(String line) {
        if (!connect.matches("[A-Za-z0-9.\\-]+:\\d{1,5}")) {
            throw new IllegalArgumentException("--connect '" + connect + "': expected HOST:PORT");
        }
        URI uri = URI.create("http://" + connect + "/vf");
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10));
        HttpRequest req = words.getFirst().equals("show") && words.size() == 2 && words.get(1).equals(VfAdmin.PF)
                ? b.GET().build() : b.POST(HttpRequest.BodyPublishers.ofString(line)).build();
        try (HttpClient c = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            HttpResponse<String> r = c.send(req, HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 400) {
                throw new IllegalArgumentException(r.body().strip());
            }
            if (r.statusCode() != 200) {
                throw new IllegalStateException(connect + " answered HTTP " + r.statusCode());
            }
            return r.body();
        } catch (IOException ex) {
            throw new IllegalStateException("cannot reach " + connect + ": " + (unresolved(ex)
                    ? "unknown host " + connect.substring(0, connect.lastIndexOf(':'))
                    : ex instanceof java.net.ConnectException
                    ? "connection refused (is a host running there with --metrics-port?)"
                    : ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage()));
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
    }

    /** True when the failure is a name that does not resolve (the client reports it as a failed connect). */
    private static boolean unresolved(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof java.nio.channels.UnresolvedAddressException || c instanceof java.net.UnknownHostException) {
                return true;
            }
        }
        return false;
    }
}
