package io.havnet.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.havnet.lab.Demo;
import io.havnet.lab.Experiment;
import io.havnet.dataplane.mempool.Mempool;
import io.havnet.lab.control.Testpmd;

import java.util.List;

/**
 * testpmd command lines from outside, over a live host: every line either runs or is refused with
 * an IllegalArgumentException / IllegalStateException (the shell prints it and goes on). Lines are
 * built from testpmd's own words so the fuzzer reaches deep into the commands. ({@code sleep} and
 * {@code quit} are left out: they wait or end the session by design.) Every
 * {@value #LEAK_CHECK_EVERY} inputs the host is closed and every pool must have all its mbufs back.
 */
public class TestpmdFuzz {
    private static final String[] WORDS = {"show", "port", "info", "stats", "all", "0", "1", "2", "3", "99", "-1", "fwd",
            "vf", "iommu", "faults", "clear", "set", "mac", "vlan", "qos", "spoofchk", "trust", "rate", "link", "on", "off",
            "auto", "enable", "disable", "start", "stop", "reset", "macswap", "io", "rxonly", "txonly", "flowgen", "echo", "help",
            "02:00:00:00:00:01", "ff:ff:ff:ff:ff:ff", "4094", "4095", "7", "8", "10000", "10001", "#", ""};
    /** Inputs between two leak checks: the host is closed, every buffer must be back, a new host is built. */
    static final int LEAK_CHECK_EVERY = 200_000;
    private static Experiment experiment;
    private static Testpmd shell;
    private static int inputs;

    static {
        // built with the class, before the first input: its seconds of start-up are not an input's time
        fresh();
    }

    private static void fresh() {
        experiment = new Experiment(Demo.scenario(Demo.Plan.quick()));
        shell = new Testpmd(experiment);
    }

    /**
     * Closes the host and checks that every mbuf of every pool came back — whatever the commands
     * did to VFs, modes and traffic — then builds a new one. A buffer still taken is a finding.
     */
    private static void checkNoBufferLeft() {
        if (shell.forwarding()) {
            shell.execute("stop");
        }
        List<Mempool> pools = experiment.host().mempools();
        experiment.close();
        for (Mempool p : pools) {
            if (p.inUse() != 0) {
                throw new AssertionError(p + ": " + p.inUse() + " mbufs not returned after " + inputs
                        + " testpmd commands: " + p.leakReport());
            }
        }
        fresh();
    }

    public static void fuzzerTestOneInput(FuzzedDataProvider in) {
        if (++inputs % LEAK_CHECK_EVERY == 0) {
            checkNoBufferLeft();
        }
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
