package io.havnet.cli.nf;

import io.havnet.cli.UsageException;
import io.havnet.dataplane.crypto.CryptoBackend;
import io.havnet.dataplane.ethdev.EthDev;
import io.havnet.dataplane.net.MacAddress;
import io.havnet.dataplane.net.Net;
import io.havnet.dataplane.stats.Json;
import io.havnet.nfv.NfAgent;
import io.havnet.nfv.PcapRun;
import io.havnet.nfv.acl.AclFunction;
import io.havnet.nfv.acl.AclRules;
import io.havnet.nfv.ipsec.EspDecap;
import io.havnet.nfv.ipsec.EspEncap;
import io.havnet.nfv.ipsec.GatewayConfig;
import io.havnet.nfv.ipsec.Sad;
import io.havnet.nfv.l3.L3Fwd;
import io.havnet.nfv.l3.RouteTable;
import io.havnet.nfv.vlan.VlanFunction;
import io.havnet.nfv.vxlan.VxlanDecap;
import io.havnet.nfv.vxlan.VxlanEncap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;

/** {@code havnet nf FUNCTION --in A.pcap --out B.pcap}: one network function over a capture. */
@Command(name = "nf", mixinStandardHelpOptions = true,
        description = "Runs one network function over a capture (pcap in, pcap out) or live ports (af_packet:IF, tap:IF) and prints its counters.",
        subcommands = {NfCommand.VlanPush.class, NfCommand.VlanPop.class, NfCommand.VlanTranslate.class,
                NfCommand.VlanMark.class, NfCommand.IpsecEncap.class, NfCommand.IpsecDecap.class,
                NfCommand.VxlanEncapCmd.class, NfCommand.VxlanDecapCmd.class, NfCommand.L3fwd.class, NfCommand.Acl.class})
