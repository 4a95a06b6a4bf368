package io.havnet.bench;

import io.havnet.dataplane.agent.AgentStats;
import io.havnet.dataplane.agent.DeterministicRunner;
import io.havnet.dataplane.agent.IdleStrategy;
import io.havnet.dataplane.agent.Lcore;
import io.havnet.dataplane.ethdev.EthConf;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.mbuf.MbufPool;
import io.havnet.dataplane.memory.MemoryRegion;
import io.havnet.dataplane.mempool.Mempool;
import io.havnet.dataplane.net.PacketBuilder;
import io.havnet.dataplane.pmd.RingEthDev;
import io.havnet.nfv.fwd.FwdEngine;
import io.havnet.nfv.fwd.MacSwapFwd;
import io.havnet.nic.Nic;
import io.havnet.nic.driver.PfDriver;
import io.havnet.nic.driver.VfEthDev;
import io.havnet.nic.engine.NicCounters;
import io.havnet.platform.Platform;
import io.havnet.platform.iommu.IommuDomain;
import io.havnet.platform.memory.PageAllocator;
import io.havnet.platform.paging.PageTable;

import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code havnet bench nic}: wire → NIC → VF → guest macswap → VF → NIC → wire, at 64 bytes.
 * The wire is a loop: a reflector on the far end swaps MACs and sends every frame back, so the
 * same frames circulate. The NIC's two engines run on one lcore (CPU 0), the guest's macswap and
 * the wire reflector on another (CPU 1). Mpps = frames the guest forwarded per second. Also
 * reported: NIC ns per frame (busy time of its engines per frame, both directions), IOTLB
 * misses per frame, and heap bytes allocated per frame on both lcores.
 */
public final class NicBench {
    private final double seconds;
    private final int frameSize;
    private final long iommuPage;
    private final int inFlight;
    private final int cores;
    private final int wireCpu;

    /**
     * @param wireCpu with 2 cores, where the far end of the wire runs: 1 next to the guest, or 0 next
     *                to the NIC, so that frames reach the NIC from the wire without a cache-line
     *                transfer, as a real NIC's packet buffer receives them
     */
    public NicBench(double seconds, int wireFrameSize, long iommuPage, int inFlight, int cores, int wireCpu) {
        this.cores = cores;
        this.wireCpu = wireCpu;
        this.seconds = seconds;
        this.frameSize = wireFrameSize - 4;
        this.iommuPage = iommuPage;
        this.inFlight = inFlight;
    }

    public Map<String, Object> run() {
        Map<String, Object> m = runNic();
        // the peer, in the same JVM and on the same CPUs: the frame loop stripped to its memory traffic
        NicFloor.Result f = new NicFloor(seconds, frameSize, inFlight, cores, wireCpu).run();
        m.put("floor_mpps", Measure.r3(f.mpps()));
        m.put("floor_nic_ns_per_pkt", Measure.r3(f.nicNsPerFrame()));
        m.put("floor_guest_ns_per_pkt", Measure.r3(f.guestNsPerFrame()));
        m.put("floor_nic_rx_drops", f.nicDrops());
        m.put("of_floor", Measure.r3(f.mpps() == 0 ? 0 : (double) m.get("mpps") / f.mpps()));
        return m;
    }

