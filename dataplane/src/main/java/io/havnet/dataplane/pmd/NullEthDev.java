package io.havnet.dataplane.pmd;

import io.havnet.dataplane.ethdev.DevInfo;
import io.havnet.dataplane.ethdev.EthDev;
import io.havnet.dataplane.ethdev.LinkStatus;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.mbuf.MbufDescriptor;
import io.havnet.dataplane.memory.OffHeap;
import io.havnet.dataplane.mempool.Mempool;
import io.havnet.dataplane.net.MacAddress;
import io.havnet.dataplane.stats.Counters;

import java.lang.foreign.MemorySegment;

/**
 * The {@code null} PMD ({@code net_null}): RX makes frames out of thin air — {@code n} fresh
 * mbufs of the configured size, optionally filled from a template frame — and TX frees whatever
 * it is given. The ideal peer for benchmarks: it costs what an mbuf allocation or free costs.
 */
public final class NullEthDev extends EthDev {
    private static final LinkStatus UP = LinkStatus.up(100_000);
    private static final LinkStatus DOWN = LinkStatus.down(null);
    private final int packetSize;
    private final MemorySegment template;

    private NullEthDev(String name, int queues, int packetSize, byte[] template) {
        super(name, new DevInfo("net_null", queues, queues, 0, 0, 65535, 1, 1 << 16), MacAddress.local(0x4E554C4CL));
        if (template != null && template.length != packetSize) {
            throw new IllegalArgumentException("null PMD " + name + ": template is " + template.length
                    + " bytes, packet size is " + packetSize);
        }
        if (packetSize < 1 || packetSize > 65535) {
            throw new IllegalArgumentException("null PMD " + name + ": packet size " + packetSize + " out of range");
        }
        this.packetSize = packetSize;
        this.template = template == null ? null : OffHeap.copyOf(template);
    }

    /** Frames of {@code packetSize} bytes with undefined contents (DPDK's default, no copy). */
    public static NullEthDev create(String name, int queues, int packetSize) {
        return new NullEthDev(name, queues, packetSize, null);
    }

    /** Frames that are copies of {@code frame} (DPDK's {@code copy=1}). */
    public static NullEthDev withTemplate(String name, int queues, byte[] frame) {
        return new NullEthDev(name, queues, frame.length, frame);
    }

    public int packetSize() {
        return packetSize;
    }

    @Override
    protected void doRxQueueSetup(int q, int nbDesc, Mempool pool) {
        if (pool == null) {
            throw new IllegalArgumentException(name() + ": RX queue " + q + " needs a mempool");
        }
        int room = pool.objectSize() - MbufDescriptor.METADATA_SIZE - MbufDescriptor.HEADROOM;
        if (room < packetSize) {
            throw new IllegalArgumentException(name() + ": mbufs of " + pool.name() + " hold " + Math.max(room, 0)
                    + " bytes, frames are " + packetSize + " (net_null does not chain segments)");
        }
    }

    @Override
    public LinkStatus link() {
        return isStarted() ? UP : DOWN;
    }

    @Override
    public int rxBurst(int q, int[] pkts, int off, int n) {
        if (!isStarted() || n == 0) {
            return 0;
        }
        Counters c = rxCounters(q);
        Mempool pool = rxPool(q);
        if (Mbuf.allocBulk(pool, pkts, off, n) != n) {
            c.add(RXQ_NOMBUF, n);
            return 0;
        }
        int port = portId();
        for (int i = off; i < off + n; i++) {
            int m = pkts[i];
            if (template != null) {
                MemorySegment.copy(template, 0, Mbuf.segment(m), Mbuf.dataOffset(m), packetSize);
            }
            Mbuf.setDataLen(m, packetSize);
            Mbuf.setPktLen(m, packetSize);
            Mbuf.setPort(m, port);
        }
        c.add(RXQ_PACKETS, n);
        c.add(RXQ_BYTES, (long) n * packetSize);
        return n;
    }

    @Override
    public int txBurst(int q, int[] pkts, int off, int n) {
        if (!isStarted() || n == 0) {
            return 0;
        }
        long bytes = 0;
        for (int i = off; i < off + n; i++) {
            bytes += Mbuf.pktLen(pkts[i]);
        }
        Mbuf.freeBulk(pkts, off, n);
        Counters c = txCounters(q);
        c.add(TXQ_PACKETS, n);
        c.add(TXQ_BYTES, bytes);
        return n;
    }
}
