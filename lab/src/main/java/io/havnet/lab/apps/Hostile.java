package io.havnet.lab.apps;

import io.havnet.dataplane.agent.Agent;
import io.havnet.dataplane.ethdev.EthDev;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.mempool.Mempool;
import io.havnet.dataplane.net.Net;
import io.havnet.dataplane.stats.CounterDef;
import io.havnet.dataplane.stats.Counters;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * {@code hostile}: a guest that misbehaves on purpose, for soak runs and isolation checks. Every
 * round it sends a burst of frames that the host must refuse — a forged source MAC (the address of
 * the far end of the wire, or random ones), VLAN tags it was not given, forged runts — and it
 * drops whatever it receives. Nothing it
 * sends may reach the wire or another VM; the host counts every one.
 */
public final class Hostile implements Agent {
    public static final List<CounterDef> COUNTERS = List.of(
            new CounterDef("forged_sent", "frames", "forged frames the vNIC took"),
            new CounterDef("forged_refused", "frames", "forged frames the vNIC did not take (freed)"),
            new CounterDef("hostile_discarded", "frames", "frames the hostile guest received and threw away"));
    private final EthDev vnic;
    private final Mempool pool;
    private final long victim;
    private final int[] b = new int[16];
    private final Counters counters = new Counters(COUNTERS);
    private long n;

    public Hostile(EthDev vnic, Mempool pool, long victimMac) {
        this.vnic = vnic;
        this.pool = pool;
        this.victim = victimMac;
    }

    public Counters counters() {
        return counters;
    }

    @Override
    public String roleName() {
        return "hostile";
    }

    @Override
    public int doWork() {
        int r = vnic.rxBurst(0, b, 0, b.length);
        Mbuf.freeBulk(b, 0, r);
        counters.add(2, r);
        int k = Mbuf.allocBulk(pool, b, 0, 8);
        for (int i = 0; i < k; i++) {
            int m = b[i];
            n++;
            int kind = (int) (n % 4);
            int len = kind == 3 ? 20 : 60; // a runt, and forged too
            long off = Mbuf.append(m, len);
            MemorySegment s = Mbuf.segment(m);
            s.asSlice(off, len).fill((byte) 0);
            long src = switch (kind) {
                case 0 -> victim;                            // another VM's address
                case 1, 3 -> 0x02BAD0000000L | (n & 0xFFFFFF);  // a random one
                default -> vnic.macAddress().value();           // its own, with a VLAN tag it may not use
            };
            s.set(Net.BE64, off, 0xFFFFFFFFFFFFL << 16 | src >>> 32);
            s.set(Net.BE32, off + 8, (int) src);
            s.set(Net.BE16, off + 12, (short) (kind == 2 ? Net.ETHER_TYPE_VLAN : Net.ETHER_TYPE_IPV4));
            if (kind == 2 && len >= 18) {
                s.set(Net.BE16, off + 14, (short) 4000);
            }
        }
        int sent = vnic.txBurst(0, b, 0, k);
        counters.add(0, sent);
        if (sent < k) {
            Mbuf.freeBulk(b, sent, k - sent);
            counters.add(1, k - sent);
        }
        return r + k;
    }
}
