package io.havnet.nic.engine;

import io.havnet.nic.desc.AdvRxDescriptor;
import io.havnet.nic.regs.RegisterFile;
import io.havnet.nic.vmdq.Pool;
import io.havnet.platform.dma.Dma;
import io.havnet.platform.pci.PciFunction;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The device side of one receive queue: the ring the driver described in RDBAL/RDBAH/RDLEN
 * (latched when it sets RXDCTL.ENABLE), the head the device owns, and the write into the
 * driver's buffers through DMA. Used by the RX engine thread only, except {@link #latch}, which
 * the register hook calls and which publishes a new immutable ring configuration.
 */
public final class HwRxQueue {
    /** {@link #receive} results. */
    public static final int OK = 0;
    public static final int DISABLED = 1;
    public static final int NO_DESCRIPTOR = 2;
    public static final int FAULT = 3;

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final java.lang.invoke.VarHandle STATUS = ValueLayout.JAVA_INT.varHandle();

    /** A latched ring. */
    record Ring(long base, int count, int bufSize, boolean vlanStrip, int generation) {}

    private final int index;
    private final Pool pool;
    private final PciFunction function;
    private final RegisterFile regs;
    private final int offRdbal;
    private final int offRdbah;
    private final int offRdlen;
    private final int offRdh;
    private final int offSrrctl;
    private final int offRdt;
    private final int offRxdctl;
    private volatile Ring ring;
    private int generation;
    private int head;
    private int seenGeneration = -1;
    private final MemorySegment desc = Arena.ofAuto().allocate(AdvRxDescriptor.SIZE, 16);
    /** Descriptors the device holds in its cache, read ahead from the ring. */
    private static final int CACHE = 32;
    private final long[] cacheWords = new long[CACHE * 2]; // read as array elements: no segment checks
    private final MemorySegment cache = MemorySegment.ofArray(cacheWords);
    /** Cache slot of the descriptor at {@link #head}, and how many cached descriptors follow from there. */
    private int cacheNext;
    private int cached;
    /** HPAs of the descriptors of the frame being written (a 9.5 KiB frame over 1 KiB buffers needs 10). */
    private final long[] descHpa = new long[16];
    /**
     * The write-back buffer: descriptors done with in this pass, their HPA (translated when their
     * data was written) and their two write-back words, until {@link #writeBack}. The 82599 too
     * holds completed descriptors on chip and writes them back together (RXDCTL.WTHRESH) rather
     * than one PCIe write per frame. Here it keeps the NIC's core from taking a descriptor line
     * back from a driver polling it once per frame: the line moves once per pass. Empty between
     * passes, so a queue disable, which waits for the pass in progress ({@link EnginePass}),
     * finds every write-back landed.
     */
    private static final int HELD = 64;
    private final long[] heldHpa = new long[HELD];
    private final long[] heldWords = new long[HELD * 2];
    private int heldCount;
    /** Set by the RX engine when it lists this queue for {@link #writeBack} in the pass. */
    boolean listed;
    private long packets;
    private long noDescriptor;

    HwRxQueue(int index, Pool pool, RegisterFile regs, int offRdbal, int offRdbah, int offRdlen, int offRdh,
              int offSrrctl, int offRdt, int offRxdctl) {
        this.index = index;
        this.pool = pool;
        this.function = pool.function();
        this.regs = regs;
        this.offRdbal = offRdbal;
        this.offRdbah = offRdbah;
        this.offRdlen = offRdlen;
        this.offRdh = offRdh;
        this.offSrrctl = offSrrctl;
        this.offRdt = offRdt;
        this.offRxdctl = offRxdctl;
    }

    public int index() {
        return index;
    }

    public Pool pool() {
        return pool;
    }

    boolean isControlRegister(int off) {
        return off == offRxdctl;
    }

