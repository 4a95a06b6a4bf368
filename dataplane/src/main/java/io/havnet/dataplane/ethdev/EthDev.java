package io.havnet.dataplane.ethdev;

import io.havnet.dataplane.mempool.Mempool;
import io.havnet.dataplane.net.MacAddress;
import io.havnet.dataplane.stats.CounterDef;
import io.havnet.dataplane.stats.Counters;

import java.util.List;

/**
 * An Ethernet port, as DPDK's ethdev presents one to an application: configure, set up queues,
 * start, then poll {@link #rxBurst} and feed {@link #txBurst} from one lcore per queue.
 *
 * <ul>
 *   <li>{@code rxBurst} fills the caller's array with up to {@code n} mbuf handles and returns how
 *       many; the caller owns them.</li>
 *   <li>{@code txBurst} takes up to {@code n} handles and returns how many it took; the port owns
 *       (and eventually frees) those, the caller keeps the rest — to retry or to free and count.</li>
 * </ul>
 * A guest application sees only this class: it cannot tell a ring, a pcap file, a virtio device
 * or an SR-IOV virtual function apart.
 *
 * <p>Subclasses (poll-mode drivers) implement the bursts and update the per-queue counters
 * through {@link #rxCounters(int)} and {@link #txCounters(int)} — one owner thread per queue.
 */
public abstract class EthDev implements AutoCloseable {
    /** Per-RX-queue counter slots. */
    public static final int RXQ_PACKETS = 0;
    public static final int RXQ_BYTES = 1;
    public static final int RXQ_ERRORS = 2;
    public static final int RXQ_NOMBUF = 3;
    public static final int RXQ_MISSED = 4;
    /** Per-TX-queue counter slots. */
    public static final int TXQ_PACKETS = 0;
    public static final int TXQ_BYTES = 1;
    public static final int TXQ_ERRORS = 2;

    private static final List<CounterDef> RXQ_DEFS = List.of(
            new CounterDef("packets", "frames", "frames received"),
            new CounterDef("bytes", "bytes", "bytes received"),
            new CounterDef("errors", "frames", "erroneous frames dropped"),
            new CounterDef("nombuf", "frames", "frames dropped for lack of an mbuf"),
            new CounterDef("missed", "frames", "frames dropped because the queue was full"));
    private static final List<CounterDef> TXQ_DEFS = List.of(
            new CounterDef("packets", "frames", "frames transmitted"),
            new CounterDef("bytes", "bytes", "bytes transmitted"),
            new CounterDef("errors", "frames", "frames that failed transmission"));

    /** Life cycle of a port. */
    public enum State { UNCONFIGURED, CONFIGURED, STARTED, STOPPED, CLOSED }

    private final String name;
    private final int portId;
    private final DevInfo info;
    private volatile State state = State.UNCONFIGURED;
    private EthConf conf = EthConf.defaults();
    private Counters[] rxStats = new Counters[0];
    private Counters[] txStats = new Counters[0];
    private Mempool[] rxPools = new Mempool[0];
    private int[] rxDesc = new int[0];
    private int[] txDesc = new int[0];
    private boolean[] rxReady = new boolean[0];
    private boolean[] txReady = new boolean[0];
    private MacAddress mac;
    private boolean promiscuous;
    private boolean allMulticast;
    private final Counters portErrors = new Counters(List.of(
            new CounterDef("ierrors", "frames", "received frames dropped before any queue"),
            new CounterDef("imissed", "frames", "frames dropped before any queue for lack of room")));

    protected EthDev(String name, DevInfo info, MacAddress mac) {
        this.name = name;
        this.info = info;
        this.mac = mac;
        this.portId = EthDevs.attach(this);
    }

    public final String name() {
        return name;
    }

    /** This port's id (what {@code mbuf.port} holds for frames it received). */
    public final int portId() {
        return portId;
    }

    public final DevInfo info() {
        return info;
    }

    public final State state() {
        return state;
    }

    public final EthConf conf() {
        return conf;
    }

    public final int rxQueues() {
        return rxStats.length;
    }

    public final int txQueues() {
        return txStats.length;
    }

    public MacAddress macAddress() {
        return mac;
    }

    /** Sets the port's primary MAC ({@code rte_eth_dev_default_mac_addr_set}). */
    public void setMacAddress(MacAddress m) {
        this.mac = m;
    }

    public boolean promiscuous() {
        return promiscuous;
    }

    /**
     * {@code rte_eth_promiscuous_enable/disable}: receive every unicast address. Drivers whose
     * device decides it override this, and throw when the device refuses.
     */
    public void setPromiscuous(boolean on) {
        this.promiscuous = on;
    }

    /** Whether the port receives every multicast address ({@code rte_eth_allmulticast_get}). */
    public boolean allMulticast() {
        return allMulticast;
    }

