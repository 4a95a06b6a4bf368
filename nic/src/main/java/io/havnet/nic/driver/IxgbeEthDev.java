package io.havnet.nic.driver;

import io.havnet.dataplane.ethdev.DevInfo;
import io.havnet.dataplane.ethdev.EthDev;
import io.havnet.dataplane.ethdev.Offloads;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.mbuf.MbufDescriptor;
import io.havnet.dataplane.mbuf.OlFlags;
import io.havnet.dataplane.memory.MemoryRegion;
import io.havnet.dataplane.mempool.Mempool;
import io.havnet.dataplane.net.MacAddress;
import io.havnet.dataplane.stats.Counters;
import io.havnet.nic.desc.AdvRxDescriptor;
import io.havnet.nic.desc.AdvTxDescriptor;
import io.havnet.nic.regs.RegisterFile;
import io.havnet.nic.regs.Registers;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * The poll-mode driver side of 82599 queues (what DPDK's ixgbe PMD does): descriptor rings in
 * the driver's memory, mbuf buffers posted by IOVA, write-backs polled for DD, tails written as
 * doorbells. {@link VfEthDev} drives a VF's queues from inside a VM; {@link PoolEthDev} drives a
 * VMDq pool's queues from the host. No allocation and no device register read per packet: the
 * driver learns of received frames and completed sends from the descriptors themselves.
 */
public abstract class IxgbeEthDev extends EthDev {
    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;
    static final VarHandle INT_VH = ValueLayout.JAVA_INT.varHandle();
    private static final int RX_FREE_THRESH = 32;
    private static final int REFILL = 64;

    protected final RegisterFile regs;
    protected final MemoryRegion ringMemory;
    private final MemorySegment mem;
    private RxRing[] rx = new RxRing[0];
    private TxRing[] tx = new TxRing[0];

    /** One RX ring. */
    static final class RxRing {
        int q;
        long descOff;
        long iova;
        int count;
        int[] sw;
        int next;
        int hold;
        Mempool pool;
        int head = Mbuf.NONE;   // segment chain in progress
        int last = Mbuf.NONE;
        final int[] refill = new int[REFILL];
        int refillLeft;
        boolean vlanStrip;
    }

    /** One TX ring. */
    static final class TxRing {
        int q;
        long descOff;
        long iova;
        int count;
        int[] sw;
        int tail;
        int clean;
        int inFlight;
        int[] rsPos;         // descriptor indexes with RS set, oldest first (a small ring)
        int rsHead;
        int rsCount;
        int ctxVlan = -1;
        int ctxLens = -1;
        int ctxTucmd = -1;
        int ctxSa = -1;
    }

    protected IxgbeEthDev(String name, DevInfo info, MacAddress mac, RegisterFile regs, MemoryRegion ringMemory) {
        super(name, info, mac);
        this.regs = regs;
        this.ringMemory = ringMemory;
        this.mem = ringMemory.segment();
    }

    /** Capabilities the 82599 queue interface offers. */
    protected static DevInfo info(String driver, int queues) {
        return new DevInfo(driver, queues, queues,
                Offloads.RX_VLAN_STRIP | Offloads.RX_IPV4_CKSUM | Offloads.RX_RSS_HASH | Offloads.RX_SCATTER
                        | Offloads.RX_SECURITY,
                Offloads.TX_VLAN_INSERT | Offloads.TX_IPV4_CKSUM | Offloads.TX_UDP_CKSUM | Offloads.TX_TCP_CKSUM
                        | Offloads.TX_MULTI_SEGS | Offloads.TX_SECURITY,
                9728, 32, 4096, io.havnet.dataplane.net.Rss.IP_TCP_UDP);
    }

    // ---------------------------------------------------------------- register layout

    protected abstract int rdbal(int q);

    protected abstract int rdbah(int q);

    protected abstract int rdlen(int q);

    protected abstract int srrctl(int q);

    protected abstract int rdt(int q);

    protected abstract int rxdctl(int q);

    protected abstract int tdbal(int q);

    protected abstract int tdbah(int q);

    protected abstract int tdlen(int q);

    protected abstract int tdt(int q);

    /** The TX head register the device publishes. */
    protected abstract int tdh(int q);

    protected abstract int txdctl(int q);

    /** Redirection-table register {@code n} (0..31, four entries each). */
    protected abstract int reta(int n);

    /** The register that turns RSS on and names the hashed fields (MRQC, or a VF's VFMRQC). */
    protected abstract int mrqc();

    // ---------------------------------------------------------------- setup

    @Override
    protected void doConfigure(int nbRx, int nbTx, io.havnet.dataplane.ethdev.EthConf c) {
        releaseAll();
        rx = new RxRing[nbRx];
        tx = new TxRing[nbTx];
    }

    @Override
    protected void doRxQueueSetup(int q, int nbDesc, Mempool pool) {
        if (nbDesc % 8 != 0) {
            throw new IllegalArgumentException(name() + ": " + nbDesc + " descriptors: RDLEN must be a multiple of 128 bytes"
                    + " (descriptors a multiple of 8)");
        }
        if (pool == null) {
            throw new IllegalArgumentException(name() + ": RX queue " + q + " needs a mempool");
        }
        int room = pool.objectSize() - MbufDescriptor.METADATA_SIZE - MbufDescriptor.HEADROOM;
        if (room < 1024) {
            throw new IllegalArgumentException(name() + ": mbufs of " + pool.name() + " hold " + room
                    + " bytes; the 82599 needs at least 1 KiB buffers");
        }
        RxRing r = rx[q] != null && rx[q].count == nbDesc ? rx[q] : new RxRing();
        if (r.sw == null) {
            r.descOff = ringMemory.allocate((long) nbDesc * 16, 128);
            r.iova = ringMemory.iovaOfOffset(r.descOff);
            r.sw = new int[nbDesc];
        }
        r.q = q;
        r.count = nbDesc;
        r.pool = pool;
        rx[q] = r;
    }

    @Override
    protected void doTxQueueSetup(int q, int nbDesc) {
        if (nbDesc % 8 != 0) {
            throw new IllegalArgumentException(name() + ": " + nbDesc + " descriptors: TDLEN must be a multiple of 128 bytes"
                    + " (descriptors a multiple of 8)");
        }
        TxRing t = tx[q] != null && tx[q].count == nbDesc ? tx[q] : new TxRing();
        if (t.sw == null) {
            t.descOff = ringMemory.allocate((long) nbDesc * 16, 128);
            t.iova = ringMemory.iovaOfOffset(t.descOff);
            t.sw = new int[nbDesc];
            t.rsPos = new int[nbDesc];
        }
        t.q = q;
        t.count = nbDesc;
        tx[q] = t;
    }

    @Override
    protected void doStart() {
        boolean strip = (conf().rxOffloads() & Offloads.RX_VLAN_STRIP) != 0;
        for (RxRing r : rx) {
            startRx(r, strip);
        }
        for (TxRing t : tx) {
            startTx(t);
        }
        // RSS on with the fields asked for (rss_hf; 0 leaves it off: no hash, every frame on queue 0),
        // spread over the queues this driver uses
        regs.write(mrqc(), Registers.mrqc(conf().rssHf()));
        int nq = Math.max(1, rx.length);
        for (int n = 0; n < 32; n++) {
            int v = 0;
            for (int b = 0; b < 4; b++) {
                v |= ((4 * n + b) % nq) << (8 * b);
            }
            regs.write(reta(n), v);
        }
    }

    private void startRx(RxRing r, boolean strip) {
        // every descriptor gets a buffer; RDT = count - 1 keeps the last one from the device
        // (a full ring would look empty), as ixgbe does
        int n = r.count - 1;
        java.util.Arrays.fill(r.sw, Mbuf.NONE);
        if (Mbuf.allocBulk(r.pool, r.sw, 0, r.count) != r.count) {
            throw new IllegalStateException(name() + ": mempool " + r.pool.name() + " cannot fill RX queue " + r.q
                    + " (" + r.count + " mbufs needed, " + r.pool.available() + " available)");
        }
        for (int i = 0; i < r.count; i++) {
            long d = r.descOff + 16L * i;
            mem.set(LONG, d, Mbuf.dataIova(r.sw[i]));
            mem.set(LONG, d + 8, 0L);
        }
        r.next = 0;
        r.hold = 0;
        r.head = Mbuf.NONE;
        r.refillLeft = 0;
        r.vlanStrip = strip;
        int bufKb = (r.pool.objectSize() - MbufDescriptor.METADATA_SIZE - MbufDescriptor.HEADROOM) / 1024;
        regs.write(rdbal(r.q), (int) r.iova);
        regs.write(rdbah(r.q), (int) (r.iova >>> 32));
        regs.write(rdlen(r.q), r.count * 16);
        regs.write(srrctl(r.q), Math.min(bufKb, 16) & Registers.SRRCTL_BSIZEPKT_MASK);
        regs.write(rxdctl(r.q), Registers.RXDCTL_ENABLE | (strip ? Registers.RXDCTL_VME : 0));
        regs.write(rdt(r.q), n);
    }

    private void startTx(TxRing t) {
        java.util.Arrays.fill(t.sw, Mbuf.NONE);
        for (int i = 0; i < t.count; i++) {
            mem.set(LONG, t.descOff + 16L * i, 0L);
            mem.set(LONG, t.descOff + 16L * i + 8, 0L);
        }
        t.tail = 0;
        t.clean = 0;
        t.inFlight = 0;
        t.rsHead = 0;
        t.rsCount = 0;
        t.ctxVlan = -1;
        t.ctxLens = -1;
        t.ctxTucmd = -1;
        t.ctxSa = -1;
        regs.write(tdbal(t.q), (int) t.iova);
        regs.write(tdbah(t.q), (int) (t.iova >>> 32));
        regs.write(tdlen(t.q), t.count * 16);
        // TDT before ENABLE, as ixgbe does: the device serves any enabled queue whose tail is not
        // its head, and a tail left over from before a stop would hand it stale descriptors
        regs.write(tdt(t.q), 0);
        regs.write(txdctl(t.q), Registers.TXDCTL_ENABLE);
    }

    @Override
    protected void doStop() {
        for (RxRing r : rx) {
            regs.write(rxdctl(r.q), 0);
        }
        for (TxRing t : tx) {
            if (t != null) {
                regs.write(txdctl(t.q), 0); // returns once the device is past the queue (ENABLE reads 0)
            }
        }
        if (healthy()) {
            releaseAll();
        }
    }

    @Override
    protected void doClose() {
        if (healthy()) {
            releaseAll();
        }
    }

    /**
     * Frees every mbuf the driver holds (posted RX buffers, chains in progress, unsent TX frames)
     * once the device no longer uses the rings (queues disabled, or reset). Received frames the
     * application never took count as RX drops; TX frames from TDH on — where the device stopped,
     * or where a reset left its own count — never left and count as TX drops.
     */
    protected final void releaseAll() {
        for (RxRing r : rx) {
            if (r == null || r.sw == null) {
                continue;
            }
            for (int i = 0; i < r.count; i++) {
                if (r.sw[i] != Mbuf.NONE) {
                    // a descriptor the NIC wrote back (DD) holds a frame the application never saw
                    if ((mem.get(INT, r.descOff + 16L * i + AdvRxDescriptor.STATUS_ERROR) & AdvRxDescriptor.STAT_DD) != 0) {
                        resetDrops.add(RX_DROPPED_ON_RESET, 1);
                    }
                    Mbuf.free(r.sw[i]);
                    r.sw[i] = Mbuf.NONE;
                }
            }
            if (r.head != Mbuf.NONE) {
                Mbuf.free(r.head);
                r.head = Mbuf.NONE;
                resetDrops.add(RX_DROPPED_ON_RESET, 1);
            }
            if (r.refillLeft > 0) {
                r.pool.putBulk(r.refill, 0, r.refillLeft);
                r.refillLeft = 0;
            }
        }
        for (TxRing t : tx) {
            if (t == null || t.sw == null) {
                continue;
            }
            int head = regs.read(tdh(t.q));
            for (int i = 0; i < t.count; i++) {
                if (t.sw[i] != Mbuf.NONE) {
                    Mbuf.free(t.sw[i]);
                    t.sw[i] = Mbuf.NONE;
                    // the device fetched [clean, head): those went out; [head, tail) never left
                    if (((i - head + t.count) % t.count) < ((t.tail - head + t.count) % t.count)) {
                        resetDrops.add(TX_DROPPED_ON_RESET, 1);
                    }
                }
            }
            t.inFlight = 0;
            t.rsCount = 0;
        }
    }

    public static final int RX_DROPPED_ON_RESET = 0;
    public static final int TX_DROPPED_ON_RESET = 1;
    private final io.havnet.dataplane.stats.Counters resetDrops = new io.havnet.dataplane.stats.Counters(java.util.List.of(
            new io.havnet.dataplane.stats.CounterDef("rx_dropped_on_reset", "frames",
                    "received frames the application had not taken when the device was reset or stopped"),
            new io.havnet.dataplane.stats.CounterDef("tx_dropped_on_reset", "frames",
                    "frames still queued for transmission when the device was reset or stopped")));

    /** Frames lost to a reset or stop, by direction ({@link #RX_DROPPED_ON_RESET}, {@link #TX_DROPPED_ON_RESET}). */
    public io.havnet.dataplane.stats.Counters resetDrops() {
        return resetDrops;
    }

    /** TX frames freed unsent because the device was reset or stopped with them queued. */
    public long txDroppedOnReset() {
        return resetDrops.get(TX_DROPPED_ON_RESET);
    }

    // ---------------------------------------------------------------- RX

    @Override
    public int rxBurst(int q, int[] pkts, int off, int n) {
        if (!isStarted() || !healthy()) {
            return 0;
        }
        RxRing r = rx[q];
        Counters c = rxCounters(q);
        MemorySegment s = mem;
        int k = 0;
        long bytes = 0;
        int port = portId();
        while (k < n) {
            long d = r.descOff + 16L * r.next;
            int status = (int) INT_VH.getAcquire(s, d + AdvRxDescriptor.STATUS_ERROR);
            if ((status & AdvRxDescriptor.STAT_DD) == 0) {
                break;
            }
            int m = r.sw[r.next];
            if ((status & AdvRxDescriptor.ERR_RXE) != 0) {
                // the device could not store this frame: drop what was gathered, re-post the same buffer
                if (r.head != Mbuf.NONE) {
                    Mbuf.free(r.head);
                    r.head = Mbuf.NONE;
                }
                c.add(RXQ_ERRORS, 1);
                s.set(LONG, d, Mbuf.dataIova(m));
                s.set(LONG, d + 8, 0L);
                r.next = r.next + 1 == r.count ? 0 : r.next + 1;
                r.hold++;
                continue;
            }
            if (r.refillLeft == 0) {
                if (Mbuf.allocBulk(r.pool, r.refill, 0, REFILL) != REFILL) {
                    c.add(RXQ_NOMBUF, 1);
                    break; // the frame stays in the ring; the device will see it full if this lasts
                }
                r.refillLeft = REFILL;
            }
            int nm = r.refill[--r.refillLeft];
            int len = Short.toUnsignedInt(s.get(SHORT, d + AdvRxDescriptor.LENGTH));
            Mbuf.setDataLen(m, len);
            if (r.head == Mbuf.NONE) {
                Mbuf.setPktLen(m, len);
                r.head = m;
            } else {
                Mbuf.setPktLen(m, 0);
                Mbuf.chain(r.head, m);
                Mbuf.setPktLen(r.head, Mbuf.pktLen(r.head) + len);
            }
            r.last = m;
            if ((status & AdvRxDescriptor.STAT_EOP) != 0) {
                int h = r.head;
                finishRx(h, s, d, status, port);
                bytes += Mbuf.pktLen(h);
                pkts[off + k++] = h;
                r.head = Mbuf.NONE;
            }
            // post the new buffer in place (this also clears DD)
            r.sw[r.next] = nm;
            s.set(LONG, d, Mbuf.dataIova(nm));
            s.set(LONG, d + 8, 0L);
            r.next = r.next + 1 == r.count ? 0 : r.next + 1;
            r.hold++;
        }
        if (r.hold >= RX_FREE_THRESH) {
            int tailIdx = r.next == 0 ? r.count - 1 : r.next - 1;
            regs.write(rdt(q), tailIdx);
            r.hold = 0;
        }
        if (k > 0) {
            c.add(RXQ_PACKETS, k);
            c.add(RXQ_BYTES, bytes);
        }
        return k;
    }

    private void finishRx(int h, MemorySegment s, long d, int status, int port) {
        Mbuf.setPort(h, port);
        int info = s.get(INT, d + AdvRxDescriptor.INFO);
        boolean vp = (status & AdvRxDescriptor.STAT_VP) != 0;
        long flags = 0;
        if (vp) {
            Mbuf.setVlanTci(h, Short.toUnsignedInt(s.get(SHORT, d + AdvRxDescriptor.VLAN)));
            flags |= OlFlags.RX_VLAN | OlFlags.RX_VLAN_STRIPPED;
        }
        if ((info & 0xF) != 0) {
            Mbuf.setRssHash(h, s.get(INT, d + AdvRxDescriptor.RSS_HASH));
            flags |= OlFlags.RX_RSS_HASH;
        }
        if ((status & AdvRxDescriptor.STAT_IPCS) != 0) {
            flags |= (status & AdvRxDescriptor.ERR_IPE) != 0 ? OlFlags.RX_IP_CKSUM_BAD : OlFlags.RX_IP_CKSUM_GOOD;
        }
        if ((status & AdvRxDescriptor.STAT_SECP) != 0) {
            flags |= OlFlags.RX_SEC_OFFLOAD
                    | ((status & AdvRxDescriptor.ERR_IPSEC_MASK) != 0 ? OlFlags.RX_SEC_OFFLOAD_FAILED : 0);
        }
        Mbuf.setOlFlags(h, flags);
        Mbuf.setPacketType(h, AdvRxDescriptor.fromHw(info >>> 4 & 0x1FFF, false));
    }

    // ---------------------------------------------------------------- TX

    @Override
    public int txBurst(int q, int[] pkts, int off, int n) {
        if (!isStarted() || n == 0 || !healthy()) {
            return 0;
        }
        TxRing t = tx[q];
        reclaim(t);
        MemorySegment s = mem;
        int free = t.count - 1 - t.inFlight;
        int k = 0;
        long bytes = 0;
        int lastDesc = -1;
        while (k < n) {
            int m = pkts[off + k];
            long fl = Mbuf.olFlags(m);
            int segs = Mbuf.nbSegs(m);
            boolean vlan = (fl & OlFlags.TX_VLAN) != 0;
            boolean ipCsum = (fl & OlFlags.TX_IP_CKSUM) != 0;
            boolean l4Csum = (fl & OlFlags.TX_UDP_CKSUM) != 0;
            boolean sec = (fl & OlFlags.TX_SEC_OFFLOAD) != 0;
            int ctxVlan = vlan ? Mbuf.vlanTci(m) : -1;
            int lens = ipCsum || l4Csum || sec ? Mbuf.l2Len(m) << 9 | Mbuf.l3Len(m) : -1;
            int tucmd = (fl & OlFlags.TX_IPV4) != 0 || ipCsum || sec ? AdvTxDescriptor.TUCMD_IPV4 : 0;
            int sa = sec ? Mbuf.saIndex(m) & AdvTxDescriptor.IPSEC_SA_INDEX_MASK : -1;
            if (sec) {
                tucmd |= AdvTxDescriptor.TUCMD_IPSEC_TYPE_ESP | AdvTxDescriptor.TUCMD_IPSEC_ENCRYPT_EN;
            }
            if (l4Csum) {
                tucmd |= (fl & OlFlags.TX_UDP_CKSUM) == OlFlags.TX_TCP_CKSUM ? AdvTxDescriptor.TUCMD_L4T_TCP
                        : AdvTxDescriptor.TUCMD_L4T_UDP;
            }
            boolean needCtx = (vlan || lens >= 0)
                    && (ctxVlan != t.ctxVlan || lens != t.ctxLens || tucmd != t.ctxTucmd || sa != t.ctxSa);
            int need = segs + (needCtx ? 1 : 0);
            if (need > free) {
                break;
            }
            if (needCtx) {
                long d = t.descOff + 16L * t.tail;
                s.set(INT, d + AdvTxDescriptor.VLAN_MACIP_LENS, (ctxVlan < 0 ? 0 : ctxVlan) << 16 | (lens < 0 ? 0 : lens));
                s.set(INT, d + AdvTxDescriptor.SEQNUM_SEED, sa < 0 ? 0 : sa);
                s.set(INT, d + AdvTxDescriptor.TYPE_TUCMD_MLHL,
                        AdvTxDescriptor.DTYP_CONTEXT | AdvTxDescriptor.DCMD_DEXT | tucmd);
                s.set(INT, d + AdvTxDescriptor.MSS_L4LEN_IDX, 0);
                t.sw[t.tail] = Mbuf.NONE;
                t.tail = t.tail + 1 == t.count ? 0 : t.tail + 1;
                t.ctxVlan = ctxVlan;
                t.ctxLens = lens;
                t.ctxTucmd = tucmd;
                t.ctxSa = sa;
            }
            int popts = (ipCsum ? AdvTxDescriptor.POPTS_IXSM : 0) | (l4Csum ? AdvTxDescriptor.POPTS_TXSM : 0)
                    | (sec ? AdvTxDescriptor.POPTS_IPSEC : 0);
            int pktLen = Mbuf.pktLen(m);
            int seg = m;
            for (int i = 0; i < segs; i++) {
                long d = t.descOff + 16L * t.tail;
                boolean lastSeg = i == segs - 1;
                s.set(LONG, d, Mbuf.dataIova(seg));
                s.set(INT, d + AdvTxDescriptor.CMD_TYPE_LEN, Mbuf.dataLen(seg) | AdvTxDescriptor.DTYP_DATA
                        | AdvTxDescriptor.DCMD_DEXT | AdvTxDescriptor.DCMD_IFCS
                        | (lastSeg ? AdvTxDescriptor.DCMD_EOP : 0) | (vlan ? AdvTxDescriptor.DCMD_VLE : 0));
                s.set(INT, d + AdvTxDescriptor.OLINFO_STATUS, pktLen << AdvTxDescriptor.PAYLEN_SHIFT | popts);
                t.sw[t.tail] = lastSeg ? m : Mbuf.NONE; // the head frees the whole chain
                lastDesc = t.tail;
                t.tail = t.tail + 1 == t.count ? 0 : t.tail + 1;
                seg = Mbuf.next(seg);
            }
            free -= need;
            t.inFlight += need;
            bytes += pktLen;
            k++;
        }
        if (k > 0) {
            // report status on the last descriptor of the burst: one write-back frees the whole burst
            long d = t.descOff + 16L * lastDesc;
            s.set(INT, d + AdvTxDescriptor.CMD_TYPE_LEN, s.get(INT, d + AdvTxDescriptor.CMD_TYPE_LEN) | AdvTxDescriptor.DCMD_RS);
            int at = t.rsHead + t.rsCount; // both < rsPos.length
            t.rsPos[at >= t.rsPos.length ? at - t.rsPos.length : at] = lastDesc;
            t.rsCount++;
            regs.write(tdt(q), t.tail);
            Counters c = txCounters(q);
            c.add(TXQ_PACKETS, k);
            c.add(TXQ_BYTES, bytes);
        }
        return k;
    }

    /** Frees the mbufs of every descriptor up to the oldest RS descriptor whose DD is set, and so on. */
    private void reclaim(TxRing t) {
        MemorySegment s = mem;
        while (t.rsCount > 0) {
            int rs = t.rsPos[t.rsHead];
            long d = t.descOff + 16L * rs;
            int st = (int) INT_VH.getAcquire(s, d + AdvTxDescriptor.OLINFO_STATUS);
            if ((st & AdvTxDescriptor.STA_DD) == 0) {
                return;
            }
            int i = t.clean;
            while (true) {
                int m = t.sw[i];
                if (m != Mbuf.NONE) {
                    Mbuf.free(m);
                    t.sw[i] = Mbuf.NONE;
                }
                t.inFlight--;
                if (i == rs) {
                    break;
                }
                i = i + 1 == t.count ? 0 : i + 1;
            }
            t.clean = rs + 1 == t.count ? 0 : rs + 1;
            t.rsHead = t.rsHead + 1 == t.rsPos.length ? 0 : t.rsHead + 1;
            t.rsCount--;
        }
    }

    /** mbufs this driver holds now: posted RX buffers, its refill stash, frames half-received, unreclaimed TX. */
    public int heldMbufs() {
        int n = 0;
        for (RxRing r : rx) {
            if (r == null || r.sw == null) {
                continue;
            }
            for (int m : r.sw) {
                if (m != Mbuf.NONE) {
                    n++;
                }
            }
            n += r.refillLeft;
            if (r.head != Mbuf.NONE) {
                n += Mbuf.nbSegs(r.head);
            }
        }
        for (TxRing t : tx) {
            if (t == null || t.sw == null) {
                continue;
            }
            for (int m : t.sw) {
                if (m != Mbuf.NONE) {
                    n += Mbuf.nbSegs(m);
                }
            }
        }
        return n;
    }

    /** TX descriptors handed to the device and not yet completed, per queue. */
    public int txInFlight(int q) {
        return tx[q].inFlight;
    }

    /** False when the device needs recovery (a reset happened under the driver). */
    protected boolean healthy() {
        return true;
    }
}
