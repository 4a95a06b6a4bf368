package io.havnet.nic.engine;

import io.havnet.dataplane.ethdev.EthDev;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.mbuf.MbufDescriptor;
import io.havnet.dataplane.memory.OffHeap;
import io.havnet.dataplane.mempool.Mempool;
import io.havnet.dataplane.net.Checksum;
import io.havnet.dataplane.net.MacAddress;
import io.havnet.dataplane.net.Net;
import io.havnet.dataplane.ring.SpscRing;
import io.havnet.dataplane.stats.Counters;
import io.havnet.nic.Nic;
import io.havnet.nic.desc.AdvTxDescriptor;
import io.havnet.nic.l2.L2Table;
import io.havnet.nic.sriov.LinkState;
import io.havnet.nic.sriov.TokenBucket;
import io.havnet.nic.vmdq.Pool;
import io.havnet.nic.vmdq.PoolConfig;
import io.havnet.platform.dma.Dma;
import io.havnet.platform.pci.PciFunction;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The transmit half of the NIC's silicon (82599 datasheet §7.2, §7.10.3.4): for every queue
 * whose tail was written, fetches descriptors by DMA, gathers each frame into the NIC's packet
 * buffer, applies the pool's rules — link state, anti-spoofing, port VLAN insertion, checksum
 * offloads, rate limit — and sends it to the wire or, through the VEB, back to local pools.
 * Malformed descriptors and DMA faults count as malicious-driver events.
 */
public final class TxEngine extends NicEngine {
    private static final int PREFETCH = 64;
    private static final int MAX_DESC_PER_FRAME = AdvTxDescriptor.MAX_DESC_PER_FRAME;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;

    private final Nic nic;
    private final Dma dma;
    private final EthDev wire;
    private final SpscRing loop;
    private final Mempool staging;
    private final int burst;
    private final Counters c;
    /**
     * The device's copy of the descriptors fetched this burst. (Read as a {@code long[]} instead it
     * made this engine ~30 ns a frame cheaper on the vSwitch's queues and the hypervisor ~12 ns
     * dearer: performance.md, "Per-frame arithmetic".)
     */
    private final MemorySegment descs = Arena.ofAuto().allocate((long) PREFETCH * AdvTxDescriptor.SIZE, 64);
    /**
     * {@link #descs} by address, read through all of memory ({@link OffHeap#ALL}, a constant whose
     * checks the JIT folds; the segment in a field is checked on every read, ~8 reads a frame). The
     * engine holds {@link #descs}, so the memory lives as long as the engine.
     */
    private final long descsAt = descs.address();
    private final MemorySegment linear = Arena.ofAuto().allocate(16 * 1024 + 64, 64);
    /** Frames waiting for the wire, a power of two (indices wrap with a mask). */
    private static final int WIRE_BUF = 256;
    private final int[] wireBuf = new int[WIRE_BUF];
    private final int[] stash = new int[32];
    private int stashLeft;
    /** Bytes a packet-buffer mbuf holds after its headroom. */
    private static final int STAGING_ROOM = 2048;
    private int wireHead;
    private int wireCount;
    /** The port's line toward the wire ({@link Nic#lineRateMbps()}; unlimited when not paced). */
    private final TokenBucket line;
    private final Queues queues;
    private boolean wireUp;
    /** The clock as read once this round for the rate limiters, or {@link #UNREAD} while no limited queue asked. */
    private long now;
    private static final long UNREAD = Long.MIN_VALUE;
    private L2Table table;
    /** What {@link Dma#prefetch} loaded; kept so the loads stay. */
    private int touched;
    /** The buffer addresses of the fetched descriptors, for {@link Dma#prefetch(PciFunction, long[], int)}. */
    private final long[] bufIovas = new long[PREFETCH];
    // counts of the queue being served, added to the counters once per burst (flushCounts)
    private int burstFetched;
    private int burstWire;
    private int burstSent;
    private long burstBytes;

    public TxEngine(Nic nic, Dma dma, int burst) {
        this.nic = nic;
        this.dma = dma;
        this.wire = nic.wire();
        this.loop = nic.loopbackRing();
        this.staging = nic.packetBuffer();
        this.queues = nic.queues();
        this.burst = burst;
        this.c = nic.counters().tx();
        this.line = TokenBucket.line(nic.lineRateMbps());
    }

