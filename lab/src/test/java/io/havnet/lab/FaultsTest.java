package io.havnet.lab;

import io.havnet.dataplane.mempool.Mempool;
import io.havnet.dataplane.net.MacAddress;
import io.havnet.hypervisor.IoPath;
import io.havnet.hypervisor.Vm;
import io.havnet.hypervisor.accounting.Component;
import io.havnet.lab.apps.GuestApps;
import io.havnet.lab.scenario.Scenario;
import io.havnet.lab.traffic.Tester;
import io.havnet.nic.driver.VfEthDev;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Faults under load, on a running host (NIC on CPU 0, the rest on CPU 1): a VF reset (FLR) and
 * the destruction of a VM on every path while the tester's traffic flows. Afterwards every frame
 * the tester offered came back or is counted as a drop somewhere, no buffer is left behind, and
 * the VMs that were not touched kept forwarding throughout.
 */
class FaultsTest {
    static Scenario.VmConf vm(String name, IoPath p) {
        return new Scenario.VmConf(name, p, 1, 32L << 20, null, -1, 0, "macswap", true, false, 0, null, null);
    }

    @Test
    void flrAndVmDestroyInTheMiddleOfTrafficLoseNothingUncounted() throws Exception {
        List<Scenario.VmConf> vms = new ArrayList<>();
        for (IoPath p : IoPath.values()) {
            vms.add(vm(p.label() + "-keep", p));
            vms.add(vm(p.label() + "-doomed", p));
        }
        vms.add(vm("sriov-flr", IoPath.SRIOV));
        Scenario s = new Scenario("faults", new Scenario.HostConf(1L << 30, 8, 32, true, false),
                Scenario.WireConf.generator(), new Scenario.TrafficConf(List.of(new Scenario.FrameSize(64)), 16, 0, 1, 1), vms);
        List<Mempool> pools;
        try (Experiment e = new Experiment(s)) {
            e.warmUp(0.2, 0.5);
            e.start();
            Tester t = e.tester();
            List<Tester.Target> all = new ArrayList<>();
            for (IoPath p : IoPath.values()) {
                all.addAll(e.targets(p));
            }
            List<Component.Snapshot> s0 = e.host().accounting();
            long rep0 = e.host().replicas();
            long off0 = t.offered();
            long del0 = t.delivered();
            t.start(all, new Scenario.FrameSize(64), 16, 0, 1);
            Thread.sleep(500);
            Map<String, Long> before = forwarded(e);

            // FLR under the guest's feet: its driver sees the reset and recovers, as ixgbevf does
            Vm flr = e.host().vm("sriov-flr");
            e.host().pf().resetVf(flr.vf());
            Thread.sleep(100);
            e.host().pauseVm("sriov-flr");
            VfEthDev vf = (VfEthDev) flr.vnic();
            if (vf.needsRecovery()) {
                vf.recover();
            }
            e.host().resumeVm("sriov-flr");
            // and one VM on every path destroyed with frames in flight
            for (IoPath p : IoPath.values()) {
                e.removeVm(p.label() + "-doomed");
            }
            Thread.sleep(500);
            Map<String, Long> after = forwarded(e);
            for (IoPath p : IoPath.values()) {
                String keep = p.label() + "-keep";
                assertTrue(after.get(keep) > before.get(keep) + 100, keep + " kept forwarding: " + before + " -> " + after);
            }
            drainAndStop(e);
            long offered = t.offered() - off0;
            long delivered = t.delivered() - del0;
            long drops = totalDrops(e, s0);
            long replicas = e.host().replicas() - rep0; // a VM's MAC gone, its frames are flooded: one frame, many copies
            assertEquals(offered + replicas, delivered + drops, "every offered frame came back or was counted: offered "
                    + offered + ", replicas " + replicas + ", delivered " + delivered + ", drops " + drops + " "
                    + dropsByReason(e, s0));
            assertTrue(drops > 0, "the faults did cost frames, and they are counted");
            pools = e.host().mempools();
        }
        assertNoBufferLeft(pools);
    }

    /**
     * A VF reset lands at any moment of its driver's work — between a burst's check and its tail
     * write, while the device is writing a frame into its ring. Repeated resets under traffic, each
     * recovered as ixgbevf does: every frame still comes back or is counted, no buffer is lost.
     */
    @Test
    void repeatedVfResetsUnderTrafficLoseNothingUncounted() throws Exception {
        List<Scenario.VmConf> vms = List.of(vm("flr", IoPath.SRIOV), vm("neighbour", IoPath.SRIOV));
        Scenario s = new Scenario("resets", new Scenario.HostConf(512L << 20, 4, 8, true, false),
                Scenario.WireConf.generator(), new Scenario.TrafficConf(List.of(new Scenario.FrameSize(64)), 16, 0, 1, 1), vms);
        List<Mempool> pools;
        try (Experiment e = new Experiment(s)) {
            e.warmUp(0.2, 0.5);
            e.start();
            Tester t = e.tester();
            List<Tester.Target> all = new ArrayList<>(e.targets(IoPath.SRIOV));
            List<Component.Snapshot> s0 = e.host().accounting();
            long off0 = t.offered();
            long del0 = t.delivered();
            t.start(all, new Scenario.FrameSize(64), 16, 0, 1);
            Vm flr = e.host().vm("flr");
            VfEthDev vf = (VfEthDev) flr.vnic();
            java.util.Random rnd = new java.util.Random(7);
            long resets = 0;
            long end = System.nanoTime() + 2_000_000_000L;
            while (System.nanoTime() < end) {
                e.host().pf().resetVf(flr.vf());
                resets++;
                java.util.concurrent.locks.LockSupport.parkNanos(rnd.nextInt(3_000_000));
                e.host().pauseVm("flr");
                vf.recover();
                e.host().resumeVm("flr");
                java.util.concurrent.locks.LockSupport.parkNanos(rnd.nextInt(3_000_000));
            }
            drainAndStop(e);
            long offered = t.offered() - off0;
            long delivered = t.delivered() - del0;
            long drops = totalDrops(e, s0);
            assertTrue(resets > 50, "resets: " + resets);
            assertEquals(offered, delivered + drops, "after " + resets + " resets every offered frame came back or was counted: offered "
                    + offered + ", delivered " + delivered + ", drops " + drops + " " + dropsByReason(e, s0));
            pools = e.host().mempools();
        }
        assertNoBufferLeft(pools);
    }

