package io.havnet.nfv;

import io.havnet.dataplane.TestEnv;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Tools nobody here wrote: scapy (Debian's python) and tshark. */
public final class Interop {
    private Interop() {}

    public static void requireScapy() {
        TestEnv.require(TestEnv.pythonModule("scapy.all"), "python3-scapy is not installed (/usr/bin/python3 -c 'import scapy')");
    }

    public static void requireTshark() {
        TestEnv.require(TestEnv.hasTool("tshark"), "tshark is not installed");
    }

    /** Runs a scapy script (with {@code from scapy.all import *} prepended); fails the test on a non-zero exit. */
    public static String scapy(String script, Object... args) {
        List<String> cmd = new ArrayList<>(List.of(TestEnv.PYTHON, "-c", "from scapy.all import *\n"
                + "import sys\n" + script));
        for (Object a : args) {
            cmd.add(String.valueOf(a));
        }
        return TestEnv.exec(cmd, null, 120).ok().out();
    }

    /** tshark over {@code pcap} with extra arguments; its stdout. */
    public static String tshark(Path pcap, String... args) {
        List<String> cmd = new ArrayList<>(List.of("tshark", "-r", pcap.toString()));
        cmd.addAll(List.of(args));
        return TestEnv.exec(cmd, null, 120).ok().out();
    }
}
