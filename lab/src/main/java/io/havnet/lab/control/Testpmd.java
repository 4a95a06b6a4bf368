package io.havnet.lab.control;

import io.havnet.dataplane.ethdev.EthDev;
import io.havnet.dataplane.ethdev.EthStats;
import io.havnet.dataplane.ethdev.LinkStatus;
import io.havnet.dataplane.net.MacAddress;
import io.havnet.dataplane.stats.Counters;
import io.havnet.hypervisor.IoPath;
import io.havnet.hypervisor.Vm;
import io.havnet.lab.Experiment;
import io.havnet.lab.apps.GuestApps;
import io.havnet.lab.scenario.Scenario;
import io.havnet.lab.traffic.DrainWatch;
import io.havnet.lab.traffic.Tester;
import io.havnet.nic.sriov.VfInfo;
import io.havnet.platform.iommu.DmaFault;
import io.havnet.platform.iommu.FaultLog;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * The commands of {@code havnet testpmd}, modelled on DPDK's testpmd, over an experiment's host.
 * Port N is the vNIC of the host's N-th VM (a virtio-net device on the vswitch and vmdq paths,
 * a VF on the sriov path); the forwarding mode runs in every VM; {@code start} makes the tester at
 * the far end of the wire offer the scenario's traffic to every VM that sends it back.
 */
public final class Testpmd {
    /** Every command, for {@code help} and completion. */
    public static final String[][] COMMANDS = {
            {"help", "this list"},
            {"show port info all|N", "device, driver, path, MAC, link, queues of each port"},
            {"show port stats all|N", "RX/TX packets, bytes, errors and misses of each port"},
            {"clear port stats all|N", "zero the port statistics"},
            {"show fwd stats all", "forward statistics of each VM's stream since start"},
            {"show vf stats N", "counters of VF N, as the PF sees them"},
            {"show vf info", "every VF's settings (ip link show pf0)"},
            {"set fwd MODE", "forwarding mode of every VM: " + String.join("|", GuestApps.NAMES)},
            {"set vf mac VF MAC", "administrative MAC of a VF"},
            {"set vf vlan VF VID [qos Q]", "port VLAN (inserted on TX, stripped on RX); 0 removes it"},
            {"set vf spoofchk VF on|off", "anti-spoofing of source MAC and VLAN"},
            {"set vf trust VF on|off", "let the VF change its MAC and enter promiscuous mode"},
            {"set vf rate VF MBPS", "TX rate limit in Mbit/s (0: none)"},
            {"set vf link VF auto|enable|disable", "administrative link state"},
            {"set link-up|link-down port all|N", "the VM's link, set from the host as pulling its cable (virtio: QEMU's set_link; VF: link-state)"},
            {"set promisc all|N on|off", "promiscuous mode of a port, asked of its device (a VF asks the PF)"},
            {"port reset all|N", "the guest resets its port (a VF after an FLR, or when the PF asked it to): its link comes back, its modes are asked again"},
            {"set allmulti all|N on|off", "all-multicast mode of a port, asked as promisc is"},
            {"start", "every VM forwards; the tester offers traffic to the VMs"},
            {"stop", "stop the traffic, wait for the frames in flight, stop every VM's forwarding, print forward statistics"},
            {"show iommu faults", "DMA requests the IOMMU refused (count and most recent)"},
            {"sleep MS", "wait (for command files)"},
            {"quit", "leave"},
    };

    private final Experiment experiment;
    private final VfAdmin vfAdmin;
    private boolean forwarding;
    /** Whether this session's start offered tester traffic (stop then waits for it to come back). */
    private boolean testerStarted;
    private final Map<String, long[]> fwdBase = new HashMap<>();
    private long offeredBase;
    private long deliveredBase;
    private List<io.havnet.hypervisor.accounting.Component.Snapshot> accountingBase = List.of();
    private boolean quit;

