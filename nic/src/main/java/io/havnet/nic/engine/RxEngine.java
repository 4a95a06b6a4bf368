package io.havnet.nic.engine;

import io.havnet.dataplane.ethdev.EthDev;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.mbuf.MbufDescriptor;
import io.havnet.dataplane.mempool.Mempool;
import io.havnet.dataplane.net.Checksum;
import io.havnet.dataplane.net.MacAddress;
import io.havnet.dataplane.net.Net;
import io.havnet.dataplane.net.PacketClassifier;
import io.havnet.dataplane.net.PacketType;
import io.havnet.dataplane.net.Rss;
import io.havnet.dataplane.net.Toeplitz;
import io.havnet.dataplane.ring.SpscRing;
import io.havnet.dataplane.stats.Counters;
import io.havnet.nic.Nic;
import io.havnet.nic.desc.AdvRxDescriptor;
import io.havnet.nic.l2.L2Table;
import io.havnet.nic.sriov.TokenBucket;
import io.havnet.nic.vmdq.Pool;
import io.havnet.nic.vmdq.PoolConfig;
import io.havnet.platform.dma.Dma;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The receive half of the NIC's silicon (82599 datasheet §7.1, §7.10.3): takes frames from the
 * wire and from the VEB loopback, classifies them (L2 filters, VLAN, RSS), and DMAs each into
 * the target pools' queues. Every frame ends delivered (to at least one pool) or dropped under
 * one reason in {@link NicCounters}. One thread runs it; its time is NIC time.
 */
public final class RxEngine extends NicEngine {
    private final Nic nic;
    private final Dma dma;
    private final EthDev wire;
    private final SpscRing loop;
    private final int burst;
    private final int[] wireBuf;
    private final int[] loopBuf;
    private final Counters c;
    private final PacketClassifier classifier = new PacketClassifier();
    private final Toeplitz toeplitz = Toeplitz.defaultKey();
    /** A chained frame's bytes in one piece; read through the mbufs' segment by address, so it lives as long as the engine. */
    private final MemorySegment linear = Arena.ofAuto().allocate(16 * 1024 + 64, 64);
    /** What {@link Mbuf#prefetch} loaded; kept so the loads stay. */
    private int touched;
    private int burstDelivered;
    private int burstReplicas;
    // per-frame results of classification
    private int ptype;
    private int rssHash;
    /** The fields {@link #rssHash} was computed over; 0: not computed for this frame. */
    private int rssHashFields;
    /** The data offsets of a wire burst, for {@link Mbuf#prefetch(int[], int, int, long[])}. */
    private final long[] prefetchScratch;
    /** The queues that received in this pass, each listed once: their write-backs are due. */
    private final HwRxQueue[] writtenQueues = new HwRxQueue[io.havnet.nic.Nic.QUEUES];
    private int written;
    private int statusExtra;
    private int errors;
    /** The port's line from the wire ({@link Nic#lineRateMbps()}; unlimited when not paced). */
    private final TokenBucket line;

    public RxEngine(Nic nic, Dma dma, int burst) {
        this.nic = nic;
        this.dma = dma;
        this.wire = nic.wire();
        this.loop = nic.loopbackRing();
        this.burst = burst;
        this.wireBuf = new int[burst];
        this.prefetchScratch = new long[burst];
        this.loopBuf = new int[burst];
        this.c = nic.counters().rx();
        this.line = TokenBucket.line(nic.lineRateMbps());
    }

    /**
     * The wire's frames at the port's line rate: none while the line is busy (they wait on the wire,
     * counted in {@code rx_line_busy}), else a burst, charged frame by frame (the burst may take the
     * line below zero: the long-run rate is exact).
     */
    private int pacedRxBurst() {
        if (!line.mayPass(nic.clock().nanoTime())) {
            c.add(NicCounters.RX_LINE_BUSY, 1);
            return 0;
        }
        int n = wire.rxBurst(0, wireBuf, 0, burst);
        for (int i = 0; i < n; i++) {
            line.charge(Net.wireBytes(Mbuf.pktLen(wireBuf[i])));
        }
        return n;
    }

    public Dma dma() {
        return dma;
    }

    @Override
    public String roleName() {
        return nic.name() + "-rx";
    }

    /**
     * Frees the VEB frames no RX pass took, counted as dropped for a pool that is down. For the
     * NIC's close, when the engines run no more.
     */
    public void releaseHeld() {
        int k;
        while ((k = loop.dequeueBurst(loopBuf, 0, loopBuf.length)) > 0) {
            Mbuf.freeBulk(loopBuf, 0, k);
            c.add(NicCounters.RX_DROP_POOL_DOWN, k);
        }
    }

