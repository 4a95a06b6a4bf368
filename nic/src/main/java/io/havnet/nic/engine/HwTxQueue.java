package io.havnet.nic.engine;

import io.havnet.nic.desc.AdvTxDescriptor;
import io.havnet.nic.regs.RegisterFile;
import io.havnet.nic.regs.Registers;
import io.havnet.nic.vmdq.Pool;

/**
 * The device side of one transmit queue: the latched ring, the head the device owns, and the
 * last context descriptor (VLAN, header lengths, checksum commands) the driver sent. Used by the
 * TX engine thread, except {@link #latch}, called by the register hook.
 */
public final class HwTxQueue {
    /** A latched ring. */
    record Ring(long base, int count, int generation) {}

    private final int index;
    private final Pool pool;
    private final RegisterFile regs;
    private final int offTdbal;
    private final int offTdbah;
    private final int offTdlen;
    private final int offTdh;
    private final int offTdt;
    private final int offTxdctl;
    private volatile Ring ring;
    private int generation;
    int head;
    int seenGeneration = -1;
    /** The out-of-range tail last reported as a malicious-driver event, or {@link #NO_BAD_TAIL}. */
    long badTail = NO_BAD_TAIL;
    /** Outside the range of a 32-bit register: no tail value equals it. */
    static final long NO_BAD_TAIL = Long.MIN_VALUE;
    // last context descriptor
    int ctxVlan = -1;
    int ctxMacLen;
    int ctxIpLen;
    int ctxTucmd;
    int ctxSa = -1;

    HwTxQueue(int index, Pool pool, RegisterFile regs, int offTdbal, int offTdbah, int offTdlen, int offTdh, int offTdt,
              int offTxdctl) {
        this.index = index;
        this.pool = pool;
        this.regs = regs;
        this.offTdbal = offTdbal;
        this.offTdbah = offTdbah;
        this.offTdlen = offTdlen;
        this.offTdh = offTdh;
        this.offTdt = offTdt;
        this.offTxdctl = offTxdctl;
    }

    public int index() {
        return index;
    }

    public Pool pool() {
        return pool;
    }

    boolean isControlRegister(int off) {
        return off == offTxdctl;
    }

    void latch(int txdctl) {
        if ((txdctl & Registers.TXDCTL_ENABLE) == 0) {
            ring = null;
            return;
        }
        long base = Integer.toUnsignedLong(regs.read(offTdbal)) | (long) regs.read(offTdbah) << 32;
        int len = regs.read(offTdlen);
        if (len <= 0 || len % 128 != 0 || (base & 127) != 0) {
            ring = null;
            return;
        }
        regs.set(offTdh, 0);
        ring = new Ring(base, len / AdvTxDescriptor.SIZE, ++generation);
    }

    /**
     * Forgets the ring (queue reset): registers cleared and the queue disabled, except TDH, which
     * is left at {@code accountedTo} — every descriptor before it was sent or counted by the device.
     */
    void reset(int accountedTo) {
        ring = null;
        for (int off : new int[] {offTdbal, offTdbah, offTdlen, offTdt, offTxdctl}) {
            regs.set(off, 0);
        }
        regs.set(offTdh, accountedTo);
    }

    /** The head as last published in TDH. */
    int publishedHead() {
        return regs.read(offTdh);
    }

    Ring ring() {
        return ring;
    }

    /** The driver's tail (acquire). */
    int tail() {
        return regs.read(offTdt);
    }

    void publishHead() {
        regs.set(offTdh, head);
    }

    public boolean enabled() {
        return ring != null;
    }
}