    public Testpmd(Experiment e) {
        this.experiment = e;
        this.vfAdmin = new VfAdmin(e.host());
        // as testpmd: nothing forwards until start
        e.host().runApps(false);
    }

    public boolean quitRequested() {
        return quit;
    }

    public boolean forwarding() {
        return forwarding;
    }

    /** Runs one command line; returns its output. Bad commands are {@link IllegalArgumentException}s. */
    public String execute(String line) {
        String[] w = line.trim().split("\\s+");
        if (w.length == 0 || w[0].isEmpty() || w[0].startsWith("#")) {
            return "";
        }
        return switch (w[0]) {
            case "help" -> help();
            case "show" -> show(w);
            case "clear" -> clear(w);
            case "set" -> set(w);
            case "start" -> start(w);
            case "stop" -> stop(w);
            case "sleep" -> sleep(w);
            case "port" -> port(w);
            case "quit", "exit" -> {
                if (forwarding) {
                    stop(new String[] {"stop"});
                }
                quit = true;
                yield "Bye...\n";
            }
            default -> throw new IllegalArgumentException("unknown command '" + w[0] + "' (try help)");
        };
    }

    private static String help() {
        StringBuilder b = new StringBuilder();
        for (String[] c : COMMANDS) {
            b.append(String.format(Locale.ROOT, "  %-36s %s%n", c[0], c[1]));
        }
        return b.toString();
    }

    private List<Vm> ports() {
        return experiment.host().vms();
    }

    private List<Integer> portList(String arg) {
        int n = ports().size();
        List<Integer> l = new ArrayList<>();
        if (arg.equals("all")) {
            for (int i = 0; i < n; i++) {
                l.add(i);
            }
            return l;
        }
        int p = integer("port", arg);
        if (p < 0 || p >= n) {
            throw new IllegalArgumentException("port " + p + " does not exist (ports 0-" + (n - 1) + ")");
        }
        l.add(p);
        return l;
    }

