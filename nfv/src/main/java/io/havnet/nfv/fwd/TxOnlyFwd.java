package io.havnet.nfv.fwd;

import io.havnet.dataplane.clock.Clock;
import io.havnet.dataplane.ethdev.EthDev;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.memory.OffHeap;
import io.havnet.dataplane.mempool.Mempool;
import io.havnet.dataplane.net.Checksum;
import io.havnet.dataplane.net.Ipv4Flyweight;
import io.havnet.dataplane.net.UdpFlyweight;

import java.lang.foreign.MemorySegment;

/**
 * {@code txonly}: generates UDP frames of a fixed size from {@link TxTemplate} and sends them,
 * cycling the source IP and UDP source port over {@code flows} flows, stamping each mbuf with
 * the clock (for latency), until {@code count} frames were sent (0 = no limit).
 */
public final class TxOnlyFwd extends FwdEngine {
    private final Mempool pool;
    private final MemorySegment template;
    private final int size;
    private final int flows;
    private final long count;
    private final Clock clock;
    private final Ipv4Flyweight ip = new Ipv4Flyweight();
    private final UdpFlyweight udp = new UdpFlyweight();
    private final int baseChecksum;
    private int flow;
    private long generated;

    public TxOnlyFwd(EthDev tx, int txq, Mempool pool, int burst, int size, int flows, long count, long dstMac,
                     Clock clock) {
        this(tx, txq, pool, burst, size, flows, count, dstMac, clock, null);
    }

    /** A generator that counts into {@code shared} (flowgen's counters) when not null. */
    TxOnlyFwd(EthDev tx, int txq, Mempool pool, int burst, int size, int flows, long count, long dstMac,
              Clock clock, io.havnet.dataplane.stats.Counters shared) {
        super(null, 0, tx, txq, burst, shared);
        if (flows < 1 || flows > 65536) {
            throw new IllegalArgumentException("flows " + flows + " out of range [1, 65536]");
        }
        if (count < 0) {
            throw new IllegalArgumentException("count must be >= 0, got " + count);
        }
        this.pool = pool;
        this.size = size;
        this.flows = flows;
        this.count = count;
        this.clock = clock;
        byte[] t = TxTemplate.udp(size, tx.macAddress().value(), dstMac);
        this.template = OffHeap.copyOf(t);
        this.baseChecksum = new Ipv4Flyweight().wrap(template, TxTemplate.L3).checksum();
    }

    @Override
    public int doWork() {
        int n = burst;
        if (count > 0) {
            long left = count - generated;
            if (left <= 0) {
                return 0;
            }
            n = (int) Math.min(n, left);
        }
        if (Mbuf.allocBulk(pool, pkts, 0, n) != n) {
            counters.add(TX_NOMBUF, n);
            return 0;
        }
        long now = clock.nanoTime();
        for (int i = 0; i < n; i++) {
            int m = pkts[i];
            MemorySegment seg = Mbuf.segment(m);
            long off = Mbuf.dataOffset(m);
            MemorySegment.copy(template, 0, seg, off, size);
            Mbuf.setDataLen(m, size);
            Mbuf.setPktLen(m, size);
            Mbuf.setTimestamp(m, now);
            if (flows > 1) {
                int f = flow;
                flow = f + 1 == flows ? 0 : f + 1;
                int src = TxTemplate.IP_SRC + f;
                ip.wrap(seg, off + TxTemplate.L3).src(src)
                        .checksum(Checksum.update32(baseChecksum, TxTemplate.IP_SRC, src));
                udp.wrap(seg, off + TxTemplate.L4).srcPort(TxTemplate.UDP_SRC + f & 0xFFFF);
            }
        }
        generated += n;
        send(n);
        return n;
    }

    /** Frames generated so far. */
    public long generated() {
        return generated;
    }

    /** True once {@code count} frames were generated (never when unlimited). */
    public boolean finished() {
        return count > 0 && generated >= count;
    }

    @Override
    public String roleName() {
        return "txonly-fwd ->" + txPort.name() + ":" + txQueue;
    }

    @Override
    public String mode() {
        return "txonly";
    }
}