public final class NfCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new UsageException("nf needs a function: vlan-push, vlan-pop, vlan-translate, vlan-mark, ipsec-encap, "
                + "ipsec-decap, vxlan-encap, vxlan-decap, l3fwd, acl");
    }

    /** Options every function takes. */
    static final class Io {
        @Option(names = "--in", required = true, paramLabel = "A.pcap|af_packet:IF|tap:IF", description = "capture to read, or a live port")
        String in;

        @Option(names = "--out", required = true, paramLabel = "B.pcap|af_packet:IF|tap:IF", description = "capture to write, or a live port")
        String out;

        @Option(names = "--duration", paramLabel = "SECONDS", description = "how long to run when --in is a live port")
        double duration;

        @Option(names = "--json", description = "print the counters as one JSON object")
        boolean json;

        @Option(names = "--burst", description = "frames per burst (default ${DEFAULT-VALUE})")
        int burst = 32;
    }

    abstract static class Base implements Runnable {
        @Mixin
        Io io;

        @Spec
        CommandSpec spec;

        abstract NfAgent make(EthDev rx, EthDev tx);

        /**
         * An output capture that cannot be written is the user's to fix: one line and exit 2, before
         * any frame is read (it was an I/O failure half-way, exit 1). Creates nothing that was not there.
         */
        static void checkWritable(String out) {
            Path p = Path.of(out);
            if (Files.isDirectory(p)) {
                throw new UsageException("--out " + out + " is a directory");
            }
            boolean existed = Files.exists(p);
            try (var ch = Files.newByteChannel(p, java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.WRITE)) {
                // opened: it can be written
            } catch (java.io.IOException | SecurityException e) {
                throw new UsageException("--out " + out + ": cannot create it (" + UsageException.ioReason(e) + ")", e);
            }
            if (!existed) {
                try {
                    Files.deleteIfExists(p);
                } catch (java.io.IOException e) {
                    // created just now and cannot be removed: the run writes it anyway
                }
            }
        }

        /** Anything to print after the counters (ACL hits). */
        Map<String, Object> extra(NfAgent a) {
            return Map.of();
        }

        void close() {}

        @Override
        public void run() {
            boolean liveIn = PcapRun.live(io.in);
            if (!liveIn && !Files.isRegularFile(Path.of(io.in))) {
                throw new UsageException("--in " + io.in + ": no such file");
            }
            if (io.in.equals(io.out) || !liveIn && Path.of(io.in).toAbsolutePath().normalize()
                    .equals(Path.of(io.out).toAbsolutePath().normalize())) {
                throw new UsageException("--in and --out are the same");
            }
            if (!PcapRun.live(io.out)) {
                checkWritable(io.out);
            }
            if (liveIn && !(io.duration > 0 && io.duration <= 86_400)) {
                throw new UsageException("--in " + io.in + " is a live port: give --duration SECONDS (0-86400]");
            }
            if (io.burst < 1 || io.burst > 512) {
                throw new UsageException("--burst must be in [1, 512]");
            }
            PcapRun.Result r;
            try {
                BiFunction<EthDev, EthDev, NfAgent> f = this::make;
                r = PcapRun.run(io.in, io.out, io.burst, f, io.duration);
            } finally {
                close();
            }
            PrintWriter out = spec.commandLine().getOut();
            Map<String, Object> extra = extra(r.agent());
            if (io.json) {
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("function", spec.name());
                j.put("in", io.in.toString());
                j.put("out", io.out.toString());
                j.put("frames_read", r.read());
                j.put("frames_written", r.written());
                j.put("counters", r.counters());
                j.put("drops", r.drops());
                j.putAll(extra);
                out.println(Json.write(j));
            } else {
                out.printf("%s: %d frames read from %s, %d written to %s%n", spec.name(), r.read(), io.in, r.written(), io.out);
                var defs = r.agent().counters().defs();
                for (int i = 0; i < defs.size(); i++) {
                    long v = r.agent().counters().get(i);
                    if (v != 0 || i < 2) {
                        out.printf("  %-20s %12d  %s%n", defs.get(i).name(), v, defs.get(i).help());
                    }
                }
                extra.forEach((k, v) -> out.printf("  %s: %s%n", k, v));
            }
            out.flush();
        }
    }

    static int ipv4(String opt, String v) {
        try {
            return Net.parseIpv4(v);
        } catch (IllegalArgumentException e) {
            throw new UsageException(opt + " '" + v + "' is not an IPv4 address");
        }
    }

    static MacAddress mac(String opt, String v) {
        try {
            return MacAddress.parse(v);
        } catch (IllegalArgumentException e) {
            throw new UsageException(opt + " '" + v + "' is not a MAC address");
        }
    }

    @Command(name = "vlan-push", mixinStandardHelpOptions = true, description = "Push an 802.1Q C-tag (or with --qinq an 802.1ad S-tag).")
    static final class VlanPush extends Base {
        @Option(names = "--vid", required = true, description = "VLAN id, 0-4094")
        int vid;

        @Option(names = "--pcp", description = "priority, 0-7 (default ${DEFAULT-VALUE})")
        int pcp;

        @Option(names = "--dei", description = "drop eligible, 0 or 1 (default ${DEFAULT-VALUE})")
        int dei;

        @Option(names = "--qinq", description = "push an S-tag (TPID 0x88a8): QinQ over an existing C-tag")
        boolean qinq;

        @Override
        NfAgent make(EthDev rx, EthDev tx) {
            return VlanFunction.push(rx, tx, io.burst, qinq ? Net.ETHER_TYPE_QINQ : Net.ETHER_TYPE_VLAN, vid, pcp, dei);
        }
    }

    @Command(name = "vlan-pop", mixinStandardHelpOptions = true, description = "Pop the outermost VLAN tag.")
    static final class VlanPop extends Base {
        @Override
        NfAgent make(EthDev rx, EthDev tx) {
            return VlanFunction.pop(rx, tx, io.burst);
        }
    }

    @Command(name = "vlan-translate", mixinStandardHelpOptions = true, description = "Rewrite one VID to another in the outermost tag.")
    static final class VlanTranslate extends Base {
        @Option(names = "--from", required = true, description = "VID to match")
        int from;

        @Option(names = "--to", required = true, description = "VID to write")
        int to;

        @Override
        NfAgent make(EthDev rx, EthDev tx) {
            return VlanFunction.translate(rx, tx, io.burst, from, to);
        }
    }

    @Command(name = "vlan-mark", mixinStandardHelpOptions = true, description = "Rewrite PCP and DEI of the outermost tag.")
    static final class VlanMark extends Base {
        @Option(names = "--pcp", required = true, description = "priority, 0-7")
        int pcp;

        @Option(names = "--dei", description = "drop eligible, 0 or 1 (default ${DEFAULT-VALUE})")
        int dei;

        @Override
        NfAgent make(EthDev rx, EthDev tx) {
            return VlanFunction.mark(rx, tx, io.burst, pcp, dei);
        }
    }

    abstract static class IpsecBase extends Base {
        @Option(names = "--config", required = true, paramLabel = "GW.yaml", description = "SAs and policies (docs/nfv.md)")
        Path config;

        @Option(names = "--crypto", description = "AES-GCM backend: jdk or openssl (default: -Dhavnet.crypto, else jdk)")
        String crypto;

        Sad sad;

        GatewayConfig load() {
            GatewayConfig c = GatewayConfig.load(config);
            CryptoBackend b = crypto == null ? CryptoBackend.configured() : CryptoBackend.parse(crypto);
            if (!b.available()) {
                throw new UsageException("--crypto " + b.label() + ": " + b.unavailableReason());
            }
            sad = new Sad(c.sas(), b);
            return c;
        }

        @Override
        void close() {
            if (sad != null) {
                sad.close();
            }
        }
    }

    @Command(name = "ipsec-encap", mixinStandardHelpOptions = true, description = "ESP-protect what the outbound policies say (RFC 4303, AES-GCM).")
    static final class IpsecEncap extends IpsecBase {
        @Override
        NfAgent make(EthDev rx, EthDev tx) {
            GatewayConfig c = load();
            return new EspEncap(rx, tx, io.burst, c, sad);
        }
    }

    @Command(name = "ipsec-decap", mixinStandardHelpOptions = true, description = "Authenticate, decrypt and check ESP against the SAs and inbound policies.")
    static final class IpsecDecap extends IpsecBase {
        @Override
        NfAgent make(EthDev rx, EthDev tx) {
            GatewayConfig c = load();
            return new EspDecap(rx, tx, io.burst, c, sad);
        }
    }

    static Map<Integer, Integer> pairs(String opt, List<String> l) {
        Map<Integer, Integer> m = new LinkedHashMap<>();
        for (String s : l) {
            String[] p = s.split(":");
            try {
                if (p.length != 2) {
                    throw new NumberFormatException();
                }
                if (m.put(Integer.parseInt(p[0]), Integer.parseInt(p[1])) != null) {
                    throw new UsageException(opt + " " + s + ": " + p[0] + " is mapped twice");
                }
            } catch (NumberFormatException e) {
                throw new UsageException(opt + " '" + s + "': expected A:B");
            }
        }
        return m;
    }

    @Command(name = "vxlan-encap", mixinStandardHelpOptions = true, description = "Wrap frames in VXLAN (RFC 7348).")
    static final class VxlanEncapCmd extends Base {
        @Option(names = "--vni", required = true, description = "VNI, 0-16777215")
        int vni;

        @Option(names = "--local", required = true, description = "local VTEP address")
        String local;

        @Option(names = "--remote", required = true, description = "remote VTEP address")
        String remote;

        @Option(names = "--local-mac", description = "outer source MAC (default ${DEFAULT-VALUE})")
        String localMac = "02:00:00:00:00:01";

        @Option(names = "--remote-mac", description = "outer destination MAC (default ${DEFAULT-VALUE})")
        String remoteMac = "02:00:00:00:00:02";

        @Option(names = "--map", split = ",", paramLabel = "VID:VNI", description = "frames tagged VID go untagged into VNI")
        List<String> map = List.of();

        @Override
        NfAgent make(EthDev rx, EthDev tx) {
            return new VxlanEncap(rx, tx, io.burst, vni, ipv4("--local", local), ipv4("--remote", remote),
                    mac("--local-mac", localMac).value(), mac("--remote-mac", remoteMac).value(), pairs("--map", map));
        }
    }

    @Command(name = "vxlan-decap", mixinStandardHelpOptions = true, description = "Remove VXLAN encapsulation (RFC 7348).")
    static final class VxlanDecapCmd extends Base {
        @Option(names = "--local", description = "accept only this outer destination (default: any)")
        String local;

        @Option(names = "--vni", split = ",", description = "accept only these VNIs (default: any)")
        List<Integer> vnis = List.of();

        @Option(names = "--map", split = ",", paramLabel = "VNI:VID", description = "tag inner frames of VNI with VID")
        List<String> map = List.of();

        @Override
        NfAgent make(EthDev rx, EthDev tx) {
            Set<Integer> v = new HashSet<>(vnis);
            return new VxlanDecap(rx, tx, io.burst, local == null ? 0 : ipv4("--local", local), v, pairs("--map", map));
        }
    }

    @Command(name = "l3fwd", mixinStandardHelpOptions = true, description = "IPv4 routing: LPM (DIR-24-8), TTL, static neighbours.")
    static final class L3fwd extends Base {
        @Option(names = "--routes", required = true, paramLabel = "FILE", description = "routes (docs/nfv.md)")
        Path routes;

        @Override
        NfAgent make(EthDev rx, EthDev tx) {
            return new L3Fwd(rx, tx, io.burst, RouteTable.load(routes));
        }
    }

    @Command(name = "acl", mixinStandardHelpOptions = true, description = "5-tuple rules with priorities: allow or deny.")
    static final class Acl extends Base {
        @Option(names = "--rules", required = true, paramLabel = "FILE", description = "rules (docs/nfv.md)")
        Path rules;

        @Override
        NfAgent make(EthDev rx, EthDev tx) {
            return new AclFunction(rx, tx, io.burst, AclRules.load(rules));
        }

        @Override
        Map<String, Object> extra(NfAgent a) {
            AclFunction f = (AclFunction) a;
            Map<String, Object> hits = new LinkedHashMap<>();
            long[] h = f.hits();
            for (int i = 0; i < h.length; i++) {
                hits.put(f.rules().rules().get(i).name(), h[i]);
            }
            return Map.of("rule_hits", hits);
        }
    }
}