    public Dma dma() {
        return dma;
    }

    @Override
    public String roleName() {
        return nic.name() + "-tx";
    }

    @Override
    protected int work() {
        long resets = nic.takeResets(1);
        if (resets != 0) {
            doResets(resets);
        }
        if (!flushWire()) {
            return 0; // the port has not taken what we have: hold the queues (back-pressure)
        }
        wireUp = wire.link().up();
        now = UNREAD;
        table = nic.filters().table();
        int work = 0;
        // every enabled queue whose tail moved past its head, in queue order (round-robin
        // arbitration: at most a burst each per round); an unchanged tail is a read from cache
        HwTxQueue[] live = queues.liveTx();
        for (int i = 0; i < live.length; i++) {
            work += serviceQueue(live[i]);
        }
        flushWire();
        returnStash();
        return work;
    }

    private void doResets(long vfs) {
        for (long rest = vfs; rest != 0; rest &= rest - 1) {
            int vf = Long.numberOfTrailingZeros(rest);
            Pool pool = nic.pool(vf);
            for (int i = 0; i < pool.queues(); i++) {
                HwTxQueue q = nic.txQueue(pool.firstQueue() + i);
                int tail = q.tail(); // read once: what the device accounts for ends here
                boolean valid = q.ring() != null && tail >= 0 && tail < q.ring().count();
                c.add(NicCounters.TX_DROP_RESET, valid ? unfetchedFrames(q, pool, tail) : 0);
                // TDH keeps the point up to which the device sent or counted: a driver that wrote
                // its tail after this moment counts the rest itself
                q.reset(valid ? tail : q.publishedHead());
            }
            queues.refreshLiveTx();
            nic.resetDone(vf, 1);
        }
    }

    /** Frames (EOP descriptors) between the device's head and the driver's tail: what a reset throws away. */
    private int unfetchedFrames(HwTxQueue q, Pool p, int tail) {
        HwTxQueue.Ring r = q.ring();
        int count = r.count();
        int head = q.head;
        int frames = 0;
        while (head != tail) {
            int n = Math.min(PREFETCH, (tail - head + count) % count);
            if (!prefetch(p.function(), r, head, n)) {
                return frames; // the ring itself is unreadable: nothing more to count
            }
            for (int i = 0; i < n; i++) {
                int ctl = ctl(i);
                if ((ctl & AdvTxDescriptor.DTYP_MASK) == AdvTxDescriptor.DTYP_DATA && (ctl & AdvTxDescriptor.DCMD_EOP) != 0) {
                    frames++;
                }
            }
            head = (head + n) % count;
        }
        return frames;
    }

