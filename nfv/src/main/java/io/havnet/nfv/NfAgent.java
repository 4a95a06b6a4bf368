package io.havnet.nfv;

import io.havnet.dataplane.agent.Agent;
import io.havnet.dataplane.ethdev.EthDev;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.net.Net;
import io.havnet.dataplane.stats.CounterDef;
import io.havnet.dataplane.stats.Counters;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * A network function as an agent: each {@link #doWork()} receives one burst from (rx port,
 * queue), runs {@link #process} on every frame, and sends what it keeps to (tx port, queue).
 * A frame is either forwarded or dropped with the counter that says why; frames the TX queue does
 * not take are freed and counted in {@code tx_full}. Nothing is lost without a count and no mbuf
 * is leaked. Counters 0-2 are common ({@code rx}, {@code tx}, {@code tx_full}); each function
 * appends its own.
 */
public abstract class NfAgent implements Agent {
    /** {@link #process} verdict: send the frame on. */
    public static final int FORWARD = -1;
    public static final int RX = 0;
    public static final int TX = 1;
    public static final int TX_FULL = 2;
    /** The first function-specific counter. */
    protected static final int FIRST = 3;

    private static final List<CounterDef> COMMON = List.of(
            new CounterDef("rx", "frames", "frames received by the function"),
            new CounterDef("tx", "frames", "frames the TX queue took"),
            new CounterDef("tx_full", "frames", "frames freed because the TX queue was full"));

    private final String role;
    private final EthDev rxPort;
    private final int rxQueue;
    private final EthDev txPort;
    private final int txQueue;
    private final int burst;
    private final int[] in;
    private final int[] out;
    protected final Counters counters;
    private final int[] dropIndexes;

    /**
     * @param own   the function's counters, appended after the common three
     * @param drops the names (among {@code own}) that count dropped frames
     */
    protected NfAgent(String role, EthDev rxPort, int rxQueue, EthDev txPort, int txQueue, int burst,
                      List<CounterDef> own, List<String> drops) {
        if (burst < 1 || burst > 512) {
            throw new IllegalArgumentException("burst " + burst + " out of range [1, 512]");
        }
        this.role = role;
        this.rxPort = rxPort;
        this.rxQueue = rxQueue;
        this.txPort = txPort;
        this.txQueue = txQueue;
        this.burst = burst;
        this.in = new int[burst];
        this.out = new int[burst];
        List<CounterDef> all = new ArrayList<>(COMMON);
        all.addAll(own);
        this.counters = new Counters(all);
        List<Integer> d = new ArrayList<>();
        d.add(TX_FULL);
        for (String name : drops) {
            int i = indexOf(all, name);
            if (i < 0) {
                throw new IllegalArgumentException("drop counter '" + name + "' is not declared");
            }
            d.add(i);
        }
        this.dropIndexes = d.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int indexOf(List<CounterDef> l, String name) {
        for (int i = 0; i < l.size(); i++) {
            if (l.get(i).name().equals(name)) {
                return i;
            }
        }
        return -1;
    }

    /** Index of the counter {@code name} in {@link #counters()}. */
    public final int counter(String name) {
        int i = indexOf(counters.defs(), name);
        if (i < 0) {
            throw new IllegalArgumentException(role + " has no counter '" + name + "'");
        }
        return i;
    }

    /** Handles one frame: returns {@link #FORWARD} or the index of the drop counter to charge. */
    protected abstract int process(int m);

    /** {@link #ipv4HeaderLength}: the frame is not untagged IPv4. */
    protected static final int NOT_IPV4_FRAME = -1;
    /** {@link #ipv4HeaderLength}: the Ethernet or IPv4 header is truncated or inconsistent. */
    protected static final int BAD_IPV4_HEADER = -2;

    /**
     * Checks the Ethernet and IPv4 headers of a frame of {@code len} bytes at {@code off}: version
     * 4, header length at least 20, total length covering the header and inside the frame. Returns
     * the IPv4 header length in bytes, or {@link #NOT_IPV4_FRAME} / {@link #BAD_IPV4_HEADER}.
     */
    protected static int ipv4HeaderLength(MemorySegment s, long off, int len) {
        if (len < Net.ETHER_HDR_LEN) {
            return BAD_IPV4_HEADER;
        }
        if (Short.toUnsignedInt(s.get(Net.BE16, off + 12)) != Net.ETHER_TYPE_IPV4) {
            return NOT_IPV4_FRAME;
        }
        if (len < Net.ETHER_HDR_LEN + Net.IPV4_MIN_HDR_LEN) {
            return BAD_IPV4_HEADER;
        }
        long ip = off + Net.ETHER_HDR_LEN;
        int vihl = s.get(Net.U8, ip) & 0xFF;
        int ihl = (vihl & 0xF) * 4;
        int total = Short.toUnsignedInt(s.get(Net.BE16, ip + 2));
        if (vihl >>> 4 != 4 || ihl < Net.IPV4_MIN_HDR_LEN || total < ihl || Net.ETHER_HDR_LEN + total > len) {
            return BAD_IPV4_HEADER;
        }
        return ihl;
    }

    @Override
    public final int doWork() {
        int n = rxPort.rxBurst(rxQueue, in, 0, burst);
        if (n == 0) {
            return idle();
        }
        counters.add(RX, n);
        int k = 0;
        for (int i = 0; i < n; i++) {
            int m = in[i];
            int v = process(m);
            if (v == FORWARD) {
                out[k++] = m;
            } else {
                counters.add(v, 1);
                Mbuf.free(m);
            }
        }
        if (k > 0) {
            int sent = txPort.txBurst(txQueue, out, 0, k);
            counters.add(TX, sent);
            if (sent < k) {
                Mbuf.freeBulk(out, sent, k - sent);
                counters.add(TX_FULL, k - sent);
            }
        }
        return n;
    }

    /** Work to do when nothing arrived (timers); returns work done. */
    protected int idle() {
        return 0;
    }

    public final Counters counters() {
        return counters;
    }

    /** The counters that count dropped frames ({@code tx_full} and the function's). */
    public final int[] dropCounters() {
        return dropIndexes.clone();
    }

    /** Frames dropped so far, all reasons. */
    public final long dropped() {
        long s = 0;
        for (int i : dropIndexes) {
            s += counters.get(i);
        }
        return s;
    }

    @Override
    public String roleName() {
        return role;
    }
}