    /**
     * A host closed while its guests stream at full speed and the tester's probes circulate:
     * frames in the wire's rings, in the NIC and in the VEB still go back to their pools.
     */
    @Test
    void closingAHostInTheMiddleOfTrafficReturnsEveryBuffer() throws Exception {
        for (int round = 0; round < 3; round++) {
            List<Mempool> pools;
            try (Experiment e = new Experiment(Demo.scenario(Demo.Plan.quick()))) {
                pools = e.host().mempools();
                List<Tester.Target> all = new ArrayList<>();
                for (IoPath p : IoPath.values()) {
                    all.addAll(e.targets(p));
                }
                e.start();
                e.tester().start(all, new Scenario.FrameSize(64), 64, 0, 1);
                Thread.sleep(100);
                for (Vm v : e.host().vms()) {
                    e.setApp(v.name(), round == 1 ? "flowgen" : "txonly"); // streams the wire cannot take as fast
                }
                Thread.sleep(100);
            }
            assertNoBufferLeft(pools);
        }
    }

    @Test
    void aTruncatedCaptureTakesTheWireDownWithAReasonAndTheHostGoesOn(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path pcap = dir.resolve("cut.pcap");
        try (io.havnet.dataplane.pmd.PcapWriter w = io.havnet.dataplane.pmd.PcapWriter.create(pcap)) {
            for (int i = 0; i < 10; i++) {
                byte[] f = io.havnet.dataplane.net.PacketBuilder.ethernet(0x020000000011L, 0x02AA00000001L)
                        .ipv4("10.0.0.1", "10.0.0.2").udp(1, 2).payload(new byte[100]).build();
                w.write(i * 1000L, java.lang.foreign.MemorySegment.ofArray(f), 0, f.length);
            }
        }
        byte[] whole = java.nio.file.Files.readAllBytes(pcap);
        java.nio.file.Files.write(pcap, java.util.Arrays.copyOf(whole, whole.length - 50)); // cut mid-record
        Scenario s = new Scenario("cut", new Scenario.HostConf(512L << 20, 2, 0, true, false),
                new Scenario.WireConf(Scenario.WireConf.PCAP, pcap, null, null, null),
                new Scenario.TrafficConf(List.of(new Scenario.FrameSize(64)), 1, 0, 1, 1),
                List.of(new Scenario.VmConf("a", IoPath.SRIOV, 1, 32L << 20, new MacAddress(0x020000000011L), -1, 0, "macswap",
                        true, false, 0, null, null)));
        try (Experiment e = Experiment.withPcapWire(s, dir.resolve("out.pcap"))) {
            Map<String, Object> r = e.replay(2);
            assertEquals(9L, r.get("frames_read"), "the whole records were replayed");
            var link = e.host().nic().wire().link();
            assertFalse(link.up());
            assertTrue(link.toString().contains("truncated") || link.toString().contains("cut"), link.toString());
            assertFalse(link.toString().contains("\n"));
            assertEquals(9, e.host().vm("a").vnic().stats().ipackets(), "the guest got every frame before the cut");
            e.start(); // and the host runs on, wire down
            Thread.sleep(200);
            assertTrue(e.host().running());
        }
    }

    /** Stops offering and waits until nothing more comes back (probes still arriving are counted), then stops the host. */
    static void drainAndStop(Experiment e) throws InterruptedException {
        Tester t = e.tester();
        t.drain();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!t.drained(200_000_000L) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        e.stop();
    }

    /** Every drop counted anywhere on the host since {@code s0}. */
    static long totalDrops(Experiment e, List<Component.Snapshot> s0) {
        return dropsByReason(e, s0).values().stream().mapToLong(Long::longValue).sum();
    }

    /** After the host closed, no buffer is left behind in any of its pools ({@code Host.mempools()}). */
    static void assertNoBufferLeft(List<Mempool> pools) {
        for (Mempool p : pools) {
            assertEquals(0, p.inUse(), p + " after the host closed: " + p.leakReport());
        }
    }

    static Map<String, Long> forwarded(Experiment e) {
        Map<String, Long> m = new java.util.HashMap<>();
        for (Vm v : e.host().vms()) {
            m.put(v.name(), v.vnic().stats().opackets());
        }
        return m;
    }

    static Map<String, Long> dropsByReason(Experiment e, List<Component.Snapshot> s0) {
        Map<String, Long> m = new java.util.TreeMap<>();
        for (Component.Snapshot a : e.host().accounting()) {
            Component.Snapshot b = s0.stream().filter(x -> x.name().equals(a.name())).findFirst().orElse(null);
            (b == null ? a : a.minus(b)).drops().forEach((k, v) -> m.merge(k, v, Long::sum));
        }
        return m;
    }
}