    /** Processes up to one burst of frames from {@code q}; returns frames fetched. */
    private int serviceQueue(HwTxQueue q) {
        HwTxQueue.Ring r = q.ring();
        Pool p = q.pool();
        if (r == null || p.disabled()) {
            return 0;
        }
        if (r.generation() != q.seenGeneration) {
            q.seenGeneration = r.generation();
            q.head = 0;
            q.ctxVlan = -1;
            q.ctxSa = -1;
        }
        PciFunction fn = p.function();
        int count = r.count();
        int tail = q.tail();
        if (tail < 0 || tail >= count) {
            if (tail != q.badTail) { // one event per value written, not one per round that sees it
                q.badTail = tail;
                nic.mddEvent(p, "TX queue " + q.index() + ": tail " + tail + " outside a ring of " + count, true);
            }
            return 0;
        }
        q.badTail = HwTxQueue.NO_BAD_TAIL;
        int avail = tail - q.head;
        if (avail < 0) {
            avail += count;
        }
        if (avail == 0) {
            return 0;
        }
        int n = Math.min(avail, PREFETCH);
        if (!prefetch(fn, r, q.head, n)) {
            nic.mddEvent(p, "DMA fault reading TX descriptors of queue " + q.index(), true);
            return 0;
        }
        for (int k = 0; k < n; k++) {
            bufIovas[k] = OffHeap.ALL.get(LONG, descsAt + (long) k * 16);
        }
        touched += dma.prefetch(fn, bufIovas, n);
        PoolConfig cfg = p.config();
        p.limiter().ensureRate(cfg.maxTxRateMbps());
        if (now == UNREAD && !p.limiter().unlimited()) {
            now = nic.clock().nanoTime();
        }
        int i = 0;
        int frames = 0;
        while (i < n && frames < burst && wireCount < wireBuf.length) {
            if (!p.limiter().mayPass(now)) {
                c.add(NicCounters.TX_RATE_LIMITED, 1);
                break;
            }
            // context descriptors first
            int ctl = ctl(i);
            if ((ctl & AdvTxDescriptor.DTYP_MASK) == AdvTxDescriptor.DTYP_CONTEXT
                    && (ctl & AdvTxDescriptor.DCMD_DEXT) != 0) {
                int vml = OffHeap.ALL.get(INT, descsAt + (long) i * 16 + AdvTxDescriptor.VLAN_MACIP_LENS);
                q.ctxVlan = vml >>> 16;
                q.ctxMacLen = vml >>> 9 & 0x7F;
                q.ctxIpLen = vml & 0x1FF;
                q.ctxTucmd = ctl;
                q.ctxSa = (ctl & AdvTxDescriptor.TUCMD_IPSEC_TYPE_ESP) != 0
                        ? OffHeap.ALL.get(INT, descsAt + (long) i * 16 + AdvTxDescriptor.SEQNUM_SEED) & AdvTxDescriptor.IPSEC_SA_INDEX_MASK : -1;
                i++;
                continue;
            }
            int j = i;
            while (j < n && (ctl(j) & AdvTxDescriptor.DCMD_EOP) == 0
                    && j - i < MAX_DESC_PER_FRAME) {
                j++;
            }
            if (j == n) {
                if (n == avail && n < PREFETCH && j - i < MAX_DESC_PER_FRAME) {
                    break; // the rest of this frame is not written yet
                }
                j = n - 1; // no end of packet where there must be one: a malformed chain
                consume(q, r, fn, i, j);
                malformed(p, q, "no EOP within " + (j - i + 1) + " descriptors");
                i = j + 1;
                frames++;
                continue;
            }
            if (j - i >= MAX_DESC_PER_FRAME) {
                consume(q, r, fn, i, j);
                malformed(p, q, "frame spans more than " + MAX_DESC_PER_FRAME + " descriptors");
                i = j + 1;
                frames++;
                continue;
            }
            int m = fetch(q, p, cfg, fn, i, j);
            if (m == -2) {
                break; // packet buffer exhausted: try again next round
            }
            consume(q, r, fn, i, j);
            i = j + 1;
            frames++;
            if (m >= 0) {
                transmit(p, cfg, m);
            }
        }
        int h = q.head + i; // i < count
        q.head = h >= count ? h - count : h;
        q.publishHead();
        flushCounts(p);
        return frames;
    }

    /** CMD_TYPE_LEN of fetched descriptor {@code k} (a context descriptor's TYPE_TUCMD_MLHL). */
    private int ctl(int k) {
        return OffHeap.ALL.get(INT, descsAt + (long) k * 16 + AdvTxDescriptor.CMD_TYPE_LEN);
    }

    /** OLINFO_STATUS of fetched descriptor {@code k}. */
    private int olinfo(int k) {
        return OffHeap.ALL.get(INT, descsAt + (long) k * 16 + AdvTxDescriptor.OLINFO_STATUS);
    }

    /** Adds what this burst of {@code p}'s queue fetched and sent to the NIC's and the pool's counters. */
    private void flushCounts(Pool p) {
        if (burstFetched != 0) {
            c.add(NicCounters.TX_FETCHED, burstFetched);
            burstFetched = 0;
        }
        if (burstSent != 0) {
            c.add(NicCounters.TX_WIRE, burstWire);
            c.add(NicCounters.TX_SENT, burstSent);
            Counters pc = p.txCounters();
            pc.add(Pool.TX_PACKETS, burstSent);
            pc.add(Pool.TX_BYTES, burstBytes);
            burstWire = 0;
            burstSent = 0;
            burstBytes = 0;
        }
    }

