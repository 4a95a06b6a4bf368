package io.havnet.nic.engine;

import io.havnet.nic.Nic;
import io.havnet.nic.regs.Registers;
import io.havnet.nic.vmdq.Pool;

/**
 * The 128 queue pairs and the decoding of register writes that concern them: an RXDCTL/TXDCTL
 * write enables or disables a queue. A TDT write needs no decoding: the TX engine compares the
 * tail of every enabled queue with its head each round, as the 82599 does. PF-owned queues are
 * programmed through the PF's BAR at their absolute index; a VF's queues through the VF's BAR
 * at their index within the VF. A write that disables a queue returns only once the engines are
 * past it, as the 82599's ENABLE bit reads 0 only once the queue is quiet.
 */
public final class Queues {
    private final Nic nic;
    private final Pool[] pools;
    private final int qpp;
    private final HwRxQueue[] rx = new HwRxQueue[Nic.QUEUES];
    private final HwTxQueue[] tx = new HwTxQueue[Nic.QUEUES];
    private volatile HwTxQueue[] liveTx = new HwTxQueue[0];

    public Queues(Nic nic, Pool[] pools, int queuesPerPool) {
        this.nic = nic;
        this.pools = pools;
        this.qpp = queuesPerPool;
        for (Pool p : pools) {
            for (int i = 0; i < qpp; i++) {
                int hw = p.firstQueue() + i;
                if (p.isVf()) {
                    rx[hw] = new HwRxQueue(hw, p, p.registers(), Registers.VFRDBAL(i), Registers.VFRDBAH(i),
                            Registers.VFRDLEN(i), Registers.VFRDH(i), Registers.VFSRRCTL(i), Registers.VFRDT(i),
                            Registers.VFRXDCTL(i));
                    tx[hw] = new HwTxQueue(hw, p, p.registers(), Registers.VFTDBAL(i), Registers.VFTDBAH(i),
                            Registers.VFTDLEN(i), Registers.VFTDH(i), Registers.VFTDT(i), Registers.VFTXDCTL(i));
                } else {
                    rx[hw] = new HwRxQueue(hw, p, p.registers(), Registers.RDBAL(hw), Registers.RDBAH(hw),
                            Registers.RDLEN(hw), Registers.RDH(hw), Registers.SRRCTL(hw), Registers.RDT(hw),
                            Registers.RXDCTL(hw));
                    tx[hw] = new HwTxQueue(hw, p, p.registers(), Registers.TDBAL(hw), Registers.TDBAH(hw),
                            Registers.TDLEN(hw), Registers.TDH(hw), Registers.TDT(hw), Registers.TXDCTL(hw));
                }
            }
        }
    }

    /**
     * The TX queues whose rings are latched, in queue order: the ones the TX engine compares tail
     * with head every round. Republished whenever a TXDCTL write or a reset changes the set.
     */
    public HwTxQueue[] liveTx() {
        return liveTx;
    }

    /** Republishes {@link #liveTx()} from the queues' current state (any thread). */
    synchronized void refreshLiveTx() {
        HwTxQueue[] live = new HwTxQueue[tx.length];
        int n = 0;
        for (HwTxQueue q : tx) {
            if (q != null && q.enabled()) {
                live[n++] = q;
            }
        }
        liveTx = java.util.Arrays.copyOf(live, n);
    }

    public HwRxQueue rx(int hw) {
        return rx[hw];
    }

    public HwTxQueue tx(int hw) {
        return tx[hw];
    }

    /** A PF BAR write. */
    public void onPfWrite(int off, int value) {
        int hw = -1;
        boolean isRx = false;
        if (off >= 0x01000 && off < 0x01000 + 64 * 0x40) {
            hw = (off - 0x01000) / 0x40;
            isRx = true;
        } else if (off >= 0x0D000 && off < 0x0D000 + 64 * 0x40) {
            hw = 64 + (off - 0x0D000) / 0x40;
            isRx = true;
        } else if (off >= 0x06000 && off < 0x06000 + Nic.QUEUES * 0x40) {
            hw = (off - 0x06000) / 0x40;
        }
        if (off == Registers.MRQC) {
            for (Pool p : pools) {
                if (!p.isVf()) {
                    p.setRssFields(Registers.rssFields(value));
                }
            }
            return;
        }
        if (off >= Registers.RETA(0) && off < Registers.RETA(32)) {
            for (Pool p : pools) {
                if (!p.isVf()) {
                    setReta(p, (off - Registers.RETA(0)) / 4, value);
                }
            }
            return;
        }
        if (hw < 0 || rx[hw].pool().isVf()) {
            return; // not a queue register, or a VF's queue (programmed through the VF's BAR)
        }
        dispatch(hw, isRx, off, value);
    }

    /** A VF BAR write. */
    public void onVfWrite(int vf, int off, int value) {
        Pool p = pools[vf];
        int i = -1;
        boolean isRx = false;
        if (off >= 0x01000 && off < 0x01000 + qpp * 0x40) {
            i = (off - 0x01000) / 0x40;
            isRx = true;
        } else if (off >= 0x02000 && off < 0x02000 + qpp * 0x40) {
            i = (off - 0x02000) / 0x40;
        }
        if (i >= 0) {
            dispatch(p.firstQueue() + i, isRx, off, value);
        } else if (off == Registers.VFMRQC) {
            p.setRssFields(Registers.rssFields(value));
        } else if (off >= Registers.VFRETA(0) && off < Registers.VFRETA(32)) {
            setReta(p, (off - Registers.VFRETA(0)) / 4, value);
        }
    }

    /** Four RETA entries (one byte each) of register {@code n}; entries beyond the pool's queues wrap. */
    private static void setReta(Pool p, int n, int value) {
        int[] reta = p.reta();
        for (int b = 0; b < 4; b++) {
            reta[4 * n + b] = (value >>> (8 * b) & 0xFF) % p.queues();
        }
    }

    private void dispatch(int hw, boolean isRx, int off, int value) {
        if (isRx) {
            if (rx[hw].isControlRegister(off)) {
                rx[hw].latch(value);
                if ((value & Registers.RXDCTL_ENABLE) == 0 && nic.rxEngine() != null) {
                    nic.rxEngine().pass().await(); // a frame being written lands before the write returns
                }
            }
        } else if (tx[hw].isControlRegister(off)) {
            tx[hw].latch(value);
            refreshLiveTx();
            if ((value & Registers.TXDCTL_ENABLE) == 0 && nic.txEngine() != null) {
                nic.txEngine().pass().await(); // and the head it published is final
            }
        }
    }

    /** Resets every RX queue of {@code pool} (engine thread). */
    void resetRx(Pool pool) {
        for (int i = 0; i < pool.queues(); i++) {
            rx[pool.firstQueue() + i].reset();
        }
    }
}
