package io.havnet.lab;

import io.havnet.dataplane.agent.JitSettle;
import io.havnet.dataplane.clock.Clock;
import io.havnet.dataplane.ethdev.EthDev;
import io.havnet.dataplane.mbuf.MbufPool;
import io.havnet.dataplane.memory.MemoryRegion;
import io.havnet.dataplane.mempool.Mempool;
import io.havnet.dataplane.net.Net;
import io.havnet.dataplane.pmd.RingEthDev;
import io.havnet.dataplane.stats.Counters;
import io.havnet.hypervisor.Host;
import io.havnet.hypervisor.IoPath;
import io.havnet.hypervisor.Vm;
import io.havnet.hypervisor.VmSpec;
import io.havnet.hypervisor.accounting.Component;
import io.havnet.hypervisor.accounting.CostModel;
import io.havnet.lab.apps.GuestApps;
import io.havnet.lab.scenario.Scenario;
import io.havnet.lab.traffic.DrainWatch;
import io.havnet.lab.traffic.Tester;
import org.HdrHistogram.Histogram;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A scenario brought to life: the host with its VMs, the wire, and the tester at the far end;
 * {@link #phase} offers traffic to the VMs of one path and measures what every component spent.
 * The NIC runs alone on CPU 0; the hypervisor, the guests and the tester on CPU 1.
 */
public final class Experiment implements AutoCloseable {
    private final Scenario scenario;
    private final RingEthDev[] wire;
    private final Host host;
    private final Tester tester;
    private final MemoryRegion testerRam;
    private final Mempool testerPool;
    private final Component testerComponent = new Component("tester", Component.Kind.NIC);
    private final Map<String, Scenario.VmConf> confs = new LinkedHashMap<>();
    private final Map<String, Integer> ips = new LinkedHashMap<>();
    private EthDev ownedWire;
    private final Map<String, io.havnet.dataplane.pmd.TapEthDev> taps = new java.util.concurrent.ConcurrentHashMap<>();
    private final List<String> createdNetns = new ArrayList<>();
    private MemoryRegion ownedWireRam;
    private Mempool ownedWirePool;
    private final Map<String, String> apps = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<String, Counters> appCounters = new java.util.concurrent.ConcurrentHashMap<>();

    public Experiment(Scenario s) {
        this(s, null);
    }

    /** Builds the host; {@code wireDev} replaces the generator wire when given (pcap, af_packet). */
    public Experiment(Scenario s, EthDev wireDev) {
        this.scenario = s;
        if (wireDev == null) {
            this.wire = RingEthDev.pair("wire", "tester", 1, 8192);
        } else {
            this.wire = null;
        }
        EthDev nicWire = wireDev != null ? wireDev : wire[0];
        Scenario.HostConf h = s.host();
        this.host = Host.builder(nicWire).memory(h.memory()).vfs(h.vfs()).pools(h.pools()).veb(h.veb())
                .lineRateMbps(h.lineRateMbps())
                .costModel(h.costModel() ? CostModel.defaults() : CostModel.OFF).build();
        try {
            int i = 0;
            for (Scenario.VmConf c : s.vms()) {
                int ip = c.ip() != null ? Net.parseIpv4(c.ip()) : GuestApps.defaultIp(i);
                addVm(c, ip);
                i++;
            }
            this.testerRam = host.platform().memory().allocateRegion("tester", 64L << 20);
            this.testerPool = MbufPool.builder("tester", testerRam).count(16383).build();
            if (wire != null) {
                this.tester = new Tester(wire[1], testerPool, Clock.SYSTEM);
                host.addWireAgent(tester, testerComponent);
            } else {
                this.tester = null;
            }
        } catch (RuntimeException e) {
            host.close();
            for (String vm : new ArrayList<>(taps.keySet())) {
                closeTap(vm);
            }
            for (String ns : createdNetns) {
                try {
                    Ip.run("netns", "del", ns);
                } catch (IllegalStateException gone) {
                    // already gone
                }
            }
            throw e;
        }
    }

    /**
     * An experiment whose wire replays the scenario's pcap file into the NIC and writes what the
     * NIC sends to the wire into {@code out}.
     */
    public static Experiment withPcapWire(Scenario s, java.nio.file.Path out) {
        MemoryRegion ram = MemoryRegion.allocate("pcap-wire", 32L << 20);
        Mempool pool = MbufPool.builder("pcap-wire", ram).count(8191).build();
        io.havnet.dataplane.pmd.PcapEthDev dev = io.havnet.dataplane.pmd.PcapEthDev.builder("pcap-wire")
                .rx(s.wire().pcapIn()).tx(out).build();
        dev.configure(1, 1, io.havnet.dataplane.ethdev.EthConf.defaults());
        dev.rxQueueSetup(0, 1024, pool);
        dev.txQueueSetup(0, 1024);
        // started by replay(): building the host runs the NIC, which must not take the file's frames before every VM is up
        Experiment e = new Experiment(s, dev);
        e.ownedWire = dev;
        e.ownedWireRam = ram;
        e.ownedWirePool = pool;
        return e;
    }

    /**
     * Replays the pcap wire until the file is done and the host is quiet (at most {@code maxSeconds});
     * returns what went in, what came out and what was dropped where.
     */
    public Map<String, Object> replay(double maxSeconds) {
        if (!(ownedWire instanceof io.havnet.dataplane.pmd.PcapEthDev dev)) {
            throw new IllegalStateException("this experiment's wire is not a pcap file");
        }
        List<Component.Snapshot> s0 = host.accounting();
        dev.start();
        start();
        long t0 = System.nanoTime();
        long deadline = t0 + (long) (maxSeconds * 1e9);
        long last = -1;
        long quietSince = System.nanoTime();
        while (System.nanoTime() < deadline) {
            sleep(0.02);
            long w = dev.txRecords() + dev.stats().ipackets();
            if (w != last) {
                last = w;
                quietSince = System.nanoTime();
            } else if (dev.rxDone() && System.nanoTime() - quietSince > 200_000_000L) {
                break;
            }
        }
        long window = System.nanoTime() - t0;
        stop();
        List<Component.Snapshot> s1 = host.accounting();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("wire", "pcap");
        r.put("file", scenario.wire().pcapIn().toString());
        r.put("frames_read", dev.stats().ipackets());
        r.put("frames_written", dev.txRecords());
        r.put("complete", dev.rxDone());
        r.put("seconds", round(window / 1e9));
        Map<String, Long> nicRx = host.nic().counters().rx().snapshot();
        Map<String, Long> nicTx = host.nic().counters().tx().snapshot();
        r.put("nic_rx", nicRx);
        r.put("nic_tx", nicTx);
        r.put("drops", dropsBetween(s0, s1));
        Map<String, Object> vms = new LinkedHashMap<>();
        for (Vm v : host.vms()) {
            Map<String, Long> st = new LinkedHashMap<>();
            st.put("rx_packets", v.vnic().stats().ipackets());
            st.put("tx_packets", v.vnic().stats().opackets());
            vms.put(v.name(), st);
        }
        r.put("vms", vms);
        return r;
    }

    /** Frames dropped anywhere on the host between two {@link Host#accounting()} snapshots, by reason (none at 0). */
    public static Map<String, Long> dropsBetween(List<Component.Snapshot> s0, List<Component.Snapshot> s1) {
        Map<String, Long> drops = new LinkedHashMap<>();
        for (Component.Snapshot a : s1) {
            Component.Snapshot b = find(s0, a.name());
            (b == null ? a : a.minus(b)).drops().forEach((k, v) -> {
                if (v != 0) {
                    drops.merge(k, v, Long::sum);
                }
            });
        }
        return drops;
    }

    /** All the frames {@link #dropsBetween} counts, whatever the reason. */
    public static long droppedBetween(List<Component.Snapshot> s0, List<Component.Snapshot> s1) {
        long n = 0;
        for (long v : dropsBetween(s0, s1).values()) {
            n += v;
        }
        return n;
    }

    /**
     * An experiment whose wire is a real interface or socket — {@code af_packet:IF} or a VXLAN
     * tunnel — as the scenario says. No tester: the host switches what the wire and its guests send.
     */
    public static Experiment withRealWire(Scenario s) {
        Scenario.WireConf w = s.wire();
        MemoryRegion ram = MemoryRegion.allocate("wire", 64L << 20);
        Mempool pool = MbufPool.builder("wire", ram).count(16383).build(); // jumbo frames arrive as chains
        EthDev dev = null;
        try {
            dev = w.kind().equals(Scenario.WireConf.AF_PACKET)
                    ? io.havnet.dataplane.pmd.AfPacketEthDev.open("wire", w.iface())
                    : io.havnet.dataplane.pmd.VxlanSocketEthDev.create("wire", w.vxlan().local(), w.vxlan().localPort(),
                    w.vxlan().remote(), w.vxlan().remotePort(), w.vxlan().vni());
            dev.configure(1, 1, io.havnet.dataplane.ethdev.EthConf.defaults());
            dev.rxQueueSetup(0, 4096, pool);
            dev.txQueueSetup(0, 4096);
            dev.setPromiscuous(true);
            dev.start();
            Experiment e = new Experiment(s, dev);
            e.ownedWire = dev;
            e.ownedWireRam = ram;
            e.ownedWirePool = pool;
            return e;
        } catch (RuntimeException ex) {
            if (dev != null) {
                dev.close();
            }
            pool.close();
            ram.close();
            throw ex;
        }
    }

    /** Builds the experiment the scenario's wire calls for (a pcap wire needs {@link #withPcapWire}). */
    public static Experiment open(Scenario s) {
        return s.wire().real() ? withRealWire(s) : new Experiment(s);
    }

    /**
     * Runs the host for {@code seconds} (NIC on CPU 0, the rest on CPU 1) with a real wire;
     * {@code progress} hears a status line every second. Returns the NIC's and every VM's counters.
     */
    public Map<String, Object> runReal(double seconds, Consumer<String> progress) {
        List<Component.Snapshot> s0 = host.accounting();
        start();
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < end) {
            sleep(Math.min(1.0, (end - System.nanoTime()) / 1e9));
            if (progress != null) {
                StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "  wire rx %d tx %d",
                        ownedWire.stats().ipackets(), ownedWire.stats().opackets()));
                for (Vm v : host.vms()) {
                    b.append(String.format(Locale.ROOT, " | %s rx %d tx %d", v.name(), v.vnic().stats().ipackets(),
                            v.vnic().stats().opackets()));
                }
                progress.accept(b.toString());
            }
        }
        stop();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("wire", scenario.wire().kind() + (scenario.wire().iface() != null ? ":" + scenario.wire().iface() : ""));
        r.put("seconds", round(seconds));
        r.put("wire_rx", ownedWire.stats().ipackets());
        r.put("wire_tx", ownedWire.stats().opackets());
        r.put("nic_rx", host.nic().counters().rx().snapshot());
        r.put("nic_tx", host.nic().counters().tx().snapshot());
        r.put("drops", dropsBetween(s0, host.accounting()));
        Map<String, Object> vms = new LinkedHashMap<>();
        for (Vm v : host.vms()) {
            Map<String, Long> st = new LinkedHashMap<>();
            st.put("rx_packets", v.vnic().stats().ipackets());
            st.put("tx_packets", v.vnic().stats().opackets());
            vms.put(v.name(), st);
        }
        r.put("vms", vms);
        return r;
    }

    /** Adds a VM while the experiment exists (the demo's scaling runs). */
    public Vm addVm(Scenario.VmConf c, int ip) {
        io.havnet.hypervisor.GuestApp app = c.tap() != null
                ? io.havnet.lab.apps.TapBridge.app(c.tap().name(), t -> taps.put(c.name(), t))
                : GuestApps.of(c.app(), ip, appCounters::put);
        VmSpec spec = new VmSpec(c.name(), c.path(), c.memory(), c.mac(), c.vlan(), c.qos(), c.spoofCheck(), c.trust(),
                c.maxTxRateMbps(), app, true, 512, 4095);
        Vm vm = host.createVm(spec);
        if (c.tap() != null) {
            try {
                guestOs(c.tap());
            } catch (RuntimeException e) {
                host.destroyVm(c.name());
                closeTap(c.name());
                throw e;
            }
        }
        confs.put(c.name(), c);
        ips.put(c.name(), ip);
        apps.put(c.name(), c.app());
        return vm;
    }

    /** Replaces the app VM {@code name} runs (testpmd's {@code set fwd}). */
    public void setApp(String name, String app) {
        Integer ip = ips.get(name);
        if (ip == null) {
            throw new IllegalArgumentException("no VM named '" + name + "'");
        }
        host.setApp(name, GuestApps.of(app, ip, appCounters::put));
        apps.put(name, app);
    }

    /** The app VM {@code name} runs. */
    public String appOf(String name) {
        return apps.get(name);
    }

    /** The counters of the app VM {@code name} runs (its forward statistics). */
    public Counters appCounters(String name) {
        return appCounters.get(name);
    }

    /** Puts the VM's TAP into its namespace with its address: the guest OS comes up. */
    private void guestOs(Scenario.TapConf t) {
        if (!Ip.netnsExists(t.netns())) {
            Ip.run("netns", "add", t.netns());
            createdNetns.add(t.netns());
            Ip.inNetns(t.netns(), "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1");
            Ip.inNetns(t.netns(), "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1");
        }
        Ip.run("link", "set", t.name(), "netns", t.netns());
        Ip.run("-n", t.netns(), "link", "set", "lo", "up");
        Ip.run("-n", t.netns(), "link", "set", t.name(), "up");
        Ip.run("-n", t.netns(), "addr", "add", t.cidr(), "dev", t.name());
    }

    private void closeTap(String vm) {
        io.havnet.dataplane.pmd.TapEthDev t = taps.remove(vm);
        if (t != null) {
            t.close();
        }
    }

    /** The TAP port of VM {@code name}, or null. */
    public io.havnet.dataplane.pmd.TapEthDev tap(String name) {
        return taps.get(name);
    }

    public void removeVm(String name) {
        host.destroyVm(name);
        closeTap(name);
        confs.remove(name);
        ips.remove(name);
        apps.remove(name);
        appCounters.remove(name);
    }

    public Scenario scenario() {
        return scenario;
    }

    public Host host() {
        return host;
    }

    public Tester tester() {
        return tester;
    }

    public int ipOf(String vm) {
        return ips.get(vm);
    }

    /** Starts the host's lcores (NIC on CPU 0, the rest on CPU 1). */
    public void start() {
        if (!host.running()) {
            host.start(Host.Placement.twoCores());
        }
    }

    public void stop() {
        host.stop();
    }

    /**
     * Runs the scenario's own traffic — every path, every frame size, its rate (open or closed
     * loop) and flows — for {@code secondsPerPath} per path on the calling thread, then waits for
     * the JIT to finish compiling what that ran (bounded). With 2 CPUs both busy-polled once the
     * host starts, code left to compile then runs slowly for seconds and its queues overflow.
     * Then the same on the lcores until the compiler is quiet ({@link JitSettle}), for at most
     * {@code min(10, 20 × secondsPerPath)} seconds.
     */
    public void warmUp(double secondsPerPath) {
        warmUp(secondsPerPath, Math.min(10, 20 * secondsPerPath));
    }

    /** {@link #warmUp(double)} with the time on the lcores bounded by {@code maxSettleSeconds} (0: none). */
    public void warmUp(double secondsPerPath, double maxSettleSeconds) {
        warmUp(secondsPerPath, maxSettleSeconds, false);
    }

    /**
     * {@link #warmUp(double, double)}; with {@code leaveRunning} the lcores that ran the second
     * stage go on running into the measurement instead of stopping (new lcore threads made the
     * first measured phase's latency tail milliseconds longer than the later phases').
     */
    public void warmUp(double secondsPerPath, double maxSettleSeconds, boolean leaveRunning) {
        if (host.running()) {
            throw new IllegalStateException("warm up before the host starts");
        }
        if (tester == null) {
            return;
        }
        Scenario.TrafficConf tc = scenario.traffic();
        List<Scenario.FrameSize> sizes = tc.sizes().isEmpty() ? List.of(new Scenario.FrameSize(64)) : tc.sizes();
        offerEach(tc, sizes, secondsPerPath / sizes.size()); // on this thread: the compiler has the other CPU
        JitSettle.await(200, 0.0, (long) (Math.min(3, maxSettleSeconds) * 1000)); // nothing else runs meanwhile
        if (maxSettleSeconds > 0) {
            // the same traffic on the lcores, which compile anew there (on-stack replacement, other
            // inlining): turns of at least half a second until two in a row spent under 2 % compiling
            start();
            boolean settled = false;
            try {
                settle(sizes, maxSettleSeconds);
                settled = true;
            } finally {
                if (!settled || !leaveRunning) {
                    stop();
                }
            }
        }
        tester.takeLatency();
    }

    /**
     * The scenario's traffic of {@code sizes} on the running lcores, in turns of at least half a
     * second, until two turns in a row spent under 2 % of their time compiling, at most
     * {@code maxSeconds}. For after the host changed while running (VMs added): new VMs make C2
     * give up code it compiled and compile it anew, and a phase measured in the middle of that is
     * the compiler's.
     */
    public void settle(List<Scenario.FrameSize> sizes, double maxSeconds) {
        if (tester == null || maxSeconds <= 0) {
            return;
        }
        Scenario.TrafficConf tc = scenario.traffic();
        JitSettle.await(() -> {
            long t0 = System.nanoTime();
            do {
                offerEach(tc, sizes, 0.1);
            } while (System.nanoTime() - t0 < 500_000_000L);
        }, 0.02, 2, (long) (maxSeconds * 1000));
    }

    /**
     * Offers {@code sizes} in turn to every path's VMs for {@code seconds} each, draining after
     * each; drives the host from this thread when it is not running on its lcores.
     */
    private void offerEach(Scenario.TrafficConf tc, List<Scenario.FrameSize> sizes, double seconds) {
        for (IoPath p : IoPath.values()) {
            List<Tester.Target> t = targets(p);
            if (t.isEmpty()) {
                continue;
            }
            for (Scenario.FrameSize size : sizes) {
                List<Component.Snapshot> s0 = host.accounting();
                tester.start(t, size, tc.inFlight(), tc.ratePps(), tc.flows());
                runFor(seconds);
                tester.drain();
                long deadline = System.nanoTime() + 5_000_000_000L;
                DrainWatch watch = new DrainWatch(tester, host::lcoreRounds, () -> droppedBetween(s0, host.accounting()));
                while (!watch.quiet(20_000_000L) && !tester.allReturned() && System.nanoTime() < deadline) {
                    runFor(0.005);
                }
            }
        }
    }

    /** Lets the host run for {@code seconds}: on its lcores, or here, round after round. */
    private void runFor(double seconds) {
        if (host.running()) {
            sleep(seconds);
            return;
        }
        long end = System.nanoTime() + (long) (seconds * 1e9);
        do {
            host.runOnce();
        } while (System.nanoTime() < end);
    }

    /** The VMs of {@code path} that send the tester's probes back. */
    public List<Tester.Target> targets(IoPath path) {
        List<Tester.Target> t = new ArrayList<>();
        for (Vm v : host.vms()) {
            String app = apps.get(v.name());
            if (v.path() == path && app != null && GuestApps.reflects(app)) {
                t.add(new Tester.Target(v.spec().effectiveMac().value(), ips.get(v.name())));
            }
        }
        return t;
    }

    /** Longest slice when {@link #phases} takes turns between paths, unless that makes more than {@link #MAX_SLICES}. */
    static final double SLICE_SECONDS = 0.25;
    /** Most slices per path and phase: each has its own warm-up and drain. */
    public static final int MAX_SLICES = 8;

    /**
     * Offers traffic of {@code size} to the VMs of {@code path} for {@code seconds} (after a
     * warm-up), drains, and returns the run in the documented JSON schema. {@code progress} hears
     * a live line ("  " + figures) four times a second and the phase's average ("= " + figures) at its end.
     */
    public Map<String, Object> phase(IoPath path, Scenario.FrameSize size, double seconds, Consumer<String> progress) {
        return phases(List.of(path), size, seconds, progress).get(0);
    }

    /**
     * {@link #phase} for several paths measured in turns: each path's {@code seconds} are cut into
     * slices of at most {@link #SLICE_SECONDS} (longer when that would make more than
     * {@link #MAX_SLICES}), the paths take one slice each in turn, and each path's run sums its
     * slices. The first slice of a path warms up as a phase does (30 % of {@code seconds}, 0.1 to
     * 1 s), the others for 0.1 s — the closed loop is full again within microseconds. This VM's speed drifts by tens of percent from one second to the
     * next; paths measured one after another each get their own moment, paths taking turns share
     * it. Every slice starts and ends with nothing in flight, so the sums conserve frames as one
     * phase does. One result per path, in the order given.
     */
    public List<Map<String, Object>> phases(List<IoPath> paths, Scenario.FrameSize size, double seconds,
                                            Consumer<String> progress) {
        if (tester == null) {
            throw new IllegalStateException("this experiment's wire has no tester");
        }
        int slices = slices(paths.size(), seconds);
        List<Sums> sums = new ArrayList<>();
        for (IoPath p : paths) {
            sums.add(new Sums(p, size));
        }
        for (int i = 0; i < slices; i++) {
            for (Sums s : sums) {
                List<Tester.Target> targets = targets(s.path);
                if (!targets.isEmpty()) {
                    slice(s, targets, seconds / slices, s.slices == 0 ? Math.max(0.1, Math.min(1.0, seconds * 0.3)) : 0.1,
                            progress);
                }
            }
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (Sums s : sums) {
            if (s.slices > 0 && progress != null) {
                progress.accept(String.format(Locale.ROOT, "= %-8s %-6s %7.3f Mpps   hypervisor %3.0f%% CPU", s.path.label(),
                        size, s.frames * 1000.0 / s.window, 100.0 * s.hvNs / s.window));
            }
            out.add(s.result());
        }
        return out;
    }

    /** Slices per path when {@code paths} paths share a phase of {@code seconds} each. */
    static int slices(int paths, double seconds) {
        return paths > 1 ? Math.clamp((long) Math.ceil(seconds / SLICE_SECONDS - 1e-9), 1, MAX_SLICES) : 1;
    }

    /** What the slices of one path's phase measured, summed. */
    private final class Sums {
        final IoPath path;
        final Scenario.FrameSize size;
        int slices;
        long offered;
        long delivered;
        long replicas;
        long frames;      // delivered in the measured windows
        long bytes;
        long window;      // ns
        long hvNs;
        long nicNs;
        long guestNs;
        long copies;      // this and the next three over whole slices
        long lookups;
        long exits;
        long irqs;
        final Map<String, Long> drops = new LinkedHashMap<>();
        final long[][] longCalls = new long[Component.Kind.values().length][2];
        Histogram latency;

        Sums(IoPath path, Scenario.FrameSize size) {
            this.path = path;
            this.size = size;
        }

        Map<String, Object> result() {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("path", path.label());
            r.put("frame_size", size.label());
            r.put("vms", (int) host.vms().stream().filter(v -> v.path() == path).count());
            if (slices == 0) {
                r.put("note", "no VM on this path sends traffic back (apps macswap, mac and echo do)");
                return r;
            }
            double per = Math.max(1, frames);
            double perAll = Math.max(1, delivered);
            r.put("offered", offered);
            r.put("delivered", delivered);
            r.put("drops", drops);
            r.put("replicas", replicas);
            r.put("mpps", round(frames * 1000.0 / window));
            r.put("gbps", round((bytes + (double) Net.ETHER_PREAMBLE_AND_GAP * frames) * 8 / window));
            r.put("hypervisor_ns_per_pkt", round(hvNs / per));
            r.put("nic_ns_per_pkt", round(nicNs / per));
            r.put("guest_ns_per_pkt", round(guestNs / per));
            r.put("copies_per_pkt", round(copies / perAll));
            r.put("lookups_per_pkt", round(lookups / perAll));
            r.put("vm_exits_per_pkt", round(exits / perAll));
            r.put("interrupts_per_pkt", round(irqs / perAll));
            if (host.costModel().enabled()) {
                r.put("modelled_exit_irq_ns_per_pkt", round(host.costModel().nanos(exits, irqs) / perAll));
            }
            Map<String, Object> l = new LinkedHashMap<>();
            l.put("p50", round(latency.getValueAtPercentile(50) / 1000.0));
            l.put("p99", round(latency.getValueAtPercentile(99) / 1000.0));
            l.put("p999", round(latency.getValueAtPercentile(99.9) / 1000.0));
            l.put("p9999", round(latency.getValueAtPercentile(99.99) / 1000.0));
            l.put("max", round(latency.getMaxValue() / 1000.0));
            r.put("latency_us", l);
            Map<String, Object> m = new LinkedHashMap<>();
            for (Component.Kind k : Component.Kind.values()) {
                Map<String, Object> c = new LinkedHashMap<>();
                c.put("ge_100us", longCalls[k.ordinal()][0]);
                c.put("ge_1ms", longCalls[k.ordinal()][1]);
                m.put(k == Component.Kind.GUEST ? "guests" : k.name().toLowerCase(Locale.ROOT), c);
            }
            r.put("long_calls", m);
            r.put("in_flight_per_vm", scenario.traffic().ratePps() == 0 ? scenario.traffic().inFlight() : 0);
            r.put("seconds", round(window / 1e9));
            if (slices > 1) {
                r.put("slices", slices);
            }
            return r;
        }
    }

    /** One slice: {@code warmUp} seconds, {@code seconds} measured, drain; adds what it measured to {@code s}. */
    private void slice(Sums s, List<Tester.Target> targets, double seconds, double warmUp, Consumer<String> progress) {
        IoPath path = s.path;
        Scenario.FrameSize size = s.size;
        start();
        Scenario.TrafficConf tc = scenario.traffic();
        List<Component.Snapshot> s0 = host.accounting();
        long rep0 = host.replicas();
        long off0 = tester.offered();
        long del0 = tester.delivered();
        tester.takeLatency();
        tester.start(targets, size, tc.inFlight(), tc.ratePps(), tc.flows());
        sleep(warmUp);
        long dw0 = tester.delivered();
        long bytes0 = tester.deliveredBytes();
        List<Component.Snapshot> w0 = host.accounting();
        long t0 = System.nanoTime();
        long lastT = t0;
        long lastD = dw0;
        long lastHv = w0.get(1).cpuNanos();
        long end = t0 + (long) (seconds * 1e9);
        while (System.nanoTime() < end) {
            sleep(Math.min(0.25, (end - System.nanoTime()) / 1e9));
            long now = System.nanoTime();
            long d = tester.delivered();
            long hv = host.hypervisorComponent().cpuNanos();
            if (progress != null && now > lastT) {
                progress.accept(String.format(Locale.ROOT, "  %-8s %-6s %7.3f Mpps   hypervisor %3.0f%% CPU", path.label(),
                        size, (d - lastD) * 1000.0 / (now - lastT), 100.0 * (hv - lastHv) / (now - lastT)));
            }
            lastT = now;
            lastD = d;
            lastHv = hv;
        }
        long window = System.nanoTime() - t0;
        long frames = tester.delivered() - dw0;
        long bytes = tester.deliveredBytes() - bytes0;
        List<Component.Snapshot> w1 = host.accounting();
        tester.drain();
        long deadline = System.nanoTime() + 5_000_000_000L;
        DrainWatch watch = new DrainWatch(tester, host::lcoreRounds, () -> droppedBetween(s0, host.accounting()));
        while (!watch.quiet(50_000_000L) && System.nanoTime() < deadline) {
            sleep(0.01);
        }
        List<Component.Snapshot> s1 = host.accounting();
        Histogram lat = tester.takeLatency();
        if (s.latency == null) {
            s.latency = lat;
        } else {
            s.latency.add(lat);
        }
        s.slices++;
        s.offered += tester.offered() - off0;
        s.delivered += tester.delivered() - del0;
        dropsBetween(s0, s1).forEach((k, v) -> s.drops.merge(k, v, Long::sum));
        s.replicas += host.replicas() - rep0;
        s.frames += frames;
        s.bytes += bytes;
        s.window += window;
        s.nicNs += w1.get(0).minus(w0.get(0)).cpuNanos();
        s.hvNs += w1.get(1).minus(w0.get(1)).cpuNanos();
        for (Component.Snapshot g : w1) {
            if (g.kind() != Component.Kind.GUEST) {
                continue;
            }
            Vm vm = host.vms().stream().filter(v -> v.component().name().equals(g.name())).findFirst().orElse(null);
            if (vm == null || vm.path() != path) {
                continue; // destroyed since, or on another path
            }
            Component.Snapshot before = find(w0, g.name());
            s.guestNs += (before == null ? g : g.minus(before)).cpuNanos();
            Component.Snapshot atStart = find(s0, g.name());
            Component.Snapshot atEnd = find(s1, g.name());
            if (atEnd != null) {
                Component.Snapshot all = atStart == null ? atEnd : atEnd.minus(atStart);
                s.exits += all.vmExits();
                s.irqs += all.interrupts();
            }
        }
        // counts per frame over whole slices, which start and end with nothing in flight; over
        // the window, the frames on their way at its two edges skew them (a few % at low rates)
        Component.Snapshot hvAll = s1.get(1).minus(s0.get(1));
        s.copies += hvAll.copies();
        s.lookups += hvAll.lookups();
        addLongCalls(s.longCalls, s0, s1);
    }

    /**
     * Agent calls of 100 µs and of 1 ms or more between two snapshots, by kind of component (every
     * VM counted, whatever its path: the guests share an lcore). A long call held up every frame
     * waiting on that lcore; spread over the kinds in proportion to their time, they are the
     * machine taking the CPU away (compare {@code havnet bench jitter}); piled on one, that agent.
     */
    private static void addLongCalls(long[][] into, List<Component.Snapshot> before, List<Component.Snapshot> after) {
        for (Component.Snapshot a : after) {
            Component.Snapshot b = find(before, a.name());
            into[a.kind().ordinal()][0] += a.callsOver100us() - (b == null ? 0 : b.callsOver100us());
            into[a.kind().ordinal()][1] += a.callsOver1ms() - (b == null ? 0 : b.callsOver1ms());
        }
    }

    private static Component.Snapshot find(List<Component.Snapshot> l, String name) {
        for (Component.Snapshot s : l) {
            if (s.name().equals(name)) {
                return s;
            }
        }
        return null;
    }

    static double round(double v) {
        return Math.round(v * 1000.0) / 1000.0;
    }

    private static void sleep(double s) {
        if (s <= 0) {
            return;
        }
        try {
            Thread.sleep((long) (s * 1000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        if (tester != null) {
            tester.drain(); // the host's closing rounds run it: it takes what comes back and sends nothing
        }
        host.stop();
        host.close();
        for (String vm : new ArrayList<>(taps.keySet())) {
            closeTap(vm);
        }
        for (String ns : createdNetns) {
            try {
                Ip.run("netns", "del", ns);
            } catch (IllegalStateException e) {
                // already gone
            }
        }
        if (wire != null) {
            wire[0].close();
            wire[1].close();
        }
        if (ownedWire != null) {
            ownedWire.close();
            ownedWirePool.close();
            ownedWireRam.close();
        }
    }
}