    private Map<String, Object> runNic() {
        Platform platform = Platform.create(512L << 20);
        RingEthDev[] wire = RingEthDev.pair("wire-nic", "wire-tester", 1, 4096);
        Nic nic = Nic.builder("nic0", platform, wire[0]).numVfs(1).packetBufferMbufs(8191).build();
        PfDriver pf = new PfDriver(nic);
        long ramBytes = 64L << 20;
        long hpa = platform.memory().pages().allocate2m((int) (ramBytes / PageAllocator.PAGE_2M));
        IommuDomain dom = platform.iommu().createDomain("vm0");
        dom.map(0, hpa, ramBytes, iommuPage, PageTable.READ | PageTable.WRITE);
        platform.iommu().attach(nic.vf(0), dom);
        MemoryRegion ram = platform.memory().slice("vm0-ram", hpa, ramBytes, 0);
        Mempool guestPool = MbufPool.builder("vm0", ram).count(16383).build();
        DeterministicRunner setup = new DeterministicRunner(nic.rxEngine(), nic.txEngine(), pf.mailboxService());
        VfEthDev vf = VfEthDev.probe("vf0", nic.vfRegisters(0), ram, setup::runOnce);
        setup.close();
        vf.configure(1, 1, EthConf.defaults());
        vf.rxQueueSetup(0, 512, guestPool);
        vf.txQueueSetup(0, 512);
        vf.start();
        MemoryRegion hostRam = platform.memory().allocateRegion("tester", 64L << 20);
        Mempool testerPool = MbufPool.builder("tester", hostRam).count(8191).build();
        long vfMac = vf.macAddress().value();
        byte[] frame = PacketBuilder.ethernet(vfMac, 0x02AA00000001L).ipv4("198.18.0.1", "198.18.0.2").udp(9, 9)
                .padTo(frameSize).build();
        for (int i = 0; i < inFlight; i++) {
            int m = Mbuf.fromBytes(testerPool, frame);
            if (!wire[1].txRing(0).enqueue(m)) {
                throw new IllegalStateException("cannot prime the wire");
            }
        }
        MacSwapFwd guest = new MacSwapFwd(vf, 0, vf, 0, 32);
        MacSwapFwd reflector = new MacSwapFwd(wire[1], 0, wire[1], 0, 32);
        Lcore nicCore;
        Lcore guestCore;
        if (cores == 1) {
            // everything on one core: the cost of the work itself, without cross-core traffic
            nicCore = Lcore.builder().name("all").cpu(0).idle(IdleStrategy.spin()).accounting(true)
                    .agent(nic.rxEngine()).agent(nic.txEngine()).agent(guest).agent(reflector).start();
            guestCore = Lcore.builder().name("idle").cpu(1).idle(IdleStrategy.backoff()).agent(() -> 0).start();
        } else {
            Lcore.Builder nb = Lcore.builder().name("nic-engine").cpu(0).idle(IdleStrategy.spin()).accounting(true)
                    .agent(nic.rxEngine()).agent(nic.txEngine());
            Lcore.Builder gb = Lcore.builder().name("vm0-vcpu").cpu(1).idle(IdleStrategy.spin()).accounting(true)
                    .agent(guest);
            (wireCpu == 0 ? nb : gb).agent(reflector);
            nicCore = nb.start();
            guestCore = gb.start();
        }
        com.sun.management.ThreadMXBean tmx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long[] ids = {nicCore.thread().threadId(), guestCore.thread().threadId()};
        try {
            Measure.sleep(Math.min(2.0, seconds / 2)); // warm-up
            long f0 = guest.counters().get(FwdEngine.TX_PACKETS);
            long miss0 = dom.iotlbMisses();
            long a0 = tmx.getThreadAllocatedBytes(ids[0]) + tmx.getThreadAllocatedBytes(ids[1]);
            List<AgentStats> nicStats = nicCore.agentStats().subList(0, 2);
            AgentStats guestStats = cores == 1 ? nicCore.agentStats().get(2) : guestCore.agentStats().get(0);
            long nicBusy0 = busy(nicStats);
            long rx0 = nicStats.get(0).busyNanos();
            long rxw0 = nicStats.get(0).work();
            long rxc0 = nicStats.get(0).calls();
            long txc0 = nicStats.get(1).calls();
            long txw0 = nicStats.get(1).work();
            long guestBusy0 = guestStats.busyNanos();
            long t0 = System.nanoTime();
            Measure.sleep(seconds);
            long ns = System.nanoTime() - t0;
            long frames = guest.counters().get(FwdEngine.TX_PACKETS) - f0;
            long misses = dom.iotlbMisses() - miss0;
            long alloc = tmx.getThreadAllocatedBytes(ids[0]) + tmx.getThreadAllocatedBytes(ids[1]) - a0;
            long nicBusy = busy(nicStats) - nicBusy0;
            long guestBusy = guestStats.busyNanos() - guestBusy0;
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("benchmark", "nic");
            m.put("path", "wire -> NIC -> VF -> guest macswap -> VF -> NIC -> wire");
            m.put("frame_size", frameSize + 4);
            m.put("iommu_page", iommuPage == PageAllocator.PAGE_2M ? "2M" : "4K");
            m.put("cores", cores);
            m.put("wire_cpu", cores == 1 ? 0 : wireCpu);
            m.put("frames", frames);
            m.put("mpps", Measure.r3(frames * 1000.0 / ns));
            m.put("line_rate_10g_mpps", 14.881);
            m.put("nic_ns_per_pkt", Measure.r3(frames == 0 ? 0 : nicBusy / (double) frames));
            m.put("guest_ns_per_pkt", Measure.r3(frames == 0 ? 0 : guestBusy / (double) frames));
            long rxBusy = nicStats.get(0).busyNanos() - rx0;
            m.put("nic_rx_ns_per_pkt", Measure.r3(frames == 0 ? 0 : rxBusy / (double) frames));
            m.put("nic_tx_ns_per_pkt", Measure.r3(frames == 0 ? 0 : (nicBusy - rxBusy) / (double) frames));
            m.put("nic_rx_frames_per_call", Measure.r3((nicStats.get(0).work() - rxw0)
                    / (double) Math.max(1, nicStats.get(0).calls() - rxc0)));
            m.put("nic_tx_frames_per_call", Measure.r3((nicStats.get(1).work() - txw0)
                    / (double) Math.max(1, nicStats.get(1).calls() - txc0)));
            m.put("iotlb_misses_per_pkt", Measure.r3(frames == 0 ? 0 : misses / (double) frames));
            m.put("alloc_bytes_per_pkt", Measure.r3(frames == 0 ? 0 : alloc / (double) frames));
            m.put("nic_pinned", nicCore.pinNotice() == null);
            NicCounters c = nic.counters();
            m.put("nic_rx_drops", c.rxDrops());
            return m;
        } finally {
            guestCore.close();
            nicCore.close();
            vf.stop();
            vf.close();
            nic.close();
            wire[0].close();
            wire[1].close();
            platform.close();
        }
    }

    private static long busy(List<AgentStats> s) {
        long b = 0;
        for (AgentStats a : s) {
            b += a.busyNanos();
        }
        return b;
    }
}
