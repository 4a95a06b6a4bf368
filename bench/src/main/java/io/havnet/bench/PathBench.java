package io.havnet.bench;

import io.havnet.dataplane.agent.AgentStats;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.mbuf.MbufPool;
import io.havnet.dataplane.memory.MemoryRegion;
import io.havnet.dataplane.mempool.Mempool;
import io.havnet.dataplane.net.Net;
import io.havnet.dataplane.net.PacketBuilder;
import io.havnet.dataplane.pmd.RingEthDev;
import io.havnet.hypervisor.AgentGroup;
import io.havnet.hypervisor.GuestApp;
import io.havnet.hypervisor.Host;
import io.havnet.hypervisor.IoPath;
import io.havnet.hypervisor.Vm;
import io.havnet.hypervisor.VmSpec;
import io.havnet.hypervisor.accounting.Component;
import io.havnet.hypervisor.accounting.CostModel;
import io.havnet.nfv.fwd.FwdEngine;
import io.havnet.nfv.fwd.MacSwapFwd;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code havnet bench paths}: the three I/O paths side by side. For each path a host with
 * {@code vms} VMs on that path, each running {@code macswap}; frames loop wire → NIC → path →
 * guest → path → NIC → wire, a reflector at the far end of the wire sending each back. The NIC
 * runs alone on CPU 0; the hypervisor, the guests and the reflector on CPU 1. Per forwarded frame:
 * CPU ns of the hypervisor, the NIC and the guests (busy time of their agents), copies, VM
 * exits, interrupts; plus Mpps and drops.
 *
 * <p>The hosts of all paths exist at once and take turns: one runs for {@value #SLICE_MS} ms
 * while the others are suspended (their lcores parked, their frames where they were), so every
 * path sees the same machine. On this kind of VM a path's rate moves by ±25 % from one second
 * to the next, which made separate runs of a few seconds disagree about the paths' order.
 */
public final class PathBench {
    static final int SLICE_MS = 100;
    private final double seconds;
    private final int vms;
    private final int perVmInFlight;
    private final CostModel costModel;
    private final Host.Placement placement;
    private long lineRateMbps;

    /**
     * @param seconds measured time per path, in slices taking turns with the other paths
     * @param wireCpu the CPU of the wire's far end (the reflector): 1 with the hypervisor and the
     *                guests ({@link Host.Placement#twoCores()}), or 0 with the NIC
     */
    public PathBench(double seconds, int vms, int perVmInFlight, CostModel costModel, int wireCpu) {
        this.placement = new Host.Placement(0, 1, 1, wireCpu);
        this.seconds = seconds;
        this.vms = vms;
        this.perVmInFlight = perVmInFlight;
        this.costModel = costModel;
    }

    /**
     * Paces each host's NIC port at {@code mbps} Mbit/s each way, as the card's MAC would (0, the
     * default: not paced). At 10,000 a path that moves more than 10 GbE carries waits for the line,
     * and what the paths then differ in is CPU per packet.
     */
    public PathBench lineRateMbps(long mbps) {
        this.lineRateMbps = mbps;
        return this;
    }

    /** One host, its apps and the accounting at the start of the measurement. */
    private final class Bed implements AutoCloseable {
        final IoPath path;
        final RingEthDev[] wire = RingEthDev.pair("wire", "tester", 1, 8192);
        final Host host;
        final List<MacSwapFwd> apps = new ArrayList<>();
        long ns;
        long f0;
        List<Component.Snapshot> s0;
        long vswitch0;
        long vswitchFrames0;

        Bed(IoPath path, int wireFrameSize) {
            this.path = path;
            host = Host.builder(wire[0]).memory(1536L << 20).vfs(Math.max(1, vms)).costModel(costModel)
                    .lineRateMbps(lineRateMbps).build();
            List<Vm> created = new ArrayList<>();
            for (int i = 0; i < vms; i++) {
                GuestApp app = ctx -> {
                    MacSwapFwd f = new MacSwapFwd(ctx.vnic(), 0, ctx.vnic(), 0, 32);
                    apps.add(f);
                    ctx.component().addDrops(ctx.vmName() + "-app", f.counters(), FwdEngine.FWD_DROPPED, FwdEngine.TX_NOMBUF);
                    return f;
                };
                created.add(host.createVm(VmSpec.of(path.label() + i, path, app).withRing(512, 4095).withMemory(64L << 20)));
            }
            MemoryRegion testerRam = host.platform().memory().allocateRegion("tester", 48L << 20);
            Mempool testerPool = MbufPool.builder("tester", testerRam).count(16383).build();
            int size = wireFrameSize - 4;
            for (Vm vm : created) {
                byte[] f = PacketBuilder.ethernet(vm.spec().effectiveMac().value(), 0x02AA00000001L)
                        .ipv4("198.18.0.1", "198.18.0.2").udp(9, 9).padTo(size).build();
                for (int i = 0; i < perVmInFlight; i++) {
                    if (!wire[1].txRing(0).enqueue(Mbuf.fromBytes(testerPool, f))) {
                        throw new IllegalStateException("cannot prime the wire");
                    }
                }
            }
            host.addWireAgent(new MacSwapFwd(wire[1], 0, wire[1], 0, 32), new Component("wire", Component.Kind.NIC));
        }

        /** Runs the host for one slice; returns the time it ran. */
        long slice(long ms) {
            long t0 = System.nanoTime();
            host.resume();
            Measure.sleep(ms / 1000.0);
            host.suspend();
            return System.nanoTime() - t0;
        }

        void mark() {
            ns = 0;
            f0 = forwarded(apps);
            s0 = host.accounting();
            vswitch0 = vswitchBusy(host);
            vswitchFrames0 = host.hypervisorComponent().counters().get(Component.FRAMES);
        }

        @Override
        public void close() {
            host.stop();
            host.close();
            wire[0].close();
            wire[1].close();
        }
    }

    /** Every path in {@code paths} at one frame size, in turns; one result per path, in that order. */
    public List<Map<String, Object>> run(List<IoPath> paths, int wireFrameSize) {
        List<Bed> beds = new ArrayList<>();
        try {
            for (IoPath p : paths) {
                Bed b = new Bed(p, wireFrameSize);
                beds.add(b);
                b.host.start(placement);
                b.host.suspend();
            }
            // warm-up in turns, then let the compiler finish (its CPU is not the paths')
            long warmSlices = Math.max(3, Math.round(Math.min(2.0, seconds / 2) * 1000 / SLICE_MS));
            for (int i = 0; i < warmSlices; i++) {
                for (Bed b : beds) {
                    b.slice(SLICE_MS);
                }
            }
            // ... while the hosts keep taking turns, until two rotations in a row spent under 5 % compiling
            io.havnet.dataplane.agent.JitSettle.await(() -> {
                for (Bed bed : beds) {
                    bed.slice(SLICE_MS);
                }
            }, 0.05, 2, 10_000);
            for (Bed b : beds) {
                b.slice(SLICE_MS);
                b.mark();
            }
            long perThird = Math.max(1, Math.round(seconds * 1000 / SLICE_MS / 3));
            List<List<Double>> mppsByThird = new ArrayList<>();
            for (int i = 0; i < beds.size(); i++) {
                mppsByThird.add(new ArrayList<>());
            }
            for (int third = 0; third < 3; third++) {
                long[] f = new long[beds.size()];
                long[] t = new long[beds.size()];
                for (int i = 0; i < beds.size(); i++) {
                    f[i] = forwarded(beds.get(i).apps);
                }
                for (long k = 0; k < perThird; k++) {
                    for (int i = 0; i < beds.size(); i++) {
                        t[i] += beds.get(i).slice(SLICE_MS);
                    }
                }
                for (int i = 0; i < beds.size(); i++) {
                    Bed b = beds.get(i);
                    b.ns += t[i];
                    mppsByThird.get(i).add(Measure.r3((forwarded(b.apps) - f[i]) * 1000.0 / t[i]));
                }
            }
            List<Map<String, Object>> out = new ArrayList<>();
            for (int i = 0; i < beds.size(); i++) {
                Map<String, Object> m = result(beds.get(i), wireFrameSize);
                m.put("mpps_by_third", mppsByThird.get(i));
                out.add(m);
            }
            return out;
        } finally {
            for (Bed b : beds) {
                b.close();
            }
        }
    }

    private Map<String, Object> result(Bed b, int wireFrameSize) {
        Host host = b.host;
        long ns = b.ns;
        long frames = forwarded(b.apps) - b.f0;
        List<Component.Snapshot> s0 = b.s0;
        List<Component.Snapshot> s1 = host.accounting();
        long vswitchNs = vswitchBusy(host) - b.vswitch0;
        long hvFrames = host.hypervisorComponent().counters().get(Component.FRAMES) - b.vswitchFrames0;
        IoPath path = b.path;
        Component.Snapshot nic = s1.get(0).minus(s0.get(0));
        Component.Snapshot hv = s1.get(1).minus(s0.get(1));
        long guestNs = 0;
        long exits = 0;
        long irqs = 0;
        Map<String, Long> drops = new LinkedHashMap<>();
        for (int i = 2; i < s1.size(); i++) {
            Component.Snapshot g = s1.get(i).minus(s0.get(i));
            guestNs += g.cpuNanos();
            exits += g.vmExits();
            irqs += g.interrupts();
            g.drops().forEach((k, v) -> drops.merge(k, v, Long::sum));
        }
        nic.drops().forEach((k, v) -> {
            if (k.startsWith("rx_drop")) {
                drops.merge(k, v, Long::sum);
            }
        });
        hv.drops().forEach((k, v) -> drops.merge(k, v, Long::sum));
        double per = Math.max(1, frames);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("path", path.label());
        m.put("frame_size", wireFrameSize);
        m.put("vms", vms);
        m.put("frames", frames);
        m.put("mpps", Measure.r3(frames * 1000.0 / ns));
        m.put("gbps", Measure.r3(frames * (wireFrameSize + Net.ETHER_PREAMBLE_AND_GAP) * 8.0 / ns));
        m.put("hypervisor_ns_per_pkt", Measure.r3(hv.cpuNanos() / per));
        m.put("nic_ns_per_pkt", Measure.r3(nic.cpuNanos() / per));
        m.put("guest_ns_per_pkt", Measure.r3(guestNs / per));
        m.put("copies_per_pkt", Measure.r3(hv.copies() / per));
        m.put("bytes_copied_per_pkt", Measure.r3(hv.bytesCopied() / per));
        m.put("lookups_per_pkt", Measure.r3(hv.lookups() / per));
        m.put("vm_exits_per_pkt", Measure.r3(exits / per));
        m.put("interrupts_per_pkt", Measure.r3(irqs / per));
        m.put("modelled_exit_irq_ns_per_pkt", Measure.r3(costModel.nanos(exits, irqs) / per));
        m.put("vswitch_ns_per_frame_handled", Measure.r3(path == IoPath.VSWITCH && hvFrames > 0
                ? vswitchNs / (double) hvFrames : 0));
        m.put("drops", drops);
        return m;
    }

    private static long forwarded(List<MacSwapFwd> apps) {
        long n = 0;
        for (MacSwapFwd a : apps) {
            n += a.counters().get(FwdEngine.TX_PACKETS);
        }
        return n;
    }

    private static long vswitchBusy(Host h) {
        for (AgentGroup.Member m : h.hypervisorAgents()) {
            AgentStats s = m.stats();
            if (s.name().equals("vswitch")) {
                return s.busyNanos();
            }
        }
        return 0;
    }
}
