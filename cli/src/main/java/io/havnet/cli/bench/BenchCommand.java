package io.havnet.cli.bench;

import picocli.CommandLine.Command;

/** {@code havnet bench}: benchmarks with a peer measured in the same run. */
@Command(name = "bench",
        description = "Benchmarks, each next to a peer measured in the same run.",
        mixinStandardHelpOptions = true,
        subcommands = {BenchRing.class, BenchMempool.class, BenchFwd.class, BenchNic.class, BenchPaths.class,
                BenchIpsec.class, BenchIpsecInline.class, BenchLpm.class, BenchAfPacket.class, BenchJitter.class})
public final class BenchCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                "bench needs a benchmark: ring, mempool, fwd, nic, paths, ipsec, ipsec-inline, lpm, afpacket or jitter");
    }
}