    /** RXDCTL was written: enable (latch the ring registers) or disable the queue. */
    void latch(int rxdctl) {
        if ((rxdctl & io.havnet.nic.regs.Registers.RXDCTL_ENABLE) == 0) {
            ring = null;
            return;
        }
        long base = Integer.toUnsignedLong(regs.read(offRdbal)) | (long) regs.read(offRdbah) << 32;
        int len = regs.read(offRdlen);
        int bsize = (regs.read(offSrrctl) & io.havnet.nic.regs.Registers.SRRCTL_BSIZEPKT_MASK) * 1024;
        if (bsize == 0) {
            bsize = 2048;
        }
        if (len <= 0 || len % 128 != 0 || (base & 127) != 0) {
            ring = null; // the 82599 requires 128-byte aligned rings of a multiple of 128 bytes
            return;
        }
        regs.set(offRdh, 0);
        ring = new Ring(base, len / AdvRxDescriptor.SIZE, bsize,
                (rxdctl & io.havnet.nic.regs.Registers.RXDCTL_VME) != 0, ++generation);
    }

    /** Forgets the ring (queue reset): registers cleared, queue disabled. */
    void reset() {
        ring = null;
        for (int off : new int[] {offRdbal, offRdbah, offRdlen, offRdh, offSrrctl, offRdt, offRxdctl}) {
            regs.set(off, 0);
        }
    }

    /** True when the driver enabled this queue with VLAN stripping (RXDCTL.VME). */
    public boolean vlanStrip() {
        Ring r = ring;
        return r != null && r.vlanStrip();
    }

    public boolean enabled() {
        return ring != null;
    }

    /**
     * Writes one frame into the driver's buffers: as many descriptors as the buffer size needs,
     * data first, then each write-back with DD last (release), then RDH.
     *
     * @param src       frame bytes
     * @param stripTag  remove the 802.1Q tag at offset 12 and report it in the descriptor (VP)
     * @param tci       the frame's tag, or -1
     * @return {@link #OK}, {@link #DISABLED}, {@link #NO_DESCRIPTOR} or {@link #FAULT}
     */
    int receive(Dma dma, MemorySegment src, long off, int len, boolean stripTag, int tci, int rssHash, int ptype,
                int extraStatus, int errors) {
        Ring r = ring;
        if (r == null) {
            return DISABLED;
        }
        if (r.generation() != seenGeneration) {
            writeBack(dma.host()); // what this pass completed in the ring latched before goes there first
            seenGeneration = r.generation();
            head = 0;
            cached = 0;
        }
        int count = r.count();
        int dataLen = stripTag ? len - 4 : len;
        int bufSize = r.bufSize();
        int need = dataLen <= bufSize ? 1 : (dataLen + bufSize - 1) / bufSize; // no division for a one-buffer frame
        if (cached < need) {
            // RDT is read when the descriptor cache runs short: the cached descriptors all lie
            // between head and the tail read last time, so they are the driver's to give
            int tail = regs.read(offRdt);
            int avail = tail - head;
            if (avail < 0) {
                avail += count;
            }
            if (tail < 0 || tail >= count || avail < need) {
                noDescriptor++;
                return NO_DESCRIPTOR;
            }
            if (!fetchDescriptors(dma, r, avail)) {
                return FAULT; // the ring itself is unreachable: nothing can be returned to the driver
            }
        }
        // data into each descriptor's buffer (its address from the descriptor cache); the
        // descriptor's page is translated for the write-back (rings are 128-byte aligned, a
        // descriptor never crosses a page)
        MemorySegment host = dma.host();
        int h = head;
        int done = 0;
        for (int i = 0; i < need; i++) {
            long descIova = r.base() + (long) h * AdvRxDescriptor.SIZE;
            long dh = dma.translate(function, descIova, true);
            descHpa[i] = dh;
            if (dh < 0) {
                return FAULT;
            }
            long buf = cacheWords[2 * (cacheNext + i)]; // PKT_ADDR
            int chunk = Math.min(r.bufSize(), dataLen - done);
            boolean ok;
            if (stripTag && done == 0) {
                ok = dma.write(function, buf, src, off, 12)
                        && dma.write(function, buf + 12, src, off + 16, chunk - 12);
            } else {
                long from = stripTag ? off + 4 + done : off + done;
                ok = dma.write(function, buf, src, from, chunk);
            }
            if (!ok) {
                // the buffer is unreachable: hand the descriptors back marked RXE, the frame is lost
                returnWithError(dma, r, i + 1);
                return FAULT;
            }
            done += chunk;
            h = h + 1 == count ? 0 : h + 1;
        }
        // write-backs: held in the write-back buffer until the end of the engine's pass
        h = head;
        done = 0;
        int info = (ptype & 0x1FFF) << 4 | (rssHash != 0 ? AdvRxDescriptor.RSS_TYPE_VALID : 0);
        int vlanField = stripTag ? tci << 16 : 0;
        if (heldCount + need > HELD) {
            writeBack(host);
        }
        for (int i = 0; i < need; i++) {
            long dh = descHpa[i];
            int chunk = Math.min(r.bufSize(), dataLen - done);
            boolean last = i == need - 1;
            int status = AdvRxDescriptor.STAT_DD | (last ? AdvRxDescriptor.STAT_EOP | extraStatus | errors : 0)
                    | (stripTag ? AdvRxDescriptor.STAT_VP : 0);
            int k = heldCount++;
            heldHpa[k] = dh;
            heldWords[2 * k] = (long) rssHash << 32 | Integer.toUnsignedLong(info);
            heldWords[2 * k + 1] = Integer.toUnsignedLong(chunk | vlanField) | (long) status << 32;
            done += chunk;
            h = h + 1 == count ? 0 : h + 1;
        }
        head = h;
        cacheNext += need;
        cached -= need;
        regs.set(offRdh, h);
        packets++;
        return OK;
    }

