package io.havnet.cli.nf;

import io.havnet.cli.UsageException;
import io.havnet.dataplane.net.Net;
import io.havnet.nfv.ipsec.Aead;
import io.havnet.nfv.ipsec.TunnelFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;

/** {@code havnet ipsec tunnel create}: a matched pair of gateway configs. */
@Command(name = "ipsec", mixinStandardHelpOptions = true, description = "IPsec tunnel automation.",
        subcommands = {IpsecCommand.Tunnel.class})
public final class IpsecCommand implements Runnable {
    @Override
    public void run() {
        throw new UsageException("ipsec needs a command: tunnel create");
    }

    @Command(name = "tunnel", mixinStandardHelpOptions = true, description = "Site-to-site tunnels.",
            subcommands = {Create.class})
    static final class Tunnel implements Runnable {
        @Override
        public void run() {
            throw new UsageException("ipsec tunnel needs a command: create");
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = {"Writes DIR/left.yaml and DIR/right.yaml: one SA each way with fresh SPIs and keys from a "
                    + "secure random, and on each side the policies that protect its subnet's traffic to the other.",
                    "Use them with: havnet nf ipsec-encap --config DIR/left.yaml ... / ipsec-decap --config DIR/right.yaml ..."})
    static final class Create implements Runnable {
        @Option(names = "--left", required = true, description = "left gateway's address (tunnel endpoint)")
        String left;

        @Option(names = "--right", required = true, description = "right gateway's address")
        String right;

        @Option(names = "--left-subnet", required = true, description = "the subnet behind the left gateway, a.b.c.d/len")
        String leftSubnet;

        @Option(names = "--right-subnet", required = true, description = "the subnet behind the right gateway")
        String rightSubnet;

        @Option(names = "--aead", description = "aes-128-gcm or aes-256-gcm (default ${DEFAULT-VALUE})")
        String aead = "aes-128-gcm";

        @Option(names = "--replay-window", description = "64-4096, a multiple of 64 (default ${DEFAULT-VALUE})")
        int window = 64;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "where to write left.yaml and right.yaml")
        Path out;

        @Option(names = "--force", description = "overwrite existing files")
        boolean force;

        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            TunnelFactory.Pair p = TunnelFactory.create(NfCommand.ipv4("--left", left), NfCommand.ipv4("--right", right),
                    prefix("--left-subnet", leftSubnet), prefix("--right-subnet", rightSubnet), Aead.parse(aead), window,
                    new SecureRandom());
            Path l = out.resolve("left.yaml");
            Path r = out.resolve("right.yaml");
            if (!force && (Files.exists(l) || Files.exists(r))) {
                throw new UsageException(out + " already has left.yaml or right.yaml (--force overwrites)");
            }
            try {
                Files.createDirectories(out);
                write(l, "# left gateway " + left + " (" + leftSubnet + "); its peer is right.yaml\n" + p.left().toYaml());
                write(r, "# right gateway " + right + " (" + rightSubnet + "); its peer is left.yaml\n" + p.right().toYaml());
            } catch (IOException e) {
                throw new UsageException("--out " + out + ": cannot write there (" + UsageException.ioReason(e) + ")", e);
            }
            spec.commandLine().getOut().printf("wrote %s and %s (SPI %s left->right, %s right->left; keys are secret: mode 600)%n",
                    l, r, p.left().sas().get(0).spiHex(), p.left().sas().get(1).spiHex());
            spec.commandLine().getOut().flush();
        }

        private static void write(Path f, String text) throws IOException {
            Files.deleteIfExists(f);
            Files.createFile(f, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(f, text);
        }

        private static int[] prefix(String opt, String v) {
            int slash = v.indexOf('/');
            try {
                if (slash < 0) {
                    throw new IllegalArgumentException();
                }
                int a = Net.parseIpv4(v.substring(0, slash));
                int len = Integer.parseInt(v.substring(slash + 1));
                if (len < 0 || len > 32) {
                    throw new IllegalArgumentException();
                }
                int mask = len == 0 ? 0 : -1 << (32 - len);
                if ((a & ~mask) != 0) {
                    throw new UsageException(opt + " " + v + " has host bits set");
                }
                return new int[] {a, len};
            } catch (UsageException e) {
                throw e;
            } catch (IllegalArgumentException e) {
                throw new UsageException(opt + " '" + v + "' is not a prefix (a.b.c.d/len)");
            }
        }
    }
}