    private static int integer(String what, String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            if (s.matches("[+-]?[0-9]+")) {
                throw new IllegalArgumentException(what + " " + s + " is " + (s.startsWith("-") ? "too small" : "too large"));
            }
            throw new IllegalArgumentException(what + " '" + s + "' is not a number");
        }
    }

    private static boolean onOff(String what, String s) {
        return switch (s) {
            case "on" -> true;
            case "off" -> false;
            default -> throw new IllegalArgumentException(what + ": '" + s + "' is neither on nor off");
        };
    }

    private static void arity(String[] w, int n, String usage) {
        if (w.length != n) {
            throw new IllegalArgumentException("usage: " + usage);
        }
    }

    private String show(String[] w) {
        if (w.length < 2) {
            throw new IllegalArgumentException("usage: show port info|stats all|N, show fwd stats all, show vf stats N, "
                    + "show vf info, show iommu faults");
        }
        switch (w[1]) {
            case "port" -> {
                arity(w, 4, "show port info|stats all|N");
                return switch (w[2]) {
                    case "info" -> portInfo(portList(w[3]));
                    case "stats" -> portStats(portList(w[3]));
                    default -> throw new IllegalArgumentException("show port: unknown '" + w[2] + "' (expected info, stats)");
                };
            }
            case "fwd" -> {
                arity(w, 4, "show fwd stats all");
                return fwdStats();
            }
            case "vf" -> {
                if (w.length == 3 && w[2].equals("info")) {
                    return vfAdmin.show();
                }
                arity(w, 4, "show vf stats N");
                if (!w[2].equals("stats")) {
                    throw new IllegalArgumentException("show vf: unknown '" + w[2] + "' (expected stats, info)");
                }
                int vf = integer("vf", w[3]);
                if (vf < 0 || vf >= experiment.host().nic().numVfs()) {
                    throw new IllegalArgumentException("vf " + vf + " does not exist (0-"
                            + (experiment.host().nic().numVfs() - 1) + ")");
                }
                VfInfo i = experiment.host().pf().vfInfo(vf);
                return "  ######################## VF " + vf + " statistics ########################\n"
                        + String.format(Locale.ROOT, "  RX-packets: %-12d RX-bytes: %-14d RX-dropped: %d%n", i.rxPackets(),
                        i.rxBytes(), i.rxDropped())
                        + String.format(Locale.ROOT, "  RX-broadcast: %-10d RX-multicast: %d%n", i.rxBroadcast(),
                        i.rxMulticast())
                        + String.format(Locale.ROOT, "  TX-packets: %-12d TX-bytes: %-14d TX-dropped: %d%n", i.txPackets(),
                        i.txBytes(), i.txDropped())
                        + String.format(Locale.ROOT, "  TX-spoofed: %-12d MDD-events: %-12d link: %s%s%n", i.txSpoofed(),
                        i.mddEvents(), i.linkUp() ? "up" : "down",
                        i.disabledReason() == null ? "" : " (disabled: " + i.disabledReason() + ")")
                        + "  ##################################################################\n";
            }
            case "iommu" -> {
                arity(w, 3, "show iommu faults");
                if (!w[2].equals("faults")) {
                    throw new IllegalArgumentException("show iommu: unknown '" + w[2] + "' (expected faults)");
                }
                FaultLog log = experiment.host().platform().iommu().faults();
                StringBuilder b = new StringBuilder();
                b.append("IOMMU faults: ").append(log.total()).append(" (").append(log.overflowed())
                        .append(" not kept)\n");
                for (DmaFault f : log.recent()) {
                    b.append("  ").append(f).append('\n');
                }
                return b.toString();
            }
            default -> throw new IllegalArgumentException("show: unknown '" + w[1] + "' (expected port, fwd, vf, iommu)");
        }
    }

    private String portInfo(List<Integer> ps) {
        StringBuilder b = new StringBuilder();
        List<Vm> vms = ports();
        for (int p : ps) {
            Vm v = vms.get(p);
            EthDev d = v.vnic();
            b.append("\n********************* Infos for port ").append(p).append("  *********************\n");
            b.append("MAC address: ").append(d.macAddress()).append('\n');
            b.append("Device name: ").append(d.name()).append('\n');
            b.append("Driver name: ").append(d.info().driverName()).append('\n');
            b.append("VM: ").append(v.name()).append(" (").append(v.state().name().toLowerCase(Locale.ROOT))
                    .append("), path: ").append(v.path().label());
            if (v.path() == IoPath.SRIOV) {
                b.append(", VF ").append(v.vf());
            } else if (v.path() == IoPath.VMDQ) {
                b.append(", VMDq pool ").append(v.vmdqPool());
            }
            b.append('\n');
            if (v.crashReason() != null) {
                b.append(v.state() == Vm.State.HUNG ? "Hung: " : "Crashed: ").append(v.crashReason()).append('\n');
            }
            b.append("Forwarding mode: ").append(experiment.appOf(v.name())).append('\n');
            LinkStatus link = d.link();
            b.append("Link status: ").append(link.up() ? "up" : "down").append('\n');
            b.append("Link speed: ").append(link.up() ? speed(link.speedMbps()) : "None").append('\n');
            b.append("Link duplex: ").append(link.fullDuplex() ? "full-duplex" : "half-duplex").append('\n');
            b.append("Promiscuous mode: ").append(d.promiscuous() ? "enabled" : "disabled").append('\n');
            b.append("Allmulticast mode: ").append(d.allMulticast() ? "enabled" : "disabled").append('\n');
            b.append("Current number of RX queues: ").append(d.rxQueues()).append('\n');
            b.append("Current number of TX queues: ").append(d.txQueues()).append('\n');
        }
        return b.toString();
    }

    private String portStats(List<Integer> ps) {
        StringBuilder b = new StringBuilder();
        List<Vm> vms = ports();
        for (int p : ps) {
            EthStats s = vms.get(p).vnic().stats();
            b.append("\n  ######################## NIC statistics for port ").append(p)
                    .append("  ########################\n");
            b.append(String.format(Locale.ROOT, "  RX-packets: %-10d RX-missed: %-10d RX-bytes:  %d%n", s.ipackets(),
                    s.imissed(), s.ibytes()));
            b.append(String.format(Locale.ROOT, "  RX-errors: %d%n  RX-nombuf:  %-10d%n", s.ierrors(), s.rxNombuf()));
            b.append(String.format(Locale.ROOT, "  TX-packets: %-10d TX-errors: %-10d TX-bytes:  %d%n", s.opackets(),
                    s.oerrors(), s.obytes()));
            b.append("  ############################################################################\n");
        }
        return b.toString();
    }

    private String clear(String[] w) {
        arity(w, 4, "clear port stats all|N");
        if (!w[1].equals("port") || !w[2].equals("stats")) {
            throw new IllegalArgumentException("usage: clear port stats all|N");
        }
        StringBuilder b = new StringBuilder();
        for (int p : portList(w[3])) {
            ports().get(p).vnic().statsReset();
            b.append("\n  NIC statistics for port ").append(p).append(" cleared\n");
        }
        return b.toString();
    }

    private String set(String[] w) {
        if (w.length < 2) {
            throw new IllegalArgumentException("usage: set fwd MODE, set vf ...");
        }
        switch (w[1]) {
            case "fwd" -> {
                arity(w, 3, "set fwd " + String.join("|", GuestApps.NAMES));
                String mode = w[2];
                if (!List.of(GuestApps.NAMES).contains(mode)) {
                    throw new IllegalArgumentException("unknown forwarding mode '" + mode + "' (expected "
                            + String.join(", ", GuestApps.NAMES) + ")");
                }
                if (forwarding) {
                    throw new IllegalArgumentException("Please stop forwarding first");
                }
                for (Vm v : ports()) {
                    experiment.setApp(v.name(), mode);
                }
                return "Set " + mode + " packet forwarding mode\n";
            }
            case "vf" -> {
                if (w.length < 5) {
                    throw new IllegalArgumentException("usage: set vf mac|vlan|spoofchk|trust|rate|link VF VALUE");
                }
                String key = switch (w[2]) {
                    case "mac" -> "mac";
                    case "vlan" -> "vlan";
                    case "spoofchk" -> "spoofchk";
                    case "trust" -> "trust";
                    case "rate" -> "max_tx_rate";
                    case "link" -> "state";
                    default -> throw new IllegalArgumentException("set vf: unknown '" + w[2]
                            + "' (expected mac, vlan, spoofchk, trust, rate, link)");
                };
                StringBuilder line = new StringBuilder("set " + VfAdmin.PF + " vf " + w[3] + " " + key + " " + w[4]);
                if (key.equals("vlan") && w.length == 7 && w[5].equals("qos")) {
                    line.append(" qos ").append(w[6]);
                } else if (w.length != 5) {
                    throw new IllegalArgumentException("set vf " + w[2] + ": too many words");
                }
                vfAdmin.execute(line.toString());
                return "";
            }
            case "link-up", "link-down" -> {
                arity(w, 4, "set " + w[1] + " port all|N");
                if (!w[2].equals("port")) {
                    throw new IllegalArgumentException("usage: set " + w[1] + " port all|N");
                }
                for (int p : portList(w[3])) {
                    experiment.host().setVmLink(ports().get(p).name(), w[1].equals("link-up"));
                }
                return "";
            }
            case "promisc", "allmulti" -> {
                arity(w, 4, "set " + w[1] + " all|N on|off");
                boolean on = onOff(w[1], w[3]);
                StringBuilder out = new StringBuilder();
                for (int p : portList(w[2])) {
                    EthDev d = ports().get(p).vnic();
                    try {
                        if (w[1].equals("promisc")) {
                            d.setPromiscuous(on);
                        } else {
                            d.setAllMulticast(on);
                        }
                    } catch (UnsupportedOperationException | IllegalStateException refused) {
                        // as testpmd: the port keeps its mode, the others go on
                        out.append(String.format(Locale.ROOT, "Error during %s %s mode for port %d: %s - ignore%n",
                                on ? "enabling" : "disabling", w[1].equals("promisc") ? "promiscuous" : "all-multicast",
                                p, refused.getMessage()));
                    }
                }
                return out.toString();
            }
            default -> throw new IllegalArgumentException("set: unknown '" + w[1] + "' (expected fwd, vf, link-up, link-down, promisc, allmulti)");
        }
    }

    private String port(String[] w) {
        if (w.length != 3 || !w[1].equals("reset")) {
            throw new IllegalArgumentException("usage: port reset all|N");
        }
        StringBuilder out = new StringBuilder();
        for (int p : portList(w[2])) {
            try {
                experiment.host().resetPort(ports().get(p).name());
            } catch (IllegalStateException refused) {
                out.append(String.format(Locale.ROOT, "Failed to reset port %d: %s%n", p, refused.getMessage()));
            }
        }
        return out.toString();
    }

    private String start(String[] w) {
        arity(w, 1, "start");
        if (forwarding) {
            throw new IllegalArgumentException("Packet forwarding already started");
        }
        List<Tester.Target> targets = new ArrayList<>();
        for (IoPath p : IoPath.values()) {
            targets.addAll(experiment.targets(p));
        }
        experiment.start();
        experiment.host().runApps(true);
        fwdBase.clear();
        for (Vm v : ports()) {
            Counters c = experiment.appCounters(v.name());
            fwdBase.put(v.name(), c == null ? new long[0] : snapshot(c));
        }
        Tester t = experiment.tester();
        Scenario.TrafficConf tc = experiment.scenario().traffic();
        offeredBase = t == null ? 0 : t.offered();
        deliveredBase = t == null ? 0 : t.delivered();
        accountingBase = experiment.host().accounting();
        forwarding = true;
        testerStarted = t != null && !targets.isEmpty();
        if (!testerStarted) {
            return "Start forwarding in mode " + modes() + " (no tester traffic: "
                    + (t == null ? "the wire is not a generator" : "no VM sends frames back (modes macswap, mac, echo do)")
                    + ")\n";
        }
        Scenario.FrameSize size = tc.sizes().getFirst();
        t.start(targets, size, tc.inFlight(), tc.ratePps(), tc.flows());
        return "Start forwarding in mode " + modes() + ": the tester offers " + size + " frames to " + targets.size()
                + " VM(s), " + (tc.ratePps() == 0 ? tc.inFlight() + " in flight each" : tc.ratePps() + " frames/s") + "\n";
    }

    private String modes() {
        return String.join(",", ports().stream().map(v -> experiment.appOf(v.name())).distinct().toList());
    }

    private static long[] snapshot(Counters c) {
        long[] a = new long[c.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = c.get(i);
        }
        return a;
    }

    private String stop(String[] w) {
        arity(w, 1, "stop");
        if (!forwarding) {
            throw new IllegalArgumentException("Packet forwarding not started");
        }
        Tester t = experiment.tester();
        if (t != null && testerStarted) {
            t.drain();
            long deadline = System.nanoTime() + 5_000_000_000L;
            DrainWatch watch = new DrainWatch(t, experiment.host()::lcoreRounds,
                    () -> Experiment.droppedBetween(accountingBase, experiment.host().accounting()));
            while (!t.allReturned() && !watch.quiet(lostAfter(t)) && System.nanoTime() < deadline) {
                LockSupport.parkNanos(100_000);
            }
        }
        // every VM's forwarding engine stops (its device keeps receiving: frames wait or count as missed)
        experiment.host().runApps(false);
        forwarding = false;
        StringBuilder b = new StringBuilder("Telling cores to stop...\nWaiting for lcores to finish...\n");
        b.append(fwdStats());
        if (t != null) {
            long off = t.offered() - offeredBase;
            long del = t.delivered() - deliveredBase;
            b.append("\n  +++++++++++++++ Accumulated forward statistics for all ports+++++++++++++++\n");
            b.append(String.format(Locale.ROOT, "  Tester-offered: %-14d Tester-returned: %-14d Lost: %d%n", off, del,
                    off - del));
            // what the host counted as dropped since start (lost frames are dropped or still on their way)
            Map<String, Long> drops = Experiment.dropsBetween(accountingBase, experiment.host().accounting());
            if (!drops.isEmpty()) {
                b.append("  Dropped on the host: ").append(drops).append('\n');
            }
            b.append("  ++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++\n");
        }
        b.append("\nDone.\n");
        return b.toString();
    }

    /**
     * How long no probe may come back before those still out count as lost: ten times the slowest
     * round trip of this session, at least 5 ms and at most 50 ms (50 ms while none has come back).
     */
    static long lostAfter(Tester t) {
        long slowest = t.slowestRoundTrip();
        return slowest == 0 ? 50_000_000L : Math.clamp(10 * slowest, 5_000_000L, 50_000_000L);
    }

    private String fwdStats() {
        StringBuilder b = new StringBuilder();
        List<Vm> vms = ports();
        for (int p = 0; p < vms.size(); p++) {
            Vm v = vms.get(p);
            Counters c = experiment.appCounters(v.name());
            b.append("\n  ---------------------- Forward statistics for port ").append(p).append(" (").append(v.name())
                    .append(", ").append(experiment.appOf(v.name())).append(")  ----------------------\n  ");
            if (c == null) {
                b.append("(no counters)\n");
                continue;
            }
            long[] base = fwdBase.getOrDefault(v.name(), new long[0]);
            for (int i = 0; i < c.size(); i++) {
                long val = c.get(i) - (i < base.length ? base[i] : 0);
                b.append(String.format(Locale.ROOT, "%s: %-10d ", c.defs().get(i).name(), val));
            }
            b.append('\n');
        }
        return b.toString();
    }

    private static String sleep(String[] w) {
        arity(w, 2, "sleep MS");
        int ms = integer("sleep", w[1]);
        if (ms < 0 || ms > 600_000) {
            throw new IllegalArgumentException("sleep " + ms + " is out of range [0, 600000] ms");
        }
        pause(ms);
        return "";
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The words completion offers after {@code prefix} words (JLine's completer uses it). */
    public static List<String> words() {
        List<String> l = new ArrayList<>(List.of("help", "show", "clear", "set", "start", "stop", "sleep", "quit", "port",
                "info", "stats", "all", "fwd", "vf", "iommu", "faults", "mac", "vlan", "qos", "spoofchk", "trust", "rate",
                "link", "on", "off", "auto", "enable", "disable", "promisc", "allmulti", "link-up", "link-down"));
        l.addAll(List.of(GuestApps.NAMES));
        return l;
    }

    /** A link speed as testpmd prints it (rte_eth_link_speed_to_str): "100 Mbps", "1 Gbps", "2.5 Gbps". */
    static String speed(int mbps) {
        if (mbps == LinkStatus.SPEED_UNKNOWN) {
            return "Unknown";
        }
        if (mbps == 0) {
            return "None";
        }
        if (mbps < 1_000) {
            return mbps + " Mbps";
        }
        return mbps % 1_000 == 0 ? mbps / 1_000 + " Gbps" : String.format(Locale.ROOT, "%.1f Gbps", mbps / 1000.0);
    }

    static String mac(long m) {
        return MacAddress.toString(m);
    }
}