    private boolean prefetch(PciFunction fn, HwTxQueue.Ring r, int head, int n) {
        int first = Math.min(n, r.count() - head);
        if (!dma.read(fn, r.base() + (long) head * 16, descs, 0, first * 16)) {
            return false;
        }
        return first == n || dma.read(fn, r.base(), descs, (long) first * 16, (n - first) * 16);
    }

    /** Writes DD back for the descriptors [i, j] that asked for it (RS). */
    private void consume(HwTxQueue q, HwTxQueue.Ring r, PciFunction fn, int i, int j) {
        for (int k = i; k <= j; k++) {
            int ctl = ctl(k);
            if ((ctl & AdvTxDescriptor.DCMD_RS) != 0) {
                int idx = q.head + k; // k < count
                if (idx >= r.count()) {
                    idx -= r.count();
                }
                int olinfo = olinfo(k);
                dma.writeIntRelease(fn, r.base() + (long) idx * 16 + AdvTxDescriptor.OLINFO_STATUS,
                        olinfo | AdvTxDescriptor.STA_DD);
            }
        }
    }

    private void malformed(Pool p, HwTxQueue q, String what) {
        c.add(NicCounters.TX_FETCHED, 1);
        c.add(NicCounters.TX_DROP_MALFORMED, 1);
        p.txCounters().add(Pool.TX_DROPPED, 1);
        nic.mddEvent(p, "malformed TX descriptor on queue " + q.index() + ": " + what, true);
    }

    /**
     * Gathers the frame of descriptors [i, j] into a packet-buffer mbuf.
     *
     * @return the mbuf; -1 when the frame was dropped (and counted); -2 when no mbuf is free
     */
    private int fetch(HwTxQueue q, Pool p, PoolConfig cfg, PciFunction fn, int i, int j) {
        int total = 0;
        for (int k = i; k <= j; k++) {
            int ctl = ctl(k);
            int len = ctl & AdvTxDescriptor.DTALEN_MASK;
            if ((ctl & AdvTxDescriptor.DTYP_MASK) != AdvTxDescriptor.DTYP_DATA || (ctl & AdvTxDescriptor.DCMD_DEXT) == 0
                    || len == 0 || len > AdvTxDescriptor.MAX_DATA_LEN) {
                malformed(p, q, String.format("cmd_type_len 0x%08x", ctl));
                return -1;
            }
            total += len;
        }
        int lastCtl = ctl(j);
        int tag = cfg.hasPortVlan() ? cfg.portVlanTci()
                : (lastCtl & AdvTxDescriptor.DCMD_VLE) != 0 && q.ctxVlan >= 0 ? q.ctxVlan : -1;
        int frame = total + (tag >= 0 ? 4 : 0);
        if (frame > PoolConfig.MAX_FRAME_LIMIT + 4 || total < Net.ETHER_HDR_LEN) {
            c.add(NicCounters.TX_FETCHED, 1);
            c.add(NicCounters.TX_DROP_TOO_LONG, 1);
            p.txCounters().add(Pool.TX_DROPPED, 1);
            return -1;
        }
        int m = takeStaging();
        if (m == Mbuf.NONE) {
            return -2;
        }
        burstFetched++;
        boolean ok;
        if (i == j && frame <= STAGING_ROOM) {
            // one buffer, one DMA (two around an inserted tag) straight into a fresh packet-buffer mbuf
            MemorySegment ms = staging.segment();
            long mb = staging.offset(m);
            long dst = mb + MbufDescriptor.METADATA_SIZE + MbufDescriptor.HEADROOM;
            ms.set(ValueLayout.JAVA_SHORT_UNALIGNED, mb + MbufDescriptor.DATA_LEN, (short) frame);
            ms.set(ValueLayout.JAVA_INT_UNALIGNED, mb + MbufDescriptor.PKT_LEN, frame);
            long addr = OffHeap.ALL.get(LONG, descsAt + (long) i * 16);
            if (tag < 0) {
                ok = dma.read(fn, addr, ms, dst, total);
            } else {
                ok = dma.read(fn, addr, ms, dst, 12) && dma.read(fn, addr + 12, ms, dst + 16, total - 12);
                ms.set(Net.BE16, dst + 12, (short) Net.ETHER_TYPE_VLAN);
                ms.set(Net.BE16, dst + 14, (short) tag);
            }
        } else {
            ok = gather(fn, i, j, tag);
            if (ok) {
                Mbuf.free(m);
                m = Mbuf.fromBytes(staging, linear, 0, frame);
                if (m == Mbuf.NONE) {
                    burstFetched--;
                    return -2;
                }
            }
        }
        if (!ok) {
            Mbuf.free(m);
            c.add(NicCounters.TX_DROP_IOMMU_FAULT, 1);
            p.txCounters().add(Pool.TX_DROPPED, 1);
            nic.mddEvent(p, "DMA fault reading a TX buffer of queue " + q.index(), true);
            return -1;
        }
        int firstOlinfo = olinfo(i);
        if ((firstOlinfo & (AdvTxDescriptor.POPTS_IXSM | AdvTxDescriptor.POPTS_TXSM)) != 0 && Mbuf.nbSegs(m) == 1) {
            offloadChecksums(q, m, tag >= 0, firstOlinfo);
        }
        if ((firstOlinfo & AdvTxDescriptor.POPTS_IPSEC) != 0 && !inlineEncrypt(q, p, m, tag >= 0)) {
            Mbuf.free(m);
            c.add(NicCounters.TX_DROP_IPSEC, 1);
            p.txCounters().add(Pool.TX_DROPPED, 1);
            return -1;
        }
        return m;
    }

