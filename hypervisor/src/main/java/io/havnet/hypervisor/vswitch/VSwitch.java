package io.havnet.hypervisor.vswitch;

import io.havnet.dataplane.agent.Agent;
import io.havnet.dataplane.clock.Clock;
import io.havnet.dataplane.ethdev.EthDev;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.mempool.Mempool;
import io.havnet.dataplane.net.MacAddress;
import io.havnet.dataplane.net.Net;
import io.havnet.dataplane.net.VlanTags;
import io.havnet.dataplane.stats.CounterDef;
import io.havnet.dataplane.stats.Counters;
import io.havnet.hypervisor.accounting.Component;
import io.havnet.hypervisor.virtio.VirtioNetBackend;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * The hypervisor's virtual switch — software virtualization's data path: a VLAN-aware learning
 * L2 switch between the NIC (the PF's default pool) and the VMs' virtio-net devices. Every frame
 * is looked up in the MAC table (learned from source addresses, aged out), flooded when the
 * destination is unknown or broadcast/multicast, and copied into or out of guest memory by the
 * virtio backend. Access ports carry one VLAN untagged; trunk ports carry tagged VLANs.
 *
 * <p>Ports are added and removed through {@link #addUplink}/{@link #addVirtioPort}/
 * {@link #removePort}, which publish a new port array; the switch picks it up at its next round.
 */
public final class VSwitch implements Agent {
    public static final int DROP_VLAN = 0;
    public static final int DROP_HAIRPIN = 1;
    public static final int DROP_NO_PORT = 2;
    public static final int DROP_UPLINK_FULL = 3;
    public static final int DROP_BAD_FRAME = 4;
    public static final int DROP_NO_MBUF = 5;
    public static final int DROP_SPOOF = 6;
    public static final List<CounterDef> DROPS = List.of(
            new CounterDef("vswitch_vlan_violation", "frames", "frames whose VLAN the ingress port does not carry"),
            new CounterDef("vswitch_hairpin", "frames", "frames addressed to the port they came from"),
            new CounterDef("vswitch_no_port", "frames", "frames with nowhere to go in their VLAN"),
            new CounterDef("vswitch_uplink_full", "frames", "frames the NIC queue did not take"),
            new CounterDef("vswitch_bad_frame", "frames", "frames shorter than an Ethernet header"),
            new CounterDef("vswitch_no_mbuf", "frames", "flood copies not made for lack of an mbuf"),
            new CounterDef("vswitch_spoofed", "frames", "frames from a VM whose source MAC is not the VM's (port security)"));

    private final String name;
    private volatile long replicas;
    private final Component hypervisor;
    private final Clock clock;
    private final long maxAgeNanos;
    private final Mempool pool;
    private final MacTable table = new MacTable(8192);
    private final Counters drops = new Counters(DROPS);
    private volatile SwitchPort[] ports = new SwitchPort[0];
    private final int[] in = new int[32];
    private long lastAging;
    private int nextIndex;
    private long lookups;

    /**
     * @param pool host mbufs for frames leaving guests and for flood copies
     * @param maxAgeNanos how long a learned address stays without being seen again
     */
    public VSwitch(String name, Component hypervisor, Clock clock, long maxAgeNanos, Mempool pool) {
        this.name = name;
        this.hypervisor = hypervisor;
        this.clock = clock;
        this.maxAgeNanos = maxAgeNanos;
        this.pool = pool;
        hypervisor.addDrops(name, drops);
    }

    @Override
    public String roleName() {
        return name;
    }

    public Counters drops() {
        return drops;
    }

    /** The uplink port (the first one added), or null. */
    public SwitchPort uplinkPort() {
        for (SwitchPort p : ports) {
            if (p.uplink != null) {
                return p;
            }
        }
        return null;
    }

    /** Adds the NIC uplink as a trunk carrying every VLAN. */
    public synchronized SwitchPort addUplink(String portName, EthDev dev) {
        return add(new SwitchPort(nextIndex++, portName, dev, null, -1, null));
    }

    /**
     * Adds a VM's virtio-net device as an access port of {@code vid} (0: untagged LAN). The VM's
     * own MAC is entered statically (the hypervisor knows it), so frames for a VM that has not
     * spoken yet are not flooded.
     */
    public synchronized SwitchPort addVirtioPort(String portName, VirtioNetBackend backend, int vid, long vmMac) {
        return addVirtioPort(portName, backend, vid, vmMac, false);
    }

    /**
     * Adds a VM's port; with {@code portSecurity} frames whose source MAC is not {@code vmMac} are
     * dropped and counted ({@code vswitch_spoofed}) — the vSwitch's anti-spoofing, as a VF's
     * spoofchk is the NIC's.
     */
    public synchronized SwitchPort addVirtioPort(String portName, VirtioNetBackend backend, int vid, long vmMac,
                                                 boolean portSecurity) {
        if (vid < 0 || vid > 4094) {
            throw new IllegalArgumentException("VLAN " + vid + " out of range [0, 4094]");
        }
        SwitchPort p = add(new SwitchPort(nextIndex++, portName, null, backend, vid, null));
        p.securedMac = portSecurity ? vmMac : -1;
        pendingStatic.add(new long[] {MacTable.key(vid, vmMac), p.index});
        return p;
    }

    /**
     * Enters {@code mac} in VLAN {@code vid} statically on {@code port} — for a VM the hypervisor
     * placed elsewhere (a VMDq pool, a VF): reachable through the uplink, never flooded to.
     */
    public void addStatic(SwitchPort port, int vid, long mac) {
        pendingStatic.add(new long[] {MacTable.key(vid, mac), port.index});
    }

    /** Forgets a static or learned address. */
    public void removeAddress(int vid, long mac) {
        pendingStatic.add(new long[] {MacTable.key(vid, mac), -1});
    }

    private final java.util.concurrent.ConcurrentLinkedQueue<long[]> pendingStatic =
            new java.util.concurrent.ConcurrentLinkedQueue<>();

    /** Adds a VM's virtio-net device as a trunk of {@code vids}. */
    public synchronized SwitchPort addVirtioTrunk(String portName, VirtioNetBackend backend, BitSet vids) {
        return add(new SwitchPort(nextIndex++, portName, null, backend, -1, (BitSet) vids.clone()));
    }

    private SwitchPort add(SwitchPort p) {
        SwitchPort[] old = ports;
        SwitchPort[] n = java.util.Arrays.copyOf(old, old.length + 1);
        n[old.length] = p;
        ports = n;
        return p;
    }

    /** Removes a port; its learned addresses go at the next round. */
    public synchronized void removePort(SwitchPort p) {
        p.removed = true;
        List<SwitchPort> l = new ArrayList<>(List.of(ports));
        l.remove(p);
        ports = l.toArray(new SwitchPort[0]);
        pendingForget = p.index;
    }

    private volatile int pendingForget = -1;

    public List<SwitchPort> ports() {
        return List.of(ports);
    }

    /**
     * Frames the switch made out of others by flooding: every port beyond the first a flooded frame
     * goes to (a copy that could not be made counts here and in {@code vswitch_no_mbuf}). With these,
     * frames in + replicas = frames delivered + frames dropped.
     */
    public long replicas() {
        return replicas;
    }

    /** Learned addresses now. */
    public int learned() {
        return table.size();
    }

    /** The port (vid, mac) was learned on, or -1. */
    public int portOf(int vid, MacAddress mac) {
        return table.lookup(MacTable.key(vid, mac.value()), clock.nanoTime(), maxAgeNanos);
    }

    @Override
    public int doWork() {
        SwitchPort[] ps = ports;
        long[] st;
        while ((st = pendingStatic.poll()) != null) {
            if (st[1] < 0) {
                table.remove(st[0]);
            } else {
                table.learnStatic(st[0], (int) st[1]);
            }
        }
        // the clock is read when there is something to time: frames, a port to forget, and on
        // every 64th idle call for aging (an idle switch polls its ports at the round's rate)
        long now = NO_TIME;
        int forget = pendingForget;
        if (forget >= 0) {
            pendingForget = -1;
            now = clock.nanoTime();
            table.expire(now, maxAgeNanos, forget);
        }
        int work = 0;
        long lookups0 = lookups;
        long floods0 = floodCopies;
        for (SwitchPort p : ps) {
            int n = p.receive(in, in.length, pool);
            if (n > 0 && now == NO_TIME) {
                now = clock.nanoTime();
            }
            for (int i = 0; i < n; i++) {
                forward(ps, p, in[i], now);
            }
            work += n;
        }
        for (SwitchPort p : ps) {
            int lost = p.flush();
            if (lost > 0) {
                drops.add(DROP_UPLINK_FULL, lost);
            }
        }
        if (now == NO_TIME && (++idleCalls & 63) == 0) {
            now = clock.nanoTime();
        }
        if (now != NO_TIME && now - lastAging > maxAgeNanos) {
            lastAging = now;
            table.expire(now, maxAgeNanos, -1);
        }
        if (work > 0) {
            // what the ports' virtio backends copied since the switch last looked at each port
            // (a removed port takes its counts with it)
            long copied = 0;
            long copies = 0;
            for (SwitchPort p : ps) {
                if (p.virtio != null) {
                    long b = p.virtio.rxCopiedBytes() + p.virtio.txCopiedBytes();
                    long f = p.virtio.rxFrames() + p.virtio.txFrames();
                    copied += b - p.copiedBytesSeen;
                    copies += f - p.copiesSeen;
                    p.copiedBytesSeen = b;
                    p.copiesSeen = f;
                }
            }
            Counters hc = hypervisor.counters();
            hc.addAtomic(Component.FRAMES, work);
            hc.addAtomic(Component.LOOKUPS, lookups - lookups0);
            hc.addAtomic(Component.BYTES_COPIED, copied + floodBytes);
            hc.addAtomic(Component.COPIES, copies + floodCopies - floods0);
            floodBytes = 0;
        }
        return work;
    }

    private static final long NO_TIME = Long.MIN_VALUE;
    private int idleCalls;
    private long floodCopies;
    private long floodBytes;

    private void forward(SwitchPort[] ps, SwitchPort inPort, int m, long now) {
        if (Mbuf.dataLen(m) < Net.ETHER_HDR_LEN) {
            Mbuf.free(m);
            drops.add(DROP_BAD_FRAME, 1);
            return;
        }
        int tci = VlanTags.strip(m);
        int vid;
        if (inPort.trunk()) {
            vid = tci < 0 ? 0 : tci & 0xFFF;
        } else {
            vid = tci < 0 ? inPort.accessVid : -1; // a tagged frame on an access port is a violation
        }
        if (vid < 0 || !inPort.carries(vid)) {
            Mbuf.free(m);
            drops.add(DROP_VLAN, 1);
            return;
        }
        MemorySegment s = Mbuf.segment(m);
        long off = Mbuf.dataOffset(m);
        long dst = (long) Short.toUnsignedInt(s.get(Net.BE16, off)) << 32 | Integer.toUnsignedLong(s.get(Net.BE32, off + 2));
        long src = (long) Short.toUnsignedInt(s.get(Net.BE16, off + 6)) << 32
                | Integer.toUnsignedLong(s.get(Net.BE32, off + 8));
        if (inPort.securedMac >= 0 && src != inPort.securedMac) {
            Mbuf.free(m);
            drops.add(DROP_SPOOF, 1);
            return;
        }
        lookups++;
        if (!MacAddress.isMulticast(src)) {
            table.learn(MacTable.key(vid, src), inPort.index, now);
        }
        if (!MacAddress.isMulticast(dst)) {
            int out = table.lookup(MacTable.key(vid, dst), now, maxAgeNanos);
            if (out >= 0) {
                if (out == inPort.index) {
                    Mbuf.free(m);
                    drops.add(DROP_HAIRPIN, 1);
                    return;
                }
                SwitchPort p = byIndex(ps, out);
                if (p != null && p.carries(vid)) {
                    send(p, m, vid);
                    return;
                }
            }
        }
        flood(ps, inPort, m, vid);
    }

    private static SwitchPort byIndex(SwitchPort[] ps, int index) {
        for (SwitchPort p : ps) {
            if (p.index == index) {
                return p;
            }
        }
        return null;
    }

    private void flood(SwitchPort[] ps, SwitchPort inPort, int m, int vid) {
        SwitchPort last = null;
        for (SwitchPort p : ps) {
            if (p == inPort || !p.carries(vid)) {
                continue;
            }
            if (last != null) {
                replicas++; // a frame becomes one more frame, whether or not the copy can be made
                int c = Mbuf.copy(m, pool);
                if (c == Mbuf.NONE) {
                    drops.add(DROP_NO_MBUF, 1);
                } else {
                    floodCopies++;
                    floodBytes += Mbuf.pktLen(c);
                    send(last, c, vid);
                }
            }
            last = p;
        }
        if (last == null) {
            Mbuf.free(m);
            drops.add(DROP_NO_PORT, 1);
        } else {
            send(last, m, vid);
        }
    }

    private void send(SwitchPort p, int m, int vid) {
        if (p.trunk() && vid != 0 && !VlanTags.insert(m, Net.ETHER_TYPE_VLAN, vid)) {
            Mbuf.free(m);
            drops.add(DROP_VLAN, 1);
            return;
        }
        p.out[p.outCount++] = m;
        if (p.outCount == p.out.length) {
            int lost = p.flush();
            if (lost > 0) {
                drops.add(DROP_UPLINK_FULL, lost);
            }
        }
    }
}
