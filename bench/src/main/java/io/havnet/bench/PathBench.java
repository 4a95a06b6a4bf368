package io.havnet.bench;

import io.havnet.dataplane.agent.AgentStats;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.mbuf.MbufPool;
import io.havnet.dataplane.memory.MemoryRegion;
import io.havnet.dataplane.mempool.Mempool;
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
 */
public final class PathBench {
    private final double seconds;
    private final int vms;
    private final int perVmInFlight;
    private final CostModel costModel;

    public PathBench(double seconds, int vms, int perVmInFlight, CostModel costModel) {
        this.seconds = seconds;
        this.vms = vms;
        this.perVmInFlight = perVmInFlight;
        this.costModel = costModel;
    }

    /** One path at one frame size. */
    public Map<String, Object> run(IoPath path, int wireFrameSize) {
        RingEthDev[] wire = RingEthDev.pair("wire", "tester", 1, 8192);
        Host host = Host.builder(wire[0]).memory(1536L << 20).vfs(Math.max(1, vms)).costModel(costModel).build();
        List<MacSwapFwd> apps = new ArrayList<>();
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
        Component wireComp = new Component("wire", Component.Kind.NIC);
        host.addWireAgent(new MacSwapFwd(wire[1], 0, wire[1], 0, 32), wireComp);
        host.start(Host.Placement.twoCores());
        try {
            sleep(Math.min(2.0, seconds / 2));
            io.havnet.dataplane.agent.JitSettle.await(250, 0.05, 8_000); // the compiler's CPU is not the path's
            long f0 = forwarded(apps);
            List<Component.Snapshot> s0 = host.accounting();
            long vswitch0 = vswitchBusy(host);
            long vswitchFrames0 = host.hypervisorComponent().counters().get(Component.FRAMES);
            long t0 = System.nanoTime();
            sleep(seconds);
            long ns = System.nanoTime() - t0;
            long frames = forwarded(apps) - f0;
            List<Component.Snapshot> s1 = host.accounting();
            long vswitchNs = vswitchBusy(host) - vswitch0;
            long hvFrames = host.hypervisorComponent().counters().get(Component.FRAMES) - vswitchFrames0;
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
            m.put("gbps", Measure.r3(frames * (wireFrameSize + 20) * 8.0 / ns));
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
        } finally {
            host.stop();
            host.close();
            wire[0].close();
            wire[1].close();
        }
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

    private static void sleep(double s) {
        try {
            Thread.sleep((long) (s * 1000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