    @Override
    protected int work() {
        long resets = nic.takeResets(0);
        if (resets != 0) {
            doResets(resets);
        }
        L2Table t = nic.filters().table();
        burstDelivered = 0;
        burstReplicas = 0;
        int n = line.unlimited() ? wire.rxBurst(0, wireBuf, 0, burst) : pacedRxBurst();
        if (n > 0) {
            c.add(NicCounters.RX_WIRE, n);
            touched += Mbuf.prefetch(wireBuf, 0, n, prefetchScratch);
            for (int i = 0; i < n; i++) {
                process(t, wireBuf[i], -1);
            }
            Mbuf.freeBulk(wireBuf, 0, n);
        }
        int k = loop.dequeueBurst(loopBuf, 0, burst);
        if (k > 0) {
            c.add(NicCounters.RX_VEB, k);
            for (int i = 0; i < k; i++) {
                process(t, loopBuf[i], (int) Mbuf.userTag(loopBuf[i]));
            }
            Mbuf.freeBulk(loopBuf, 0, k);
        }
        // every queue that received in this pass writes its descriptors back, once
        for (int i = 0; i < written; i++) {
            HwRxQueue q = writtenQueues[i];
            q.writeBack(dma.host());
            q.listed = false;
        }
        written = 0;
        if (burstDelivered > 0) {
            c.add(NicCounters.RX_DELIVERED, burstDelivered);
            c.add(NicCounters.RX_REPLICAS, burstReplicas);
        }
        return n + k;
    }

    private void doResets(long vfs) {
        for (long rest = vfs; rest != 0; rest &= rest - 1) {
            int vf = Long.numberOfTrailingZeros(rest);
            nic.queues().resetRx(nic.pool(vf));
            nic.resetDone(vf, 0);
        }
    }

    /** Switches one frame; {@code srcPool} is the pool that sent it through the VEB, or -1. */
    private void process(L2Table t, int m, int srcPool) {
        Mempool mp = Mempool.ofHandle(m);
        // one segment for every frame (all of memory, a constant the JIT folds the checks of): a chained
        // frame is read from its linear copy by address
        MemorySegment seg = mp.segment();
        long mb = mp.offset(m);
        int len = seg.get(ValueLayout.JAVA_INT_UNALIGNED, mb + MbufDescriptor.PKT_LEN);
        if (len < Net.ETHER_HDR_LEN) {
            c.add(NicCounters.RX_DROP_BAD_FRAME, 1);
            return;
        }
        if (len > PoolConfig.MAX_FRAME_LIMIT + 4) {
            c.add(NicCounters.RX_DROP_TOO_LONG, 1);
            return;
        }
        long off;
        if (seg.get(ValueLayout.JAVA_SHORT_UNALIGNED, mb + MbufDescriptor.NB_SEGS) == 1) {
            off = mb + MbufDescriptor.METADATA_SIZE
                    + Short.toUnsignedInt(seg.get(ValueLayout.JAVA_SHORT_UNALIGNED, mb + MbufDescriptor.DATA_OFF));
        } else {
            linearize(m, len);
            off = linear.address();
        }
        long dst = (long) Short.toUnsignedInt(seg.get(Net.BE16, off)) << 32
                | Integer.toUnsignedLong(seg.get(Net.BE32, off + 2));
        int tci = -1;
        int vid = -1;
        if (len >= 18 && Short.toUnsignedInt(seg.get(Net.BE16, off + 12)) == Net.ETHER_TYPE_VLAN) {
            tci = Short.toUnsignedInt(seg.get(Net.BE16, off + 14));
            vid = tci & 0xFFF;
        }
        long match = t.match(dst, vid);
        if (srcPool >= 0) {
            match &= ~(1L << srcPool);
        }
        if (match == 0) {
            c.add(NicCounters.RX_DROP_NO_POOL, 1);
            return;
        }
        long targets = t.enabled(match);
        if (targets == 0) {
            c.add(NicCounters.RX_DROP_POOL_DOWN, 1);
            return;
        }
        classify(seg, off, len);
        if ((ptype & PacketType.TUNNEL_MASK) == PacketType.TUNNEL_ESP && PacketType.isIpv4(ptype) && !classifier.malformed()
                && Long.bitCount(targets) == 1) {
            inlineDecrypt(seg, off, len, Long.numberOfTrailingZeros(targets));
        }
        boolean bcast = MacAddress.isBroadcast(dst);
        boolean mcast = !bcast && MacAddress.isMulticast(dst);
        int delivered = 0;
        int firstFail = 0;
        for (long rest = targets; rest != 0; rest &= rest - 1) {
            Pool p = nic.pool(Long.numberOfTrailingZeros(rest));
            int r = toPool(p, seg, off, len, tci, bcast, mcast);
            if (r == 0) {
                delivered++;
            } else if (firstFail == 0) {
                firstFail = r;
            }
        }
        if (delivered > 0) {
            burstDelivered++;
            burstReplicas += delivered;
        } else {
            c.add(firstFail, 1);
        }
    }