    /**
     * Fills the descriptor cache from the ring: up to {@link #CACHE} descriptors from the head,
     * as many as the driver made available, in one or two DMA reads (82599 §7.1.3.4: the device
     * prefetches receive descriptors into an on-chip cache rather than reading one per frame).
     * Descriptors from head to tail belong to the device, so cached ones cannot go stale. Reads
     * again any still cached, whose slots start the cache anew.
     */
    private boolean fetchDescriptors(Dma dma, Ring r, int avail) {
        int n = Math.min(avail, CACHE);
        int first = Math.min(n, r.count() - head);
        long size = AdvRxDescriptor.SIZE;
        if (!dma.read(function, r.base() + head * size, cache, 0, (int) (first * size))
                || first < n && !dma.read(function, r.base(), cache, first * size, (int) ((n - first) * size))) {
            cached = 0;
            return false;
        }
        cacheNext = 0;
        cached = n;
        return true;
    }

    /** Writes back {@code n} descriptors from head as done, the last with EOP and RXE, length 0. */
    private void returnWithError(Dma dma, Ring r, int n) {
        writeBack(dma.host()); // the frames before this one first: ring order
        cached = 0;
        int h = head;
        for (int i = 0; i < n; i++) {
            long descIova = r.base() + (long) h * AdvRxDescriptor.SIZE;
            boolean last = i == n - 1;
            desc.set(LONG, 0, 0L);
            desc.set(LONG, 8, 0L);
            int status = AdvRxDescriptor.STAT_DD | (last ? AdvRxDescriptor.STAT_EOP | AdvRxDescriptor.ERR_RXE : 0);
            if (!dma.write(function, descIova, desc, 0, AdvRxDescriptor.SIZE)
                    || !dma.writeIntRelease(function, descIova + AdvRxDescriptor.STATUS_ERROR, status)) {
                return;
            }
            h = h + 1 == r.count() ? 0 : h + 1;
        }
        head = h;
        regs.set(offRdh, h);
    }

    /**
     * Writes back every descriptor held since the last call, in ring order, each with its DD
     * last (a release store): the RX engine calls it once per pass for every queue that received.
     */
    void writeBack(MemorySegment host) {
        for (int k = 0; k < heldCount; k++) {
            long dh = heldHpa[k];
            host.set(LONG, dh, heldWords[2 * k]);
            host.set(INT, dh + AdvRxDescriptor.LENGTH, (int) heldWords[2 * k + 1]);
            STATUS.setRelease(host, dh + AdvRxDescriptor.STATUS_ERROR, (int) (heldWords[2 * k + 1] >>> 32));
        }
        heldCount = 0;
    }

    public long packets() {
        return packets;
    }

    /** Frames that found no free descriptor in this queue. */
    public long noDescriptor() {
        return noDescriptor;
    }
}
