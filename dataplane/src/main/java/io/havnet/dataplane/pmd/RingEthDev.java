package io.havnet.dataplane.pmd;

import io.havnet.dataplane.ethdev.DevInfo;
import io.havnet.dataplane.ethdev.EthDev;
import io.havnet.dataplane.ethdev.LinkStatus;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.mbuf.MbufDescriptor;
import io.havnet.dataplane.mempool.Mempool;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import io.havnet.dataplane.net.MacAddress;
import io.havnet.dataplane.ring.Ring;
import io.havnet.dataplane.ring.SpscRing;
import io.havnet.dataplane.stats.Counters;

/**
 * The {@code ring} PMD ({@code net_ring}, {@code rte_eth_from_rings}): a port whose RX queues
 * dequeue from rings and whose TX queues enqueue to rings. Two ports joined by rings are an
 * in-memory wire ({@link #pair}); mbufs cross it without a copy.
 */
public final class RingEthDev extends EthDev {
    private static final LinkStatus UP = LinkStatus.up(10_000);
    private static final LinkStatus DOWN = LinkStatus.down(null);
    private final Ring[] rx;
    private final Ring[] tx;

    private RingEthDev(String name, Ring[] rx, Ring[] tx, MacAddress mac) {
        super(name, new DevInfo("net_ring", rx.length, tx.length, 0, 0, 65535 - 4, 1, 1 << 30), mac);
        this.rx = rx.clone();
        this.tx = tx.clone();
    }

    /** A port over existing rings: RX queue i reads {@code rx[i]}, TX queue i writes {@code tx[i]}. */
    public static RingEthDev fromRings(String name, Ring[] rx, Ring[] tx, MacAddress mac) {
        return new RingEthDev(name, rx, tx, mac);
    }

    /**
     * Two ports wired back to back with {@code queues} SPSC rings each way of {@code ringSize}:
     * what {@code a} sends on queue i, {@code b} receives on queue i, and vice versa. Both are
     * configured with {@code queues} queue pairs and started.
     */
    public static RingEthDev[] pair(String a, String b, int queues, int ringSize) {
        Ring[] ab = new Ring[queues];
        Ring[] ba = new Ring[queues];
        for (int q = 0; q < queues; q++) {
            ab[q] = new SpscRing(a + "->" + b + "." + q, ringSize);
            ba[q] = new SpscRing(b + "->" + a + "." + q, ringSize);
        }
        RingEthDev pa = new RingEthDev(a, ba, ab, MacAddress.local(0xA0_0000L + a.hashCode() & 0xFFFFFF));
        RingEthDev pb = new RingEthDev(b, ab, ba, MacAddress.local(0xB0_0000L + b.hashCode() & 0xFFFFFF));
        for (RingEthDev p : new RingEthDev[] {pa, pb}) {
            p.configure(queues, queues, io.havnet.dataplane.ethdev.EthConf.defaults());
            for (int q = 0; q < queues; q++) {
                p.rxQueueSetup(q, ringSize, null);
                p.txQueueSetup(q, ringSize);
            }
            p.start();
        }
        return new RingEthDev[] {pa, pb};
    }

    /** The ring behind RX queue {@code q}. */
    public Ring rxRing(int q) {
        return rx[q];
    }

    /** The ring behind TX queue {@code q}. */
    public Ring txRing(int q) {
        return tx[q];
    }

    @Override
    public LinkStatus link() {
        return isStarted() ? UP : DOWN;
    }

    @Override
    public int rxBurst(int q, int[] pkts, int off, int n) {
        if (!isStarted()) {
            return 0;
        }
        int k = rx[q].dequeueBurst(pkts, off, n);
        if (k > 0) {
            long bytes = 0;
            int port = portId();
            for (int i = off; i < off + k; i++) {
                int m = pkts[i];
                Mempool p = Mempool.ofHandle(m);
                MemorySegment s = p.segment();
                long b = p.offset(m);
                bytes += s.get(ValueLayout.JAVA_INT_UNALIGNED, b + MbufDescriptor.PKT_LEN);
                s.set(ValueLayout.JAVA_SHORT_UNALIGNED, b + MbufDescriptor.PORT, (short) port);
            }
            Counters c = rxCounters(q);
            c.add(RXQ_PACKETS, k);
            c.add(RXQ_BYTES, bytes);
        }
        return k;
    }

    @Override
    public int txBurst(int q, int[] pkts, int off, int n) {
        if (!isStarted() || n == 0) {
            return 0;
        }
        // read lengths before the handles cross: the receiver may free them at once
        long bytes = 0;
        for (int i = off; i < off + n; i++) {
            bytes += Mbuf.pktLen(pkts[i]);
        }
        int k = tx[q].enqueueBurst(pkts, off, n);
        for (int i = off + k; i < off + n; i++) {
            bytes -= Mbuf.pktLen(pkts[i]);
        }
        if (k > 0) {
            Counters c = txCounters(q);
            c.add(TXQ_PACKETS, k);
            c.add(TXQ_BYTES, bytes);
        }
        return k;
    }
}
