package io.havnet.hypervisor;

import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.net.Net;
import io.havnet.nfv.fwd.FwdEngine;
import io.havnet.nfv.fwd.TxOnlyFwd;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A VM that sends as fast as it can against its max_tx_rate, next to two neighbours (one on a
 * VF, one on the vSwitch) that forward a steady load from the wire — over one simulated second
 * on a manual clock, so the figures do not depend on this machine's speed.
 */
class FloodTest {
    static final long STEP = 50_000;          // 50 µs of simulated time per step
    static final int STEPS = 20_000;          // 1 s
    static final int LOAD = 4;                // frames per neighbour per step: 80 kpps each

    record Outcome(double neighbourShare, double flooderMbps) {}

    Outcome run(boolean flood) {
        try (HostTestBed t = new HostTestBed()) {
            Vm n1 = t.vm("n1", IoPath.SRIOV, t.macswap());
            Vm n2 = t.vm("n2", IoPath.VSWITCH, t.macswap());
            long flooderMac = 0;
            if (flood) {
                Vm f = t.host.createVm(VmSpec.of("flooder", IoPath.SRIOV, ctx -> {
                    TxOnlyFwd g = new TxOnlyFwd(ctx.vnic(), 0, ctx.pool(), 32, 1000, 1, 0, HostTestBed.PEER, ctx.clock());
                    t.apps.put(ctx.vmName(), g);
                    ctx.component().addDrops(ctx.vmName() + "-app", g.counters(), FwdEngine.FWD_DROPPED, FwdEngine.TX_NOMBUF);
                    return g;
                }).withMemory(16L << 20).withRing(128, 1023).withVfAdmin(true, false, 100));
                flooderMac = f.spec().effectiveMac().value();
            }
            long offered = 0;
            long returned = 0;
            long floodBytes = 0;
            int[] b = new int[64];
            for (int step = 0; step < STEPS; step++) {
                t.fromWire(n1.spec().effectiveMac().value(), LOAD);
                t.fromWire(n2.spec().effectiveMac().value(), LOAD);
                offered += 2 * LOAD;
                for (int r = 0; r < 4; r++) {
                    t.host.runOnce();
                }
                int n;
                while ((n = t.tester.rxBurst(0, b, 0, b.length)) > 0) {
                    for (int i = 0; i < n; i++) {
                        var s = Mbuf.segment(b[i]);
                        long off = Mbuf.dataOffset(b[i]);
                        long src = (long) Short.toUnsignedInt(s.get(Net.BE16, off + 6)) << 32
                                | Integer.toUnsignedLong(s.get(Net.BE32, off + 8));
                        if (flood && src == flooderMac) {
                            floodBytes += Mbuf.pktLen(b[i]) + Net.ETHER_CRC_LEN;
                        } else {
                            returned++;
                        }
                    }
                    Mbuf.freeBulk(b, 0, n);
                }
                t.clock.advance(STEP);
            }
            if (flood) {
                t.host.pauseVm("flooder");
            }
            t.run();
            returned += t.wireOut().stream().filter(f -> f.length < 900).count();
            t.assertNicConserved();
            return new Outcome(returned / (double) offered, floodBytes * 8 / (STEPS * STEP / 1e9) / 1e6);
        }
    }

    @Test
    void aFloodingVmIsHeldToItsRateAndItsNeighboursKeepTheirThroughput() {
        Outcome base = run(false);
        Outcome flood = run(true);
        assertEquals(100, flood.flooderMbps(), 5.0, "the flooder's rate on the wire, Mbit/s");
        assertTrue(flood.neighbourShare() >= 0.95 * base.neighbourShare(),
                "neighbours keep >= 95 % of their baseline: " + flood.neighbourShare() + " vs " + base.neighbourShare());
        assertTrue(base.neighbourShare() > 0.99, "baseline " + base.neighbourShare());
    }
}
