package io.havnet.lab.apps;

import io.havnet.dataplane.agent.Agent;
import io.havnet.dataplane.net.Net;
import io.havnet.dataplane.stats.Counters;
import io.havnet.hypervisor.GuestApp;
import io.havnet.lab.traffic.Tester;
import io.havnet.nfv.echo.EchoResponder;
import io.havnet.nfv.fwd.FlowGenFwd;
import io.havnet.nfv.fwd.FwdEngine;
import io.havnet.nfv.fwd.IoFwd;
import io.havnet.nfv.fwd.MacFwd;
import io.havnet.nfv.fwd.MacSwapFwd;
import io.havnet.nfv.fwd.RxOnlyFwd;
import io.havnet.nfv.fwd.TxOnlyFwd;

import java.util.function.BiConsumer;

/**
 * The guest applications a scenario or testpmd's {@code set fwd} can name: the testpmd
 * forwarding modes {@code io}, {@code mac} (towards the tester), {@code macswap}, {@code rxonly},
 * {@code txonly}, {@code flowgen} (both towards the tester), {@code echo} (ARP, ping and UDP
 * echo for the VM's IP) and {@code hostile} (forges sources and VLANs: everything it sends must
 * be refused).
 */
public final class GuestApps {
    /** Every app name, in the order help texts list them. */
    public static final String[] NAMES = {"macswap", "mac", "io", "rxonly", "txonly", "flowgen", "echo", "hostile"};

    private GuestApps() {}

    /** The app called {@code name}; {@code ip} is the VM's address (for echo). */
    public static GuestApp of(String name, int ip) {
        return of(name, ip, (vm, c) -> {});
    }

    /**
     * The app called {@code name}; {@code counters} hears of each instance's counters (a VM's
     * forward statistics) when the hypervisor creates it.
     */
    public static GuestApp of(String name, int ip, BiConsumer<String, Counters> counters) {
        return switch (name) {
            case "macswap" -> ctx -> register(ctx, new MacSwapFwd(ctx.vnic(), 0, ctx.vnic(), 0, 32), counters);
            case "mac" -> ctx -> register(ctx, new MacFwd(ctx.vnic(), 0, ctx.vnic(), 0, 32, Tester.MAC), counters);
            case "io" -> ctx -> register(ctx, new IoFwd(ctx.vnic(), 0, ctx.vnic(), 0, 32), counters);
            case "rxonly" -> ctx -> register(ctx, new RxOnlyFwd(ctx.vnic(), 0, 32), counters);
            case "txonly" -> ctx -> register(ctx, new TxOnlyFwd(ctx.vnic(), 0, ctx.pool(), 32, 60, 1, 0, Tester.MAC,
                    ctx.clock()), counters);
            case "flowgen" -> ctx -> register(ctx, new FlowGenFwd(ctx.vnic(), 0, ctx.vnic(), 0, ctx.pool(), 32, 60, 1024,
                    Tester.MAC, ctx.clock()), counters);
            case "echo" -> ctx -> {
                EchoResponder e = new EchoResponder(ctx.vnic(), ip, 32);
                ctx.component().addDrops(ctx.vmName() + "-echo", e.counters(), EchoResponder.IGNORED,
                        EchoResponder.TX_FULL);
                counters.accept(ctx.vmName(), e.counters());
                return e;
            };
            case "hostile" -> ctx -> {
                Hostile h = new Hostile(ctx.vnic(), ctx.pool(), Tester.MAC);
                ctx.component().addDrops(ctx.vmName() + "-hostile", h.counters(), 2);
                counters.accept(ctx.vmName(), h.counters());
                return h;
            };
            default -> throw new IllegalArgumentException("unknown app '" + name + "' (expected "
                    + String.join(", ", NAMES) + ")");
        };
    }

    private static Agent register(GuestApp.Context ctx, FwdEngine f, BiConsumer<String, Counters> counters) {
        ctx.component().addDrops(ctx.vmName() + "-app", f.counters(), FwdEngine.FWD_DROPPED, FwdEngine.TX_NOMBUF);
        counters.accept(ctx.vmName(), f.counters());
        return f;
    }

    /**
     * True for apps that send what they receive back to the tester (macswap, mac, echo); io keeps
     * the destination MAC, so its frames return to the VM itself.
     */
    public static boolean reflects(String app) {
        return app.equals("macswap") || app.equals("mac") || app.equals("echo");
    }

    /** A default address for VM number {@code i}: 198.18.1.(i + 10). */
    public static int defaultIp(int i) {
        return Net.parseIpv4("198.18.1.0") + 10 + i;
    }
}