    /** {@code rte_eth_allmulticast_enable/disable}; drivers override it as {@link #setPromiscuous}. */
    public void setAllMulticast(boolean on) {
        this.allMulticast = on;
    }

    /** The port's link now. */
    public abstract LinkStatus link();

    /**
     * {@code rte_eth_dev_configure}: queue counts and offloads. Only while not started.
     *
     * @throws IllegalArgumentException naming the limit that was exceeded
     */
    public final synchronized void configure(int nbRxQueues, int nbTxQueues, EthConf c) {
        requireNot(State.STARTED, "configure");
        requireNot(State.CLOSED, "configure");
        if (nbRxQueues < 0 || nbRxQueues > info.maxRxQueues()) {
            throw new IllegalArgumentException(name + ": " + nbRxQueues + " RX queues asked, " + info.driverName()
                    + " supports at most " + info.maxRxQueues());
        }
        if (nbTxQueues < 0 || nbTxQueues > info.maxTxQueues()) {
            throw new IllegalArgumentException(name + ": " + nbTxQueues + " TX queues asked, " + info.driverName()
                    + " supports at most " + info.maxTxQueues());
        }
        long badRx = c.rxOffloads() & ~info.rxOffloadCapa();
        if (badRx != 0) {
            throw new IllegalArgumentException(name + ": RX offloads " + Offloads.rxNames(badRx) + " not supported by "
                    + info.driverName());
        }
        long badTx = c.txOffloads() & ~info.txOffloadCapa();
        if (badTx != 0) {
            throw new IllegalArgumentException(name + ": TX offloads " + Offloads.txNames(badTx) + " not supported by "
                    + info.driverName());
        }
        int badRss = c.rssHf() & ~info.flowTypeRssOffloads();
        if (badRss != 0) {
            throw new IllegalArgumentException(String.format("%s: RSS fields 0x%x not supported by %s (supported: 0x%x)",
                    name, badRss, info.driverName(), info.flowTypeRssOffloads()));
        }
        if (c.mtu() < 68 || c.mtu() + 18 > info.maxRxPktLen() + 4) {
            throw new IllegalArgumentException(name + ": MTU " + c.mtu() + " out of range [68, "
                    + (info.maxRxPktLen() - 14) + "]");
        }
        doConfigure(nbRxQueues, nbTxQueues, c);
        this.conf = c;
        rxStats = new Counters[nbRxQueues];
        txStats = new Counters[nbTxQueues];
        for (int q = 0; q < nbRxQueues; q++) {
            rxStats[q] = new Counters(RXQ_DEFS);
        }
        for (int q = 0; q < nbTxQueues; q++) {
            txStats[q] = new Counters(TXQ_DEFS);
        }
        rxPools = new Mempool[nbRxQueues];
        rxDesc = new int[nbRxQueues];
        txDesc = new int[nbTxQueues];
        rxReady = new boolean[nbRxQueues];
        txReady = new boolean[nbTxQueues];
        state = State.CONFIGURED;
    }

    /** {@code rte_eth_rx_queue_setup}: {@code nbDesc} descriptors filled from {@code pool}. */
    public final synchronized void rxQueueSetup(int q, int nbDesc, Mempool pool) {
        requireConfiguredNotStarted("rx queue setup");
        checkQueue(q, rxStats.length, "RX");
        checkDesc(nbDesc);
        doRxQueueSetup(q, nbDesc, pool);
        rxPools[q] = pool;
        rxDesc[q] = nbDesc;
        rxReady[q] = true;
    }

    /** {@code rte_eth_tx_queue_setup}. */
    public final synchronized void txQueueSetup(int q, int nbDesc) {
        requireConfiguredNotStarted("tx queue setup");
        checkQueue(q, txStats.length, "TX");
        checkDesc(nbDesc);
        doTxQueueSetup(q, nbDesc);
        txDesc[q] = nbDesc;
        txReady[q] = true;
    }

    /** Starts the port; every configured queue must have been set up. */
    public final synchronized void start() {
        if (state == State.STARTED) {
            return;
        }
        if (state != State.CONFIGURED && state != State.STOPPED) {
            throw new IllegalStateException(name + ": cannot start a port in state " + state);
        }
        for (int q = 0; q < rxReady.length; q++) {
            if (!rxReady[q]) {
                throw new IllegalStateException(name + ": RX queue " + q + " was not set up");
            }
        }
        for (int q = 0; q < txReady.length; q++) {
            if (!txReady[q]) {
                throw new IllegalStateException(name + ": TX queue " + q + " was not set up");
            }
        }
        doStart();
        state = State.STARTED;
    }

    /** Stops the port: bursts return 0 until it is started again. */
    public final synchronized void stop() {
        if (state == State.STARTED) {
            state = State.STOPPED;
            doStop();
        }
    }