    /**
     * Inline IPsec (82599 §7.12): the driver built the ESP frame — header, IV, padding, trailer,
     * room for the ICV — and named the SA in the context descriptor; the NIC encrypts the payload
     * and writes the ICV. The SA must belong to this pool.
     */
    private boolean inlineEncrypt(HwTxQueue q, Pool p, int m, boolean inserted) {
        if ((q.ctxTucmd & (AdvTxDescriptor.TUCMD_IPSEC_TYPE_ESP | AdvTxDescriptor.TUCMD_IPSEC_ENCRYPT_EN))
                != (AdvTxDescriptor.TUCMD_IPSEC_TYPE_ESP | AdvTxDescriptor.TUCMD_IPSEC_ENCRYPT_EN) || Mbuf.nbSegs(m) != 1) {
            return false;
        }
        io.havnet.nic.ipsec.SaTable.Entry sa = nic.ipsec().tx(q.ctxSa);
        if (sa == null || sa.owner() != p.index()) {
            return false;
        }
        MemorySegment s = Mbuf.segment(m);
        long off = Mbuf.dataOffset(m);
        int len = Mbuf.dataLen(m);
        int esp = q.ctxMacLen + (inserted ? 4 : 0) + q.ctxIpLen;
        int enc = len - esp - 16 - io.havnet.dataplane.crypto.AesGcm.TAG_LENGTH;
        if (q.ctxMacLen < 14 || q.ctxIpLen < 20 || enc < 2 || s.get(Net.BE32, off + esp) != sa.spi()) {
            return false;
        }
        sa.gcm().seal(s, off + esp, 8, off + esp + 8, off + esp + 16, enc, off + len - 16);
        c.add(NicCounters.TX_IPSEC, 1);
        return true;
    }

    /**
     * A reset packet-buffer mbuf from this engine's stash (refilled in bulk, reset one by one as
     * taken: a round uses a few and returns the rest), or NONE when the buffer is exhausted.
     */
    private int takeStaging() {
        if (stashLeft == 0) {
            if (staging.getBulk(stash, 0, stash.length) != stash.length) {
                return Mbuf.alloc(staging);
            }
            stashLeft = stash.length;
        }
        int m = stash[--stashLeft];
        Mbuf.reset(m);
        return m;
    }

    /** Returns the stash to the packet buffer (end of every round: nothing is held between rounds). */
    private void returnStash() {
        if (stashLeft > 0) {
            staging.putBulk(stash, 0, stashLeft);
            stashLeft = 0;
        }
    }

