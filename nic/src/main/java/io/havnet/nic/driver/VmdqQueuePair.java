package io.havnet.nic.driver;

import io.havnet.dataplane.memory.MemoryRegion;
import io.havnet.nic.Nic;
import io.havnet.nic.desc.AdvRxDescriptor;
import io.havnet.nic.desc.AdvTxDescriptor;
import io.havnet.nic.regs.RegisterFile;
import io.havnet.nic.regs.Registers;
import io.havnet.nic.vmdq.Pool;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * Queue pair 0 of a VMDq pool driven at descriptor level, by buffer address rather than by
 * mbuf: the caller posts any address the PF's DMA reaches (on a host, guest RAM pinned by the
 * hypervisor) with a 64-bit cookie of its own, and reads completions back by cookie. This is
 * what a zero-copy VMDq relay needs — the NIC writes a VM's frames straight into the buffers
 * the guest posted and reads what it sends straight from the guest's buffers — and what the
 * mbuf-based {@link PoolEthDev} cannot express. One thread drives it; {@link #stop()} may come
 * from another once that thread is excluded by the caller.
 */
public final class VmdqQueuePair {
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final VarHandle INT_VH = ValueLayout.JAVA_INT.varHandle();

    private final String name;
    private final RegisterFile regs;
    private final MemorySegment mem;
    private final int hwq;
    private final int bufKb;
    private final int rxCount;
    private final long rxDesc;
    private final long rxIova;
    private final long[] rxCookie;
    private final int txCount;
    private final long txDesc;
    private final long txIova;
    private final long[] txCookie;
    private final int[] rsPos;
    private boolean started;
    // RX: descriptors [rxNext, rxPost) are with the device
    private int rxNext;
    private int rxPost;
    private int rxPosted;
    private boolean rxDirty;
    // TX: descriptors [txClean, txTail) are with the device; RS on the last of each flush
    private int txTail;
    private int txClean;
    private int txInFlight;
    private int txFlushedFrom;
    private int rsHead;
    private int rsCount;
    private int lastEop = -1;

    /**
     * @param bufKb RX buffer size in KiB (SRRCTL.BSIZEPACKET): every buffer posted must hold this much
     */
    public VmdqQueuePair(String name, Nic nic, int pool, MemoryRegion ringMemory, int rxCount, int txCount, int bufKb) {
        Pool p = nic.pool(pool);
        if (p.isVf()) {
            throw new IllegalArgumentException("pool " + pool + " belongs to VF " + p.function().vfIndex());
        }
        if (rxCount % 8 != 0 || txCount % 8 != 0 || rxCount < 8 || txCount < 8) {
            throw new IllegalArgumentException(name + ": descriptor counts must be multiples of 8");
        }
        if (bufKb < 1 || bufKb > 16) {
            throw new IllegalArgumentException(name + ": buffer size " + bufKb + " KiB outside [1, 16]");
        }
        this.name = name;
        this.regs = nic.pfRegisters();
        this.mem = ringMemory.segment();
        this.hwq = p.firstQueue();
        this.bufKb = bufKb;
        this.rxCount = rxCount;
        this.rxDesc = ringMemory.allocate((long) rxCount * 16, 128);
        this.rxIova = ringMemory.iovaOfOffset(rxDesc);
        this.rxCookie = new long[rxCount];
        this.txCount = txCount;
        this.txDesc = ringMemory.allocate((long) txCount * 16, 128);
        this.txIova = ringMemory.iovaOfOffset(txDesc);
        this.txCookie = new long[txCount];
        this.rsPos = new int[txCount];
    }

    public String name() {
        return name;
    }

    /** Bytes the device writes into one RX buffer before it moves to the next descriptor. */
    public int bufferSize() {
        return bufKb * 1024;
    }

    public boolean isStarted() {
        return started;
    }

    /** Programs both rings (empty) and enables the queues. */
    public void start() {
        if (started) {
            return;
        }
        for (int i = 0; i < rxCount; i++) {
            mem.set(LONG, rxDesc + 16L * i, 0L);
            mem.set(LONG, rxDesc + 16L * i + 8, 0L);
        }
        for (int i = 0; i < txCount; i++) {
            mem.set(LONG, txDesc + 16L * i, 0L);
            mem.set(LONG, txDesc + 16L * i + 8, 0L);
        }
        rxNext = rxPost = rxPosted = 0;
        rxDirty = false;
        txTail = txClean = txInFlight = txFlushedFrom = rsHead = rsCount = 0;
        lastEop = -1;
        regs.write(Registers.RDBAL(hwq), (int) rxIova);
        regs.write(Registers.RDBAH(hwq), (int) (rxIova >>> 32));
        regs.write(Registers.RDLEN(hwq), rxCount * 16);
        regs.write(Registers.SRRCTL(hwq), bufKb & Registers.SRRCTL_BSIZEPKT_MASK);
        // tails before ENABLE, as ixgbe does: a tail left over from before would hand the device
        // descriptors this ring has not written
        regs.write(Registers.RDT(hwq), 0);
        regs.write(Registers.RXDCTL(hwq), Registers.RXDCTL_ENABLE);
        regs.write(Registers.TDBAL(hwq), (int) txIova);
        regs.write(Registers.TDBAH(hwq), (int) (txIova >>> 32));
        regs.write(Registers.TDLEN(hwq), txCount * 16);
        regs.write(Registers.TDT(hwq), 0);
        regs.write(Registers.TXDCTL(hwq), Registers.TXDCTL_ENABLE);
        started = true;
    }

    /**
     * Disables both queues; returns once the device no longer touches any posted buffer (the
     * ENABLE bits read 0). Afterwards {@link #forEachLeft} tells what the device still held.
     */
    public void stop() {
        if (!started) {
            return;
        }
        regs.write(Registers.RXDCTL(hwq), 0);
        regs.write(Registers.TXDCTL(hwq), 0);
        started = false;
    }

    // ---------------------------------------------------------------- RX

    /** Descriptors that can still be posted (one slot stays empty: a full ring would look empty). */
    public int rxRoom() {
        return rxCount - 1 - rxPosted;
    }

    /** Posts a buffer of at least {@link #bufferSize()} bytes at {@code iova}. Call {@link #rxFlush} after a batch. */
    public void rxPost(long iova, long cookie) {
        long d = rxDesc + 16L * rxPost;
        mem.set(LONG, d + AdvRxDescriptor.PKT_ADDR, iova);
        mem.set(LONG, d + AdvRxDescriptor.HDR_ADDR, 0L); // also clears DD
        rxCookie[rxPost] = cookie;
        rxPost = rxPost + 1 == rxCount ? 0 : rxPost + 1;
        rxPosted++;
        rxDirty = true;
    }

    /** Hands the buffers posted since the last flush to the device (the RDT doorbell). */
    public void rxFlush() {
        if (rxDirty) {
            regs.write(Registers.RDT(hwq), rxPost);
            rxDirty = false;
        }
    }

    /** The write-back status of the oldest posted descriptor if the device is done with it, else 0. */
    public int rxStatus() {
        if (rxPosted == 0) {
            return 0;
        }
        int st = (int) INT_VH.getAcquire(mem, rxDesc + 16L * rxNext + AdvRxDescriptor.STATUS_ERROR);
        return (st & AdvRxDescriptor.STAT_DD) != 0 ? st : 0;
    }

    /** Bytes the device wrote into the oldest descriptor (valid once {@link #rxStatus()} is non-zero). */
    public int rxLength() {
        return Short.toUnsignedInt(mem.get(SHORT, rxDesc + 16L * rxNext + AdvRxDescriptor.LENGTH));
    }

    /** The cookie of the oldest posted descriptor. */
    public long rxCookie() {
        return rxCookie[rxNext];
    }

    /** Takes the oldest descriptor back from the device. */
    public void rxAdvance() {
        rxNext = rxNext + 1 == rxCount ? 0 : rxNext + 1;
        rxPosted--;
    }

    /** Descriptors with the device now. */
    public int rxPosted() {
        return rxPosted;
    }

    // ---------------------------------------------------------------- TX

    /** TX descriptors free now (after {@link #txReap}). */
    public int txRoom() {
        return txCount - 1 - txInFlight;
    }

    /**
     * Writes one data descriptor; {@code cookie} comes back from {@link #txReap} once the device
     * has sent it (give the frame's cookie to its last descriptor, -1 to the others).
     */
    public void txPost(long iova, int len, boolean eop, long cookie) {
        long d = txDesc + 16L * txTail;
        mem.set(LONG, d + AdvTxDescriptor.ADDR, iova);
        mem.set(INT, d + AdvTxDescriptor.CMD_TYPE_LEN, len | AdvTxDescriptor.DTYP_DATA | AdvTxDescriptor.DCMD_DEXT
                | AdvTxDescriptor.DCMD_IFCS | (eop ? AdvTxDescriptor.DCMD_EOP : 0));
        mem.set(INT, d + AdvTxDescriptor.OLINFO_STATUS, 0);
        txCookie[txTail] = cookie;
        if (eop) {
            lastEop = txTail;
        }
        txTail = txTail + 1 == txCount ? 0 : txTail + 1;
        txInFlight++;
    }

    /** Asks for a write-back on the last frame posted and rings the TDT doorbell. */
    public void txFlush() {
        if (txTail == txFlushedFrom) {
            return;
        }
        long d = txDesc + 16L * lastEop;
        mem.set(INT, d + AdvTxDescriptor.CMD_TYPE_LEN, mem.get(INT, d + AdvTxDescriptor.CMD_TYPE_LEN) | AdvTxDescriptor.DCMD_RS);
        rsPos[(rsHead + rsCount) % rsPos.length] = lastEop;
        rsCount++;
        txFlushedFrom = txTail;
        regs.write(Registers.TDT(hwq), txTail);
    }

    /**
     * Puts the cookies (≥ 0) of the frames the device has sent into {@code out}, oldest first, as
     * far as room allows; returns how many.
     */
    public int txReap(long[] out, int off, int max) {
        int k = 0;
        while (rsCount > 0) {
            int rs = rsPos[rsHead];
            int st = (int) INT_VH.getAcquire(mem, txDesc + 16L * rs + AdvTxDescriptor.OLINFO_STATUS);
            if ((st & AdvTxDescriptor.STA_DD) == 0) {
                break;
            }
            int frames = 0;
            for (int i = txClean; ; i = i + 1 == txCount ? 0 : i + 1) {
                if (txCookie[i] >= 0) {
                    frames++;
                }
                if (i == rs) {
                    break;
                }
            }
            if (frames > max - k) {
                break;
            }
            int i = txClean;
            while (true) {
                if (txCookie[i] >= 0) {
                    out[off + k++] = txCookie[i];
                    txCookie[i] = -1;
                }
                txInFlight--;
                if (i == rs) {
                    break;
                }
                i = i + 1 == txCount ? 0 : i + 1;
            }
            txClean = rs + 1 == txCount ? 0 : rs + 1;
            rsHead = (rsHead + 1) % rsPos.length;
            rsCount--;
        }
        return k;
    }

    // ---------------------------------------------------------------- after stop

    /** What the device held when it was stopped. */
    public interface Left {
        /** An RX buffer still posted; {@code status} is its write-back status (DD set: the device wrote into it). */
        void rx(long cookie, int status);

        /** A TX frame still posted; {@code sent}: the device had fetched it before it stopped (it left). */
        void tx(long cookie, boolean sent);
    }

    /**
     * Reports every buffer still posted after {@link #stop()} and forgets them: RX buffers with
     * their write-back status, TX frames (by their cookie) with whether the device fetched them
     * before it stopped (TDH). The rings are empty afterwards.
     */
    public void forEachLeft(Left l) {
        if (started) {
            throw new IllegalStateException(name + ": still running");
        }
        for (int i = rxNext, n = 0; n < rxPosted; n++, i = i + 1 == rxCount ? 0 : i + 1) {
            l.rx(rxCookie[i], mem.get(INT, rxDesc + 16L * i + AdvRxDescriptor.STATUS_ERROR));
        }
        rxPosted = 0;
        rxNext = rxPost;
        int head = regs.read(Registers.TDH(hwq));
        int fetched = Math.floorMod(head - txClean, txCount);
        for (int i = txClean, n = 0; n < txInFlight; n++, i = i + 1 == txCount ? 0 : i + 1) {
            if (txCookie[i] >= 0) {
                l.tx(txCookie[i], n < fetched);
                txCookie[i] = -1;
            }
        }
        txInFlight = 0;
        rsCount = 0;
        txClean = txTail;
    }

    @Override
    public String toString() {
        return name + " (queue " + hwq + ")";
    }
}
