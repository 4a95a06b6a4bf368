package io.havnet.nic.vmdq;

import io.havnet.dataplane.stats.CounterDef;
import io.havnet.dataplane.stats.Counters;
import io.havnet.nic.regs.RegisterFile;
import io.havnet.nic.sriov.TokenBucket;
import io.havnet.platform.pci.PciFunction;

import java.util.List;

/**
 * A VMDq pool: a set of queue pairs with its own filters and settings, owned by the PF (a VMDq
 * pool the hypervisor drives) or by a VF (SR-IOV). Queue {@code i} of the pool is hardware queue
 * {@code firstQueue + i}.
 */
public final class Pool {
    public static final int RX_PACKETS = 0;
    public static final int RX_BYTES = 1;
    public static final int RX_DROPPED = 2;
    public static final int RX_BROADCAST = 3;
    public static final int RX_MULTICAST = 4;
    public static final int TX_PACKETS = 5;
    public static final int TX_BYTES = 6;
    public static final int TX_DROPPED = 7;
    public static final int TX_SPOOFED = 8;
    public static final int MDD_EVENTS = 9;

    /** Per-pool counters, as `ip -s link show` reports them per VF. */
    public static final List<CounterDef> COUNTERS = List.of(
            new CounterDef("rx_packets", "frames", "frames placed in the pool's RX queues"),
            new CounterDef("rx_bytes", "bytes", "bytes placed in the pool's RX queues"),
            new CounterDef("rx_dropped", "frames", "frames for the pool that found no descriptor, or too long"),
            new CounterDef("rx_broadcast", "frames", "broadcast frames received"),
            new CounterDef("rx_multicast", "frames", "multicast frames received"),
            new CounterDef("tx_packets", "frames", "frames sent from the pool's TX queues"),
            new CounterDef("tx_bytes", "bytes", "bytes sent"),
            new CounterDef("tx_dropped", "frames", "TX frames dropped (spoofed, malformed, link down)"),
            new CounterDef("tx_spoofed", "frames", "TX frames dropped by anti-spoofing"),
            new CounterDef("mdd_events", "events", "malformed descriptors and DMA faults of the pool's driver"));

    private final int index;
    private final PciFunction function;
    private final RegisterFile regs;
    private final int firstQueue;
    private final int queues;
    private volatile PoolConfig config = PoolConfig.defaults();
    /** RX counters: written by the RX engine. */
    private final Counters rxCounters = new Counters(COUNTERS);
    /** TX counters: written by the TX engine. */
    private final Counters txCounters = new Counters(COUNTERS);
    private final TokenBucket limiter = new TokenBucket(0);
    private volatile boolean disabled;
    private volatile String disabledReason;
    private final int[] reta = new int[128];
    private volatile int rssFields;

    public Pool(int index, PciFunction function, RegisterFile regs, int firstQueue, int queues) {
        this.index = index;
        this.function = function;
        this.regs = regs;
        this.firstQueue = firstQueue;
        this.queues = queues;
    }

    public int index() {
        return index;
    }

    /** The function whose driver owns the queues (and whose IOMMU domain their DMA uses). */
    public PciFunction function() {
        return function;
    }

    /** The register file holding the pool's queue registers (the PF's, or the VF's). */
    public RegisterFile registers() {
        return regs;
    }

    public boolean isVf() {
        return function.isVf();
    }

    public int firstQueue() {
        return firstQueue;
    }

    public int queues() {
        return queues;
    }

    public PoolConfig config() {
        return config;
    }

    public void setConfig(PoolConfig c) {
        this.config = c;
    }

    /**
     * The {@link io.havnet.dataplane.net.Rss} fields hashed for this pool's frames (from MRQC, or
     * VFMRQC for a VF); 0: RSS off — no hash computed or reported, every frame to the first queue.
     */
    public int rssFields() {
        return rssFields;
    }

    public void setRssFields(int hf) {
        this.rssFields = hf;
    }

    /**
     * RSS back to power-on (a VF reset): off, the redirection table all 0, and the VF's
     * VFMRQC and VFRETA registers read 0.
     */
    public void resetRss() {
        rssFields = 0;
        java.util.Arrays.fill(reta, 0);
        if (isVf()) {
            regs.set(io.havnet.nic.regs.Registers.VFMRQC, 0);
            for (int n = 0; n < 32; n++) {
                regs.set(io.havnet.nic.regs.Registers.VFRETA(n), 0);
            }
        }
    }

    /** RSS redirection table: 128 entries, each a queue index within the pool; all 0 (one queue) until programmed. */
    public int[] reta() {
        return reta;
    }

    public TokenBucket limiter() {
        return limiter;
    }

    public Counters rxCounters() {
        return rxCounters;
    }

    public Counters txCounters() {
        return txCounters;
    }

    /** rx_* from the RX side, tx_* from the TX side, mdd_events from both. */
    public long counter(int c) {
        if (c == MDD_EVENTS) {
            return rxCounters.get(c) + txCounters.get(c);
        }
        return c < TX_PACKETS ? rxCounters.get(c) : txCounters.get(c);
    }

    /** Disabled by malicious driver detection until reset. */
    public boolean disabled() {
        return disabled;
    }

    public String disabledReason() {
        return disabledReason;
    }

    public void disable(String reason) {
        this.disabledReason = reason;
        this.disabled = true;
    }

    public void reenable() {
        this.disabled = false;
        this.disabledReason = null;
    }

    @Override
    public String toString() {
        return "pool " + index + " (" + (isVf() ? "VF " + function.vfIndex() : "PF") + ")";
    }
}