    /** Copies the buffers of descriptors [i, j] into {@link #linear}, inserting a VLAN tag if asked. */
    private boolean gather(PciFunction fn, int i, int j, int tag) {
        long pos = 0;
        boolean tagged = tag < 0;
        for (int k = i; k <= j; k++) {
            long addr = OffHeap.ALL.get(LONG, descsAt + (long) k * 16);
            int len = ctl(k) & AdvTxDescriptor.DTALEN_MASK;
            long done = 0;
            if (!tagged && pos + len >= 12) {
                int head = (int) (12 - pos);
                if (!dma.read(fn, addr, linear, pos, head)) {
                    return false;
                }
                pos += head;
                done = head;
                linear.set(Net.BE16, pos, (short) Net.ETHER_TYPE_VLAN);
                linear.set(Net.BE16, pos + 2, (short) tag);
                pos += 4;
                tagged = true;
            }
            if (len - done > 0 && !dma.read(fn, addr + done, linear, pos, (int) (len - done))) {
                return false;
            }
            pos += len - done;
        }
        return true;
    }

    /** IXSM/TXSM: the IPv4 header and TCP/UDP checksums, from the queue's context (MACLEN, IPLEN, TUCMD). */
    private void offloadChecksums(HwTxQueue q, int m, boolean inserted, int olinfo) {
        MemorySegment s = Mbuf.segment(m);
        long off = Mbuf.dataOffset(m);
        int len = Mbuf.dataLen(m);
        int l3 = q.ctxMacLen + (inserted ? 4 : 0);
        int l4 = l3 + q.ctxIpLen;
        boolean v4 = (q.ctxTucmd & AdvTxDescriptor.TUCMD_IPV4) != 0;
        if (q.ctxMacLen < 14 || q.ctxIpLen < 20 || l4 > len) {
            return; // a context that does not fit the frame: leave the frame as the driver wrote it
        }
        if (v4 && (olinfo & AdvTxDescriptor.POPTS_IXSM) != 0) {
            s.set(Net.BE16, off + l3 + 10, (short) 0);
            s.set(Net.BE16, off + l3 + 10, (short) Checksum.ipv4Header(s, off + l3, q.ctxIpLen));
        }
        if ((olinfo & AdvTxDescriptor.POPTS_TXSM) != 0) {
            boolean tcp = (q.ctxTucmd & AdvTxDescriptor.TUCMD_L4T_MASK) == AdvTxDescriptor.TUCMD_L4T_TCP;
            int proto = tcp ? Net.IPPROTO_TCP : Net.IPPROTO_UDP;
            int at = tcp ? 16 : 6;
            int l4len = len - l4;
            if (l4len < (tcp ? 20 : 8)) {
                return;
            }
            s.set(Net.BE16, off + l4 + at, (short) 0);
            long pseudo = v4 ? Checksum.ipv4PseudoHeader(s, off + l3, proto, l4len)
                    : Checksum.ipv6PseudoHeader(s, off + l3, proto, l4len);
            s.set(Net.BE16, off + l4 + at, (short) Checksum.l4(s, off + l4, l4len, pseudo, !tcp));
        }
    }

