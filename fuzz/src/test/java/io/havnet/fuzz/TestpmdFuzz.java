package io.havnet.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.havnet.lab.Demo;
import io.havnet.lab.Experiment;
import io.havnet.lab.control.Testpmd;

/**
 * testpmd command lines from outside, over a live host: every line either runs or is refused with
 * an IllegalArgumentException / IllegalStateException (the shell prints it and goes on). Lines are
 * built from testpmd's own words so the fuzzer reaches deep into the commands. ({@code sleep} and
 * {@code quit} are left out: they wait or end the session by design.)
 */
public class TestpmdFuzz {
    private static final String[] WORDS = {"show", "port", "info", "stats", "all", "0", "1", "2", "3", "99", "-1", "fwd",
            "vf", "iommu", "faults", "clear", "set", "mac", "vlan", "qos", "spoofchk", "trust", "rate", "link", "on", "off",
            "auto", "enable", "disable", "start", "stop", "macswap", "io", "rxonly", "txonly", "flowgen", "echo", "help",
            "02:00:00:00:00:01", "ff:ff:ff:ff:ff:ff", "4094", "4095", "7", "8", "10000", "10001", "#", ""};
    /** Built with the class, before the first input: its seconds of start-up are not an input's time. */
    private static final Testpmd shell = new Testpmd(new Experiment(Demo.scenario(Demo.Plan.quick())));

    public static void fuzzerTestOneInput(FuzzedDataProvider in) {
        StringBuilder line = new StringBuilder();
        int n = in.consumeInt(0, 8);
        for (int i = 0; i < n; i++) {
            line.append(in.consumeBoolean() ? WORDS[in.consumeInt(0, WORDS.length - 1)] : in.consumeString(12)).append(' ');
        }
        String l = line.toString();
        String first = l.trim().split("\\s+")[0]; // the shell's own split: trim() drops control characters too
        if (first.equals("sleep") || first.equals("quit") || first.equals("exit")) {
            return;
        }
        try {
            shell.execute(l);
        } catch (IllegalArgumentException | IllegalStateException refused) {
            // the shell prints "Bad arguments: ..." and goes on
        }
    }

    @FuzzTest(maxDuration = "10s")
    void commands(FuzzedDataProvider in) {
        fuzzerTestOneInput(in);
    }
}