    /**
     * Inline IPsec on receive: an ESP frame whose (SPI, destination) names an SA of the pool it
     * goes to is decrypted and authenticated in place; the descriptor says so (SECP) and whether
     * the ICV failed (the frame is delivered either way, as the 82599 does, for the driver to drop).
     */
    private void inlineDecrypt(MemorySegment seg, long off, int len, int pool) {
        int l3 = classifier.l2Len();
        long ip = off + l3;
        int ihl = (seg.get(Net.U8, ip) & 0xF) * 4;
        long esp = ip + ihl;
        io.havnet.nic.ipsec.SaTable.Entry sa = nic.ipsec().rx(seg.get(Net.BE32, esp), seg.get(Net.BE32, ip + 16));
        if (sa == null || sa.owner() != pool) {
            return;
        }
        int total = Short.toUnsignedInt(seg.get(Net.BE16, ip + 2));
        int enc = total - ihl - 16 - io.havnet.dataplane.crypto.AesGcm.TAG_LENGTH;
        statusExtra |= AdvRxDescriptor.STAT_SECP;
        if (enc < 2 || l3 + total > len) {
            errors |= AdvRxDescriptor.ERR_IPSEC_LENGTH;
            c.add(NicCounters.RX_IPSEC_AUTH_FAILED, 1);
            return;
        }
        if (sa.gcm().open(seg, esp, 8, esp + 8, esp + 16, enc, esp + 16 + enc)) {
            c.add(NicCounters.RX_IPSEC, 1);
        } else {
            errors |= AdvRxDescriptor.ERR_IPSEC_AUTH;
            c.add(NicCounters.RX_IPSEC_AUTH_FAILED, 1);
        }
    }

    /** Packet type, IPv4 checksum check and the RSS hash, once per frame. */
    private void classify(MemorySegment seg, long off, int len) {
        ptype = classifier.classify(seg, off, len);
        statusExtra = 0;
        errors = 0;
        rssHash = 0;
        rssHashFields = 0;
        if (!classifier.malformed() && PacketType.isIpv4(ptype)) {
            statusExtra = AdvRxDescriptor.STAT_IPCS;
            if (!Checksum.ipv4HeaderOk(seg, off + classifier.l2Len(), classifier.l3Len())) {
                errors = AdvRxDescriptor.ERR_IPE;
            }
        }
    }

    private int toPool(Pool p, MemorySegment seg, long off, int len, int tci, boolean bcast, boolean mcast) {
        PoolConfig cfg = p.config();
        int qi = 0;
        int hash = 0;
        int hf = p.rssFields();
        if (hf != 0) { // RSS on for the pool: the hash is reported whether or not it picks a queue
            if (hf != rssHashFields) {
                rssHash = Rss.hash(toeplitz, seg, off, classifier, hf); // once per frame for pools alike
                rssHashFields = hf;
            }
            hash = rssHash;
            if (p.queues() > 1) {
                qi = p.reta()[hash & 127];
            }
        }
        HwRxQueue q = nic.rxQueue(p.firstQueue() + qi);
        boolean strip = tci >= 0 && (cfg.hasPortVlan() || q.vlanStrip());
        int frame = strip ? len - 4 : len;
        int max = cfg.maxFrame() + (tci >= 0 && !strip ? 4 : 0);
        Counters pc = p.rxCounters();
        if (frame > max) {
            pc.add(Pool.RX_DROPPED, 1);
            return NicCounters.RX_DROP_TOO_LONG;
        }
        int r = q.receive(dma, seg, off, len, strip, tci, hash, AdvRxDescriptor.toHw(ptype), statusExtra, errors);
        switch (r) {
            case HwRxQueue.OK -> {
                if (!q.listed) {
                    q.listed = true;
                    writtenQueues[written++] = q;
                }
                pc.add(Pool.RX_PACKETS, 1);
                pc.add(Pool.RX_BYTES, frame);
                if (bcast) {
                    pc.add(Pool.RX_BROADCAST, 1);
                } else if (mcast) {
                    pc.add(Pool.RX_MULTICAST, 1);
                }
                return 0;
            }
            case HwRxQueue.FAULT -> {
                pc.add(Pool.RX_DROPPED, 1);
                nic.mddEvent(p, "DMA fault writing RX queue " + q.index(), false);
                return NicCounters.RX_DROP_IOMMU_FAULT;
            }
            default -> {
                pc.add(Pool.RX_DROPPED, 1);
                return NicCounters.RX_DROP_QUEUE_FULL;
            }
        }
    }

    private void linearize(int m, int len) {
        long pos = 0;
        for (int s = m; s != Mbuf.NONE && pos < len; s = Mbuf.next(s)) {
            int k = Mbuf.dataLen(s);
            MemorySegment.copy(Mbuf.segment(s), Mbuf.dataOffset(s), linear, pos, k);
            pos += k;
        }
    }
}