    /** Applies the pool's rules and sends {@code m} to the wire and/or local pools. */
    private void transmit(Pool p, PoolConfig cfg, int m) {
        Counters pc = p.txCounters();
        Mempool mp = Mempool.ofHandle(m);
        MemorySegment s = mp.segment();
        long mb = mp.offset(m);
        int len = s.get(ValueLayout.JAVA_INT_UNALIGNED, mb + MbufDescriptor.PKT_LEN);
        if (p.isVf() && cfg.linkState() == LinkState.DISABLE) {
            drop(m, pc, NicCounters.TX_DROP_LINK_DOWN);
            return;
        }
        long off = mb + MbufDescriptor.METADATA_SIZE
                + Short.toUnsignedInt(s.get(ValueLayout.JAVA_SHORT_UNALIGNED, mb + MbufDescriptor.DATA_OFF));
        long dst = (long) Short.toUnsignedInt(s.get(Net.BE16, off)) << 32 | Integer.toUnsignedLong(s.get(Net.BE32, off + 2));
        long src = (long) Short.toUnsignedInt(s.get(Net.BE16, off + 6)) << 32
                | Integer.toUnsignedLong(s.get(Net.BE32, off + 8));
        int vid = -1;
        if (Short.toUnsignedInt(s.get(Net.BE16, off + 12)) == Net.ETHER_TYPE_VLAN && len >= 18) {
            vid = s.get(Net.BE16, off + 14) & 0xFFF;
        }
        if (cfg.spoofCheck() && (p.isVf() || cfg.adminMac() && p.index() != nic.pfPool())) {
            if (src != cfg.mac()) {
                pc.add(Pool.TX_SPOOFED, 1);
                drop(m, pc, NicCounters.TX_DROP_SPOOF);
                return;
            }
            // with a port VLAN the NIC tagged the frame itself; without, a tag must be one the VF joined
            if (!cfg.hasPortVlan() && vid >= 0 && !cfg.vlans().contains(vid)) {
                pc.add(Pool.TX_SPOOFED, 1);
                drop(m, pc, NicCounters.TX_DROP_SPOOF);
                return;
            }
        }
        p.limiter().charge(len + Net.ETHER_CRC_LEN);
        long local = 0;
        if (nic.vebEnabled()) {
            local = table.enabled(table.matchVeb(dst, vid)) & ~(1L << p.index());
        }
        boolean flood = MacAddress.isMulticast(dst); // broadcast included
        boolean toWire = !flood ? local == 0 : true;
        if (toWire && !wireUp) {
            if (local == 0) {
                drop(m, pc, NicCounters.TX_DROP_LINK_DOWN);
                return;
            }
            toWire = false;
        }
        if (local != 0) {
            int lm = toWire ? Mbuf.copy(m, staging) : m;
            if (lm == Mbuf.NONE || !loopback(lm, p.index())) {
                if (lm != Mbuf.NONE && lm != m) {
                    Mbuf.free(lm);
                }
                if (!toWire) {
                    drop(m, pc, NicCounters.TX_DROP_VEB_FULL);
                    return;
                }
            } else {
                c.add(NicCounters.TX_LOOPBACK, 1);
            }
        }
        if (toWire) {
            wireBuf[(wireHead + wireCount) & (WIRE_BUF - 1)] = m;
            wireCount++;
            burstWire++;
            if (wireCount == WIRE_BUF) {
                flushWire();
            }
        }
        burstSent++;
        burstBytes += len;
    }

    private boolean loopback(int m, int srcPool) {
        Mbuf.setUserTag(m, srcPool);
        return loop.enqueue(m);
    }

    private void drop(int m, Counters pc, int reason) {
        Mbuf.free(m);
        c.add(reason, 1);
        pc.add(Pool.TX_DROPPED, 1);
    }

    /**
     * Frees the frames still waiting for the wire (it refused them: full or gone), counted as
     * dropped for link down. For the NIC's close, when the engines run no more.
     */
    public void releaseHeld() {
        flushWire();
        if (wireCount > 0) {
            for (int i = 0; i < wireCount; i++) {
                Mbuf.free(wireBuf[(wireHead + i) & (WIRE_BUF - 1)]);
            }
            c.add(NicCounters.TX_DROP_LINK_DOWN, wireCount);
            wireCount = 0;
            wireHead = 0;
        }
    }

    /**
     * How many of the next {@code chunk} frames the paced line takes now, charged: frames go while
     * the line has credit, the last one may take it below zero (one frame of debt, so the long-run
     * rate is exact). 0 (counted in {@code tx_line_busy}) when the line is still busy.
     */
    private int lineAllows(int chunk) {
        long t = nic.clock().nanoTime();
        int k = 0;
        while (k < chunk && line.mayPass(t)) {
            line.charge(Net.wireBytes(Mbuf.pktLen(wireBuf[wireHead + k])));
            k++;
        }
        if (k == 0) {
            c.add(NicCounters.TX_LINE_BUSY, 1);
        }
        return k;
    }

    /** Hands pending frames to the port; true when none is left pending. */
    private boolean flushWire() {
        while (wireCount > 0) {
            int chunk = Math.min(wireCount, wireBuf.length - wireHead);
            int allowed = line.unlimited() ? chunk : lineAllows(chunk);
            if (allowed == 0) {
                return false;
            }
            int sent = wire.txBurst(0, wireBuf, wireHead, allowed);
            for (int i = sent; i < allowed; i++) { // the wire refused them: the line did not carry them
                line.refund(Net.wireBytes(Mbuf.pktLen(wireBuf[wireHead + i])));
            }
            wireHead = (wireHead + sent) & (WIRE_BUF - 1);
            wireCount -= sent;
            if (sent < chunk) {
                return false;
            }
        }
        wireHead = 0;
        return true;
    }
}
