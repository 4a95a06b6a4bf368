package io.havnet.lab.traffic;

import io.havnet.dataplane.agent.Agent;
import io.havnet.dataplane.clock.Clock;
import io.havnet.dataplane.ethdev.EthDev;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.memory.OffHeap;
import io.havnet.dataplane.mempool.Mempool;
import io.havnet.dataplane.net.EthernetFlyweight;
import io.havnet.dataplane.net.Ipv4Flyweight;
import io.havnet.dataplane.net.Net;
import io.havnet.dataplane.net.PacketBuilder;
import io.havnet.dataplane.net.UdpFlyweight;
import io.havnet.lab.scenario.Scenario.FrameSize;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What stands at the far end of the wire: a traffic generator and sink. It sends probe frames
 * (Ethernet/IPv4/UDP carrying a magic, the target's index and a send timestamp) to the VMs under
 * test and, when a probe comes back, records its round-trip latency in an HdrHistogram.
 * <ul>
 *   <li>closed loop (rate 0): {@code inFlight} probes per target circulate — each returning probe
 *       is re-addressed to its target, re-stamped and sent again;</li>
 *   <li>open loop (rate &gt; 0): new probes at the given rate, round-robin over the targets;</li>
 *   <li>drain: nothing more is sent; returning probes are counted and freed.</li>
 * </ul>
 * The controlling thread calls {@link #start}/{@link #drain}; the tester's own thread (its
 * lcore) does all packet work. {@code offered} counts probes the wire took; {@code delivered}
 * probes that came back.
 */
public final class Tester implements Agent {
    public static final long MAC = 0x02AA00000001L;
    public static final int IP = Net.parseIpv4("198.18.0.1");
    public static final int MAGIC = 0x48564E54; // "HVNT"
    static final int PAYLOAD = 42;
    static final int P_MAGIC = PAYLOAD;
    static final int P_TARGET = PAYLOAD + 4;
    static final int P_TS = PAYLOAD + 8;
    private static final int[] IMIX = {64, 64, 576, 64, 64, 576, 64, 1518, 64, 576, 64, 576};

    /** A VM under test: its MAC and IPv4 address. */
    public record Target(long mac, int ip) {}

    private record Plan(List<Target> targets, FrameSize size, int inFlight, long ratePps, int flows,
                        MemorySegment[][] templates) {}

    private final EthDev port;
    private final Mempool pool;
    private final Clock clock;
    private final int[] rx = new int[64];
    private final int[] tx = new int[256];
    private int txCount;
    /** Longest latency told apart: a minute (longer ones are recorded as a minute). */
    public static final long MAX_LATENCY_NS = 60_000_000_000L;
    // A fixed range: an auto-resizing recorder grows by catching an ArrayIndexOutOfBoundsException
    // on the tester's lcore whenever a latency exceeds the range so far — an exception, a
    // deoptimization of this agent and a copy of the counts, in the middle of the data path.
    private final Recorder latency = new Recorder(1, MAX_LATENCY_NS, 3);
    private final AtomicLong offered = new AtomicLong();
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong deliveredBytes = new AtomicLong();
    private final AtomicLong foreign = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private volatile Plan plan;
    // 0 idle, 1 prime pending, 2 running, 3 drain asked, 4 draining (the tester has seen the ask and
    // sends nothing more: only then are offered() final and the drain checks meaningful)
    private final AtomicInteger state = new AtomicInteger();
    private static final int PRIME = 1, RUNNING = 2, DRAIN_ASKED = 3, DRAINING = 4;
    private volatile long lastRx;
    private volatile long slowest;        // the longest round trip since start (written by the tester only)
    private volatile int quietPolls;      // polls without a probe since draining began (written while draining only)
    private static final int QUIET_POLLS = 64;
    private volatile long drainTaken;     // when the tester took the last drain
    private volatile long sessionStart;   // when start() began this session (the probes' clock)
    private volatile long offeredAtStart;
    private final AtomicLong sessionDelivered = new AtomicLong(); // this session's probes back
    private final EthernetFlyweight eth = new EthernetFlyweight();
    private long openNext;
    private int openTarget;
    private int openSeq;

    public Tester(EthDev port, Mempool pool, Clock clock) {
        this.port = port;
        this.pool = pool;
        this.clock = clock;
    }

    @Override
    public String roleName() {
        return "tester";
    }

    /** Starts offering traffic to {@code targets} (called from the controlling thread). */
    public void start(List<Target> targets, FrameSize size, int inFlight, long ratePps, int flows) {
        plan = new Plan(List.copyOf(targets), size, inFlight, ratePps, flows, templates(targets, size));
        slowest = 0;
        // a probe of an earlier session that comes back late (its time stamp is older) is counted
        // as delivered, but not as one of this session's
        sessionStart = clock.nanoTime();
        sessionDelivered.set(0);
        offeredAtStart = offered.get();
        state.set(PRIME);
    }

    /** The longest round trip of a probe since {@link #start}, in nanoseconds (0 before the first is back). */
    public long slowestRoundTrip() {
        return slowest;
    }

    /** Stops sending; returning probes are still counted. */
    public void drain() {
        quietPolls = 0;
        state.set(DRAIN_ASKED);
    }

    /**
     * True once draining and no probe has come back for {@code quietNanos}, counted from the later of
     * the last probe and the moment the tester took the drain, while it went on polling.
     */
    public boolean drained(long quietNanos) {
        // quiet in time and in polls: a tester starved of CPU (an oversubscribed machine) has not
        // looked, so time alone does not prove that nothing is coming
        return state.get() == DRAINING && clock.nanoTime() - Math.max(lastRx, drainTaken) > quietNanos
                && quietPolls >= QUIET_POLLS;
    }

    /**
     * True once draining and every probe sent since {@link #start} has come back: nothing is left
     * to wait for. (When
     * some were dropped this stays false; {@link #drained(long)} then ends the wait.)
     */
    public boolean allReturned() {
        return state.get() == DRAINING && sessionDelivered.get() == offered.get() - offeredAtStart;
    }

    public long offered() {
        return offered.get();
    }

    /** This session's probes not back (yet): sent since {@link #start} and not returned. */
    public long outstanding() {
        return Math.max(0, offered.get() - offeredAtStart - sessionDelivered.get());
    }

    public long delivered() {
        return delivered.get();
    }

    /** Bytes of the probes that came back, FCS included. */
    public long deliveredBytes() {
        return deliveredBytes.get();
    }

    /** Frames that came back but were not probes (a VM's own traffic, broadcasts). */
    public long foreign() {
        return foreign.get();
    }

    /** Latencies (ns) recorded since the last call. */
    public Histogram takeLatency() {
        return latency.getIntervalHistogram();
    }

    @Override
    public int doWork() {
        int work = 0;
        int probes = 0;
        // one reading of the state per round: a drain asked during this round is taken at the next,
        // after this round's frames went out, so nothing is sent once DRAINING is visible
        int st = state.get();
        if (st == DRAIN_ASKED && state.compareAndSet(DRAIN_ASKED, DRAINING)) {
            st = DRAINING;
            drainTaken = clock.nanoTime();
        }
        int n = port.rxBurst(0, rx, 0, rx.length);
        if (n > 0) {
            long now = clock.nanoTime();
            boolean resend = st == RUNNING && plan != null && plan.ratePps() == 0;
            Plan p = plan;
            long since = sessionStart;
            long slow = slowest;
            int ofSession = 0;
            int others = 0;
            long bytes = 0;
            for (int i = 0; i < n; i++) {
                int m = rx[i];
                MemorySegment s = Mbuf.segment(m);
                long off = Mbuf.dataOffset(m);
                if (Mbuf.dataLen(m) >= P_TS + 8 && s.get(Net.BE32, off + P_MAGIC) == MAGIC) {
                    long ts = s.get(ValueLayout.JAVA_LONG_UNALIGNED, off + P_TS);
                    long lat = now - ts;
                    if (lat > 0) {
                        latency.recordValue(Math.min(lat, MAX_LATENCY_NS));
                        slow = Math.max(slow, lat);
                    }
                    probes++;
                    if (ts >= since) {
                        ofSession++;
                    }
                    bytes += Mbuf.pktLen(m) + Net.ETHER_CRC_LEN;
                    int target = Short.toUnsignedInt(s.get(Net.BE16, off + P_TARGET));
                    if (resend && target < p.targets().size()) {
                        Target tg = p.targets().get(target);
                        eth.wrap(s, off).dst(tg.mac()).src(MAC);
                        // an echo guest swapped the addresses back; the pair is the same, so the IPv4 checksum holds
                        s.set(Net.BE32, off + 26, IP);
                        s.set(Net.BE32, off + 30, tg.ip());
                        s.set(ValueLayout.JAVA_LONG_UNALIGNED, off + P_TS, now);
                        queue(m);
                        continue;
                    }
                } else {
                    others++;
                }
                Mbuf.free(m);
            }
            // the shared counters move once per burst, not once per frame
            if (others > 0) {
                foreign.addAndGet(others);
            }
            if (probes > 0) {
                delivered.addAndGet(probes);
                sessionDelivered.addAndGet(ofSession);
                deliveredBytes.addAndGet(bytes);
                if (slow > slowest) {
                    slowest = slow;
                }
                lastRx = now; // probes only: a guest's own stream (txonly, flowgen) does not keep a drain waiting
            }
            work += n;
        }
        if (st == DRAINING) {
            quietPolls = probes > 0 ? 0 : quietPolls + 1;
        }
        if (st == PRIME) {
            prime(plan);
            // a drain asked meanwhile wins: it is taken at the next round
            state.compareAndSet(PRIME, RUNNING);
            work++;
        } else if (st == RUNNING && plan.ratePps() > 0) {
            work += openLoop(plan);
        }
        flush();
        return work;
    }

    private void queue(int m) {
        tx[txCount++] = m;
        if (txCount == tx.length) {
            flush();
        }
    }

    private void flush() {
        if (txCount == 0) {
            return;
        }
        int sent = port.txBurst(0, tx, 0, txCount);
        offered.addAndGet(sent);
        if (sent < txCount) {
            Mbuf.freeBulk(tx, sent, txCount - sent);
            refused.addAndGet(txCount - sent);
        }
        txCount = 0;
    }

    private void prime(Plan p) {
        openNext = clock.nanoTime();
        if (p.ratePps() > 0) {
            return;
        }
        int seq = 0;
        for (int k = 0; k < p.inFlight(); k++) {
            for (int t = 0; t < p.targets().size(); t++) {
                int m = probe(p, t, seq++);
                if (m == Mbuf.NONE) {
                    return;
                }
                queue(m);
            }
        }
    }

    private int openLoop(Plan p) {
        long now = clock.nanoTime();
        long interval = Math.max(1, 1_000_000_000L / p.ratePps());
        int made = 0;
        while (openNext <= now && made < 64) {
            int m = probe(p, openTarget, openSeq++);
            if (m == Mbuf.NONE) {
                break;
            }
            openTarget = (openTarget + 1) % p.targets().size();
            queue(m);
            openNext += interval;
            made++;
        }
        if (now - openNext > 100_000_000L) {
            openNext = now; // do not try to catch up more than 100 ms
        }
        return made;
    }

    /**
     * The probes, built once per target and size (off-heap, so a probe is one copy): Ethernet,
     * IPv4 with its checksum, UDP without one, the magic and the target's index. What changes per
     * probe — the UDP source port (the flow) and the timestamp — is outside the IPv4 checksum.
     */
    private static MemorySegment[][] templates(List<Target> targets, FrameSize size) {
        int[] sizes = size.imix() ? IMIX : new int[] {size.bytes()};
        MemorySegment[][] t = new MemorySegment[targets.size()][sizes.length];
        for (int i = 0; i < targets.size(); i++) {
            Target target = targets.get(i);
            for (int k = 0; k < sizes.length; k++) {
                byte[] f = PacketBuilder.ethernet(target.mac(), MAC).ipv4(IP, target.ip(), 64)
                        .udpNoChecksum(10000, 9).padTo(sizes[k] - 4).build();
                MemorySegment fs = OffHeap.copyOf(f);
                fs.set(Net.BE32, P_MAGIC, MAGIC);
                fs.set(Net.BE16, P_TARGET, (short) i);
                new Ipv4Flyweight().wrap(fs, 14).updateChecksum();
                new UdpFlyweight().wrap(fs, 34).checksum(0);
                t[i][k] = fs;
            }
        }
        return t;
    }

    /** A new probe to target {@code t}; sizes cycle through IMIX when asked, flows through UDP source ports. */
    private int probe(Plan p, int t, int seq) {
        MemorySegment[] sizes = p.templates()[t];
        MemorySegment tpl = sizes[sizes.length == 1 ? 0 : seq % sizes.length];
        int m = Mbuf.fromBytes(pool, tpl, 0, (int) tpl.byteSize());
        if (m == Mbuf.NONE) {
            return m;
        }
        MemorySegment s = Mbuf.segment(m);
        long off = Mbuf.dataOffset(m);
        s.set(Net.BE16, off + 34, (short) (10000 + seq % p.flows()));
        s.set(ValueLayout.JAVA_LONG_UNALIGNED, off + P_TS, clock.nanoTime());
        return m;
    }
}
