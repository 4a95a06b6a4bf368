package io.havnet.nfv.fwd;

import io.havnet.dataplane.agent.Agent;
import io.havnet.dataplane.ethdev.EthDev;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.stats.CounterDef;
import io.havnet.dataplane.stats.Counters;

import java.util.List;

/**
 * A testpmd forwarding stream as an agent: each {@link #doWork()} receives one burst from
 * (rx port, rx queue), processes it the way the mode says, and sends it to (tx port, tx queue).
 * Frames the TX queue does not take are freed and counted in {@code fwd_dropped}; nothing is
 * lost without a count, no mbuf is leaked.
 */
public abstract class FwdEngine implements Agent {
    public static final int RX_PACKETS = 0;
    public static final int TX_PACKETS = 1;
    public static final int FWD_DROPPED = 2;
    public static final int TX_NOMBUF = 3;

    public static final List<CounterDef> COUNTERS = List.of(
            new CounterDef("rx_packets", "frames", "frames received by the stream"),
            new CounterDef("tx_packets", "frames", "frames the TX queue took"),
            new CounterDef("fwd_dropped", "frames", "frames freed because the TX queue was full"),
            new CounterDef("tx_nombuf", "frames", "frames not generated for lack of an mbuf"));

    protected final EthDev rxPort;
    protected final int rxQueue;
    protected final EthDev txPort;
    protected final int txQueue;
    protected final int burst;
    protected final int[] pkts;
    protected final Counters counters;
    /** What {@link Mbuf#prefetch} loaded in modes that read every frame; kept so the loads stay. */
    protected int touched;

    protected FwdEngine(EthDev rxPort, int rxQueue, EthDev txPort, int txQueue, int burst) {
        this(rxPort, rxQueue, txPort, txQueue, burst, null);
    }

    FwdEngine(EthDev rxPort, int rxQueue, EthDev txPort, int txQueue, int burst, Counters shared) {
        this.counters = shared != null ? shared : new Counters(COUNTERS);
        if (burst < 1 || burst > 512) {
            throw new IllegalArgumentException("burst " + burst + " out of range [1, 512]");
        }
        this.rxPort = rxPort;
        this.rxQueue = rxQueue;
        this.txPort = txPort;
        this.txQueue = txQueue;
        this.burst = burst;
        this.pkts = new int[burst];
    }

    /** The stream's counters ({@link #COUNTERS}). */
    public Counters counters() {
        return counters;
    }

    /** Sends {@code pkts[0..n)}; frees and counts what the queue refused. Returns frames sent. */
    protected final int send(int n) {
        if (n == 0) {
            return 0;
        }
        int sent = txPort.txBurst(txQueue, pkts, 0, n);
        counters.add(TX_PACKETS, sent);
        if (sent < n) {
            Mbuf.freeBulk(pkts, sent, n - sent);
            counters.add(FWD_DROPPED, n - sent);
        }
        return sent;
    }

    /** Receives a burst into {@link #pkts}; returns how many. */
    protected final int receive() {
        int n = rxPort.rxBurst(rxQueue, pkts, 0, burst);
        if (n > 0) {
            counters.add(RX_PACKETS, n);
        }
        return n;
    }

    @Override
    public String roleName() {
        return mode() + "-fwd " + rxPort.name() + ":" + rxQueue + "->" + (txPort == null ? "-" : txPort.name() + ":" + txQueue);
    }

    /** The testpmd mode name. */
    public abstract String mode();
}
