package io.havnet.cli;

import io.havnet.nic.Nic;
import picocli.CommandLine.Option;

import java.util.Locale;

/** {@code --line-rate-mbps}: the NIC's port paced as its MAC would, for the commands that build a host. */
public final class LineRateOption {
    @Option(names = "--line-rate-mbps", description = "pace the NIC's port at this many Mbit/s each way, as its MAC would"
            + " (10000: 10 GbE); 0, the default: not paced")
    long mbps;

    /** The rate asked for, checked: 0 (not paced) up to the fastest line a port may have. */
    public long mbps() {
        if (mbps < 0 || mbps > Nic.MAX_LINE_RATE_MBPS) {
            throw new IllegalArgumentException("--line-rate-mbps must be in [0, " + Nic.MAX_LINE_RATE_MBPS + "]");
        }
        return mbps;
    }

    /** "; {@code what} paced at N Mbit/s" for a command's header line, or nothing when not paced. */
    public String describe(String what) {
        return mbps == 0 ? "" : String.format(Locale.ROOT, "; %s paced at %,d Mbit/s", what, mbps);
    }
}
