package io.havnet.lab.apps;

import io.havnet.dataplane.agent.Agent;
import io.havnet.dataplane.ethdev.EthConf;
import io.havnet.dataplane.ethdev.EthDev;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.net.MacAddress;
import io.havnet.dataplane.pmd.TapEthDev;
import io.havnet.dataplane.stats.CounterDef;
import io.havnet.dataplane.stats.Counters;
import io.havnet.hypervisor.GuestApp;

import java.util.List;
import java.util.function.Consumer;

/**
 * {@code tap-bridge}: the guest application that gives a VM a Linux network stack. It moves frames
 * between the VM's vNIC (virtio-net or a VF — whatever its path) and a TAP interface whose
 * namespace is the guest operating system; frames from the TAP are received into the guest's own
 * mempool, so a VF's DMA finds them in guest memory. Frames a side does not take are freed and
 * counted ({@code to_tap_full}, {@code to_vnic_full}).
 */
public final class TapBridge implements Agent {
    public static final int TO_TAP = 0;
    public static final int TO_VNIC = 1;
    public static final int TO_TAP_FULL = 2;
    public static final int TO_VNIC_FULL = 3;
    public static final List<CounterDef> COUNTERS = List.of(
            new CounterDef("to_tap", "frames", "frames from the vNIC written to the TAP"),
            new CounterDef("to_vnic", "frames", "frames from the TAP sent on the vNIC"),
            new CounterDef("to_tap_full", "frames", "frames the TAP did not take, dropped"),
            new CounterDef("to_vnic_full", "frames", "frames the vNIC did not take, dropped"));

    private final EthDev vnic;
    private final TapEthDev tap;
    private final int[] b = new int[32];
    private final Counters counters = new Counters(COUNTERS);

    private TapBridge(EthDev vnic, TapEthDev tap) {
        this.vnic = vnic;
        this.tap = tap;
    }

    /**
     * The app for a VM whose TAP is {@code ifname}; {@code created} hears of the TAP port once the
     * hypervisor builds the guest (the caller moves it into its namespace and closes it).
     */
    public static GuestApp app(String ifname, Consumer<TapEthDev> created) {
        return ctx -> {
            MacAddress mac = ctx.vnic().macAddress();
            TapEthDev tap = TapEthDev.create(ctx.vmName() + "-tap", ifname, mac);
            tap.configure(1, 1, EthConf.defaults());
            tap.rxQueueSetup(0, 1024, ctx.pool());
            tap.txQueueSetup(0, 1024);
            tap.start();
            tap.setAdminUp(true);
            created.accept(tap);
            TapBridge t = new TapBridge(ctx.vnic(), tap);
            ctx.component().addDrops(ctx.vmName() + "-tap", t.counters, TO_TAP_FULL, TO_VNIC_FULL);
            return t;
        };
    }

    public Counters counters() {
        return counters;
    }

    @Override
    public String roleName() {
        return "tap-bridge " + tap.interfaceName();
    }

    @Override
    public int doWork() {
        int n = vnic.rxBurst(0, b, 0, b.length);
        if (n > 0) {
            int k = tap.txBurst(0, b, 0, n);
            counters.add(TO_TAP, k);
            if (k < n) {
                Mbuf.freeBulk(b, k, n - k);
                counters.add(TO_TAP_FULL, n - k);
            }
        }
        int m = tap.rxBurst(0, b, 0, b.length);
        if (m > 0) {
            int k = vnic.txBurst(0, b, 0, m);
            counters.add(TO_VNIC, k);
            if (k < m) {
                Mbuf.freeBulk(b, k, m - k);
                counters.add(TO_VNIC_FULL, m - k);
            }
        }
        return n + m;
    }
}