    /** Stops and releases the port and its id. */
    @Override
    public final synchronized void close() {
        if (state == State.CLOSED) {
            return;
        }
        try {
            stop();
        } finally {
            // closed even when the stop failed: the port id is given back either way
            state = State.CLOSED;
            try {
                doClose();
            } finally {
                EthDevs.detach(this);
            }
        }
    }

    public final boolean isStarted() {
        return state == State.STARTED;
    }

    /**
     * Receives up to {@code n} frames from queue {@code q} into {@code pkts[off..)}.
     *
     * @return how many were received (0..n)
     */
    public abstract int rxBurst(int q, int[] pkts, int off, int n);

    /**
     * Hands up to {@code n} frames from {@code pkts[off..)} to queue {@code q}.
     *
     * @return how many the port took (0..n); the caller keeps {@code pkts[off+k..off+n)}
     */
    public abstract int txBurst(int q, int[] pkts, int off, int n);

    /** Statistics now ({@code rte_eth_stats_get}). */
    public EthStats stats() {
        Counters[] rx = rxStats;
        Counters[] tx = txStats;
        long ip = 0, ib = 0, ie = 0, nb = 0, im = 0, op = 0, ob = 0, oe = 0;
        long[] qip = new long[rx.length], qib = new long[rx.length], qop = new long[tx.length],
                qob = new long[tx.length], qe = new long[rx.length];
        for (int q = 0; q < rx.length; q++) {
            qip[q] = rx[q].get(RXQ_PACKETS);
            qib[q] = rx[q].get(RXQ_BYTES);
            qe[q] = rx[q].get(RXQ_ERRORS);
            ip += qip[q];
            ib += qib[q];
            ie += qe[q];
            nb += rx[q].get(RXQ_NOMBUF);
            im += rx[q].get(RXQ_MISSED);
        }
        for (int q = 0; q < tx.length; q++) {
            qop[q] = tx[q].get(TXQ_PACKETS);
            qob[q] = tx[q].get(TXQ_BYTES);
            op += qop[q];
            ob += qob[q];
            oe += tx[q].get(TXQ_ERRORS);
        }
        ie += portErrors.get(0);
        im += portErrors.get(1);
        return new EthStats(ip, op, ib, ob, im, ie, oe, nb, qip, qib, qop, qob, qe);
    }

    /** Zeroes the statistics ({@code rte_eth_stats_reset}); call while the queues are idle. */
    public void statsReset() {
        for (Counters c : rxStats) {
            c.reset();
        }
        for (Counters c : txStats) {
            c.reset();
        }
        portErrors.reset();
    }

    /** The counters of RX queue {@code q} (for the driver, on the queue's polling thread). */
    protected final Counters rxCounters(int q) {
        return rxStats[q];
    }

    protected final Counters txCounters(int q) {
        return txStats[q];
    }

    /** Counts a received frame dropped before any queue (multi-writer safe). */
    protected final void countPortError(long n) {
        portErrors.addAtomic(0, n);
    }

    /** Counts a frame dropped before any queue for lack of room (multi-writer safe). */
    protected final void countPortMissed(long n) {
        portErrors.addAtomic(1, n);
    }

    protected final Mempool rxPool(int q) {
        return rxPools[q];
    }

    protected final int rxDescriptors(int q) {
        return rxDesc[q];
    }

    protected final int txDescriptors(int q) {
        return txDesc[q];
    }

    // ------------------------------------------------------------ driver hooks

    protected void doConfigure(int nbRx, int nbTx, EthConf c) {}

    protected void doRxQueueSetup(int q, int nbDesc, Mempool pool) {}

    protected void doTxQueueSetup(int q, int nbDesc) {}

    protected void doStart() {}

    protected void doStop() {}

    protected void doClose() {}

    private void requireNot(State s, String what) {
        if (state == s) {
            throw new IllegalStateException(name + ": cannot " + what + " while " + s.name().toLowerCase());
        }
    }

    private void requireConfiguredNotStarted(String what) {
        if (state != State.CONFIGURED && state != State.STOPPED) {
            throw new IllegalStateException(name + ": " + what + " needs a configured, stopped port (state "
                    + state + ")");
        }
    }

    private static void checkQueue(int q, int n, String kind) {
        if (q < 0 || q >= n) {
            throw new IllegalArgumentException(kind + " queue " + q + " does not exist (configured: " + n + ")");
        }
    }

    private void checkDesc(int nbDesc) {
        if (nbDesc < info.minDesc() || nbDesc > info.maxDesc()) {
            throw new IllegalArgumentException(name + ": " + nbDesc + " descriptors out of range ["
                    + info.minDesc() + ", " + info.maxDesc() + "]");
        }
    }

    @Override
    public String toString() {
        return "port " + portId + " (" + name + ", " + info.driverName() + ", " + state.name().toLowerCase() + ")";
    }
}
