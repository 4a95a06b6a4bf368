package io.havnet.cli;

import io.havnet.cli.bench.BenchCommand;
import io.havnet.cli.lab.DemoCommand;
import io.havnet.cli.lab.RunCommand;
import io.havnet.cli.lab.TestpmdCommand;
import io.havnet.cli.lab.VfCommand;
import io.havnet.cli.nf.IpsecCommand;
import io.havnet.cli.nf.NfCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** {@code havnet}: the top-level command. */
@Command(name = "havnet",
        mixinStandardHelpOptions = true,
        versionProvider = HavnetCommand.Version.class,
        description = "Hardware-assisted network virtualization (VMDq, SR-IOV, VT-d) and a DPDK-style toolkit.",
        subcommands = {DemoCommand.class, RunCommand.class, TestpmdCommand.class, VfCommand.class, NfCommand.class,
                IpsecCommand.class, BenchCommand.class})
public final class HavnetCommand implements Runnable {
    @Option(names = "--debug", description = "print stack traces for errors", scope = picocli.CommandLine.ScopeType.INHERIT)
    boolean debug;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Reads the version Maven wrote into the jar. */
    public static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = HavnetCommand.class.getResourceAsStream("/havnet-version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            return new String[] {"havnet " + p.getProperty("version", "unknown") + " (Java " + Runtime.version() + ")"};
        }
    }

    /** Current version string. */
    public static String version() {
        try {
            return new Version().getVersion()[0];
        } catch (IOException e) {
            return "havnet unknown";
        }
    }
}
