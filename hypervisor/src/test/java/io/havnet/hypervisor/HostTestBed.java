package io.havnet.hypervisor;

import io.havnet.dataplane.clock.ManualClock;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.mbuf.MbufPool;
import io.havnet.dataplane.memory.HugePagePolicy;
import io.havnet.dataplane.memory.MemoryRegion;
import io.havnet.dataplane.mempool.Mempool;
import io.havnet.dataplane.net.PacketBuilder;
import io.havnet.dataplane.pmd.RingEthDev;
import io.havnet.nfv.fwd.FwdEngine;
import io.havnet.nfv.fwd.MacSwapFwd;
import io.havnet.nfv.fwd.RxOnlyFwd;
import io.havnet.nfv.fwd.TxOnlyFwd;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** A host whose wire's far end belongs to the test, run deterministically on a manual clock. */
final class HostTestBed implements AutoCloseable {
    static final long PEER = 0x02AA00000001L;
    final RingEthDev[] wire = RingEthDev.pair("wire", "tester", 1, 4096);
    final RingEthDev tester = wire[1];
    final ManualClock clock = new ManualClock(1_000_000_000L);
    final Host host;
    final MemoryRegion testerRegion;
    final Mempool testerPool;
    /** The engines the guest apps run, by VM name. */
    final Map<String, FwdEngine> apps = new HashMap<>();

    HostTestBed() {
        this(4);
    }

    HostTestBed(int vfs) {
        this(vfs, 0);
    }

    /** A host whose port is paced at {@code lineRateMbps} (0: not paced). */
    HostTestBed(int vfs, long lineRateMbps) {
        host = Host.builder(wire[0]).memory(1L << 30).hugePages(HugePagePolicy.NEVER).vfs(vfs).clock(clock)
                .hostMbufs(4095).lineRateMbps(lineRateMbps).build();
        testerRegion = MemoryRegion.allocate("tester", 32L << 20, HugePagePolicy.NEVER);
        testerPool = MbufPool.builder("tester", testerRegion).count(8191).cacheSize(0).build();
    }

    GuestApp macswap() {
        return ctx -> {
            MacSwapFwd f = new MacSwapFwd(ctx.vnic(), 0, ctx.vnic(), 0, 32);
            apps.put(ctx.vmName(), f);
            ctx.component().addDrops(ctx.vmName() + "-app", f.counters(), FwdEngine.FWD_DROPPED, FwdEngine.TX_NOMBUF);
            return f;
        };
    }

    GuestApp rxonly() {
        return ctx -> {
            RxOnlyFwd f = new RxOnlyFwd(ctx.vnic(), 0, 32);
            apps.put(ctx.vmName(), f);
            return f;
        };
    }

    /** Sends {@code count} UDP frames to {@code dst}. */
    GuestApp sender(long dst, long count) {
        return ctx -> {
            TxOnlyFwd f = new TxOnlyFwd(ctx.vnic(), 0, ctx.pool(), 32, 60, 1, count, dst, ctx.clock());
            apps.put(ctx.vmName(), f);
            ctx.component().addDrops(ctx.vmName() + "-app", f.counters(), FwdEngine.FWD_DROPPED, FwdEngine.TX_NOMBUF);
            return f;
        };
    }

    Vm vm(String name, IoPath path, GuestApp app) {
        return host.createVm(VmSpec.of(name, path, app).withMemory(16L << 20).withRing(128, 1023));
    }

    static byte[] frame(long dst, long src, int size) {
        return PacketBuilder.ethernet(dst, src).ipv4("10.0.0.1", "10.0.0.2").udp(1, 2).padTo(size).build();
    }

    void fromWire(long dst, int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = Mbuf.fromBytes(testerPool, frame(dst, PEER, 60));
        }
        int sent = tester.txBurst(0, a, 0, n);
        assertEquals(n, sent);
    }

    List<byte[]> wireOut() {
        List<byte[]> out = new ArrayList<>();
        int[] a = new int[64];
        int n;
        while ((n = tester.rxBurst(0, a, 0, 64)) > 0) {
            for (int i = 0; i < n; i++) {
                out.add(Mbuf.toBytes(a[i]));
            }
            Mbuf.freeBulk(a, 0, n);
        }
        return out;
    }

    void run() {
        host.runUntilIdle(4, 1_000_000);
    }

    long appRx(String vm) {
        return apps.get(vm).counters().get(FwdEngine.RX_PACKETS);
    }

    long appTx(String vm) {
        return apps.get(vm).counters().get(FwdEngine.TX_PACKETS);
    }

    void assertNicConserved() {
        assertEquals(0, host.nic().counters().rxUnaccounted(), () -> host.nic().counters().rx().snapshot().toString());
        assertEquals(0, host.nic().counters().txUnaccounted(), () -> host.nic().counters().tx().snapshot().toString());
    }

    @Override
    public void close() {
        run();
        wireOut();
        host.close();
        assertEquals(0, testerPool.inUse(), () -> "tester leaked " + testerPool.leakReport());
        testerPool.close();
        testerRegion.close();
        wire[0].close();
        wire[1].close();
    }
}
