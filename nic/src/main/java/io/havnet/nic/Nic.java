package io.havnet.nic;

import io.havnet.dataplane.clock.Clock;
import io.havnet.dataplane.ethdev.EthDev;
import io.havnet.dataplane.mbuf.MbufPool;
import io.havnet.dataplane.memory.MemoryRegion;
import io.havnet.dataplane.mempool.Mempool;
import io.havnet.dataplane.net.MacAddress;
import io.havnet.dataplane.ring.SpscRing;
import io.havnet.nic.engine.HwRxQueue;
import io.havnet.nic.engine.HwTxQueue;
import io.havnet.nic.engine.NicCounters;
import io.havnet.nic.engine.Queues;
import io.havnet.nic.engine.RxEngine;
import io.havnet.nic.engine.TxEngine;
import io.havnet.nic.l2.L2Filters;
import io.havnet.nic.mailbox.Mailbox;
import io.havnet.nic.regs.RegisterFile;
import io.havnet.nic.regs.Registers;
import io.havnet.nic.vmdq.Pool;
import io.havnet.platform.Platform;
import io.havnet.platform.dma.Dma;
import io.havnet.platform.pci.PciFunction;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The emulated NIC, an 82599/X710-class card: one physical port whose wire is any
 * {@link EthDev}; 128 queue pairs grouped in VMDq pools (8/16/32/64); SR-IOV with up to 63 VFs,
 * each owning one pool; a VEB switching pool-to-pool traffic inside the card; receive filters
 * (MAC, VLAN, multicast) with the card's limits; per-VF anti-spoofing, port VLAN, rate limits
 * and malicious driver detection; the PF↔VF mailbox.
 *
 * <p>Software reaches it as hardware is reached: queue registers in the PF's and the VFs' BARs
 * ({@link #pfRegisters()}, {@link #vfRegisters(int)}), descriptor rings in memory through DMA and
 * the IOMMU. Its work runs in two agents — {@link #rxEngine()} (wire and VEB → queues) and
 * {@link #txEngine()} (queues → wire and VEB) — whose time is the NIC's time.
 */
public final class Nic implements AutoCloseable {
    /** The fastest line a port may be paced at: 400 GbE. */
    public static final long MAX_LINE_RATE_MBPS = 400_000;
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    public static final int QUEUES = 128;

    /** Told when a VF reset (FLR, VFCTRL.RST) has completed, so the PF driver can reprogram it. */
    @FunctionalInterface
    public interface ResetListener {
        void onVfReset(int vf);
    }

    private final String name;
    private final Platform platform;
    private final PciFunction pf;
    private final EthDev wire;
    private final int numPools;
    private final int queuesPerPool;
    private final int numVfs;
    private final boolean veb;
    private final long lineRateMbps;
    private final Clock clock;
    private final int mddThreshold;
    private final long portMac;
    private final RegisterFile pfRegs;
    private final RegisterFile[] vfRegs;
    private final Pool[] pools;
    private final Queues queues;
    private final L2Filters filters;
    private final io.havnet.nic.ipsec.SaTable ipsec = new io.havnet.nic.ipsec.SaTable();
    private final NicCounters counters = new NicCounters();
    private final Mailbox[] mailboxes;
    private final MemoryRegion stagingRegion;
    private final Mempool staging;
    private final SpscRing loopback;
    private final RxEngine rxEngine;
    private final TxEngine txEngine;
    private final long[] mailboxPending = new long[1];
    private final long[] resetStage = new long[2];   // [0]: RX engine to do, [1]: TX engine to do
    private final List<NicEvent> events = new CopyOnWriteArrayList<>();
    private final List<ResetListener> resetListeners = new CopyOnWriteArrayList<>();
    private final long[] mddCounts;

    private Nic(Builder b) {
        this.name = b.name;
        this.platform = b.platform;
        this.pf = PciFunction.pf(b.bus, 0, 0);
        this.wire = b.wire;
        this.numVfs = b.numVfs;
        this.numPools = b.pools > 0 ? b.pools : numVfs <= 15 ? 16 : numVfs <= 31 ? 32 : 64;
        if (numPools != 8 && numPools != 16 && numPools != 32 && numPools != 64) {
            throw new IllegalArgumentException("VMDq pools must be 8, 16, 32 or 64, got " + numPools);
        }
        if (numVfs < 0 || numVfs > 63) {
            throw new IllegalArgumentException("num_vfs " + numVfs + " out of range [0, 63]");
        }
        if (numVfs >= numPools) {
            throw new IllegalArgumentException(numVfs + " VFs need at least " + (numVfs + 1)
                    + " pools (one is kept for the PF); have " + numPools);
        }
        this.queuesPerPool = QUEUES / numPools;
        this.veb = b.veb;
        this.lineRateMbps = b.lineRateMbps;
        this.clock = b.clock;
        this.mddThreshold = b.mddThreshold;
        this.portMac = b.mac;
        this.pfRegs = new RegisterFile(name + " PF BAR0", Registers.PF_BAR_SIZE);
        this.vfRegs = new RegisterFile[numVfs];
        this.mailboxes = new Mailbox[numVfs];
        this.mddCounts = new long[numPools];
        this.pools = new Pool[numPools];
        for (int i = 0; i < numPools; i++) {
            boolean isVf = i < numVfs;
            RegisterFile regs = pfRegs;
            PciFunction fn = pf;
            if (isVf) {
                fn = pf.vf(i);
                regs = new RegisterFile(name + " VF" + i + " BAR0", Registers.VF_BAR_SIZE);
                vfRegs[i] = regs;
                final int vf = i;
                mailboxes[i] = new Mailbox(i, regs, pfRegs, () -> setBit(mailboxPending, vf));
            }
            pools[i] = new Pool(i, fn, regs, i * queuesPerPool, queuesPerPool);
        }
        this.queues = new Queues(this, pools, queuesPerPool);
        this.filters = new L2Filters(numPools);
        pfRegs.setHook(this::onPfWrite);
        for (int i = 0; i < numVfs; i++) {
            final int vf = i;
            vfRegs[i].setHook((off, v) -> onVfWrite(vf, off, v));
        }
        // the host's own functions DMA through the passthrough domain (IOVA = HPA)
        platform.iommu().attach(pf, platform.iommu().passthroughDomain());
        long bytes = MbufPool.bytesFor(b.stagingMbufs, 2048) + (4L << 20);
        this.stagingRegion = platform.memory().allocateRegion(name + "-packet-buffer", bytes);
        this.staging = MbufPool.builder(name + "-packet-buffer", stagingRegion).count(b.stagingMbufs).cacheSize(256)
                .build();
        this.loopback = new SpscRing(name + "-veb", 4096);
        this.rxEngine = new RxEngine(this, new Dma(platform.iommu()), b.burst);
        this.txEngine = new TxEngine(this, new Dma(platform.iommu()), b.burst);
        updateVfLinks();
    }

    public static Builder builder(String name, Platform platform, EthDev wire) {
        return new Builder(name, platform, wire);
    }

    // ------------------------------------------------------------------ identity and structure

    public String name() {
        return name;
    }

    public Platform platform() {
        return platform;
    }

    /** The physical function. */
    public PciFunction pf() {
        return pf;
    }

    /** VF {@code n}'s PCI function. */
    public PciFunction vf(int n) {
        checkVf(n);
        return pools[n].function();
    }

    public int numVfs() {
        return numVfs;
    }

    public int numPools() {
        return numPools;
    }

    public int queuesPerPool() {
        return queuesPerPool;
    }

    /** The pool VF {@code vf} owns. */
    public int vfPool(int vf) {
        checkVf(vf);
        return vf;
    }

    /** The PF's own pool (the first after the VFs'): default pool for unmatched frames. */
    public int pfPool() {
        return numVfs;
    }

    public Pool pool(int i) {
        return pools[i];
    }

    /** The physical port's MAC address. */
    public long portMac() {
        return portMac;
    }

    public EthDev wire() {
        return wire;
    }

    /**
     * The rate at which the port's MAC serializes frames onto the wire and takes them off it, in
     * Mbit/s each way (preamble, FCS and inter-frame gap included); 0: not paced, the wire carries
     * whatever the engines move.
     */
    public long lineRateMbps() {
        return lineRateMbps;
    }

    /**
     * The speed the port links at, in Mbit/s, as LINKS and every VF's VFLINKS report it: the
     * 82599 links at 100 Mb/s, 1 Gb/s or 10 Gb/s; a paced port links at the least of them that
     * carries its line rate (10 Gb/s above that), an unpaced one at 10 Gb/s.
     */
    public int linkSpeedMbps() {
        return linkSpeedMbps(lineRateMbps);
    }

    static int linkSpeedMbps(long lineRateMbps) {
        if (lineRateMbps > 0 && lineRateMbps <= 100) {
            return 100;
        }
        return lineRateMbps > 0 && lineRateMbps <= 1_000 ? 1_000 : 10_000;
    }

    public boolean vebEnabled() {
        return veb;
    }

    public Clock clock() {
        return clock;
    }

    public RegisterFile pfRegisters() {
        return pfRegs;
    }

    /** VF {@code n}'s BAR0, which the hypervisor maps into the VM that owns the VF. */
    public RegisterFile vfRegisters(int n) {
        checkVf(n);
        return vfRegs[n];
    }

    public Mailbox mailbox(int vf) {
        checkVf(vf);
        return mailboxes[vf];
    }

    /** The inline IPsec engine's SAs (programmed by the PF driver). */
    public io.havnet.nic.ipsec.SaTable ipsec() {
        return ipsec;
    }

    public L2Filters filters() {
        return filters;
    }

    public NicCounters counters() {
        return counters;
    }

    /** The queue table (engines and register decoding). */
    public Queues queues() {
        return queues;
    }

    public HwRxQueue rxQueue(int hw) {
        return queues.rx(hw);
    }

    public HwTxQueue txQueue(int hw) {
        return queues.tx(hw);
    }

    /** The NIC's own packet buffer (staging mbufs for TX and the VEB). */
    public Mempool packetBuffer() {
        return staging;
    }

    public SpscRing loopbackRing() {
        return loopback;
    }

    /** The agent that moves frames from the wire and the VEB into queues. */
    public RxEngine rxEngine() {
        return rxEngine;
    }

    /** The agent that moves frames from queues to the wire and the VEB. */
    public TxEngine txEngine() {
        return txEngine;
    }

    public List<NicEvent> events() {
        return List.copyOf(events);
    }

    public void addResetListener(ResetListener l) {
        resetListeners.add(l);
    }

    private void checkVf(int n) {
        if (n < 0 || n >= numVfs) {
            throw new IllegalArgumentException("VF " + n + " does not exist (num_vfs " + numVfs + ")");
        }
    }

    // ------------------------------------------------------------------ register hooks

    private void onPfWrite(int off, int value) {
        if (off >= Registers.PFMAILBOX(0) && off < Registers.PFMAILBOX(numVfs)) {
            mailboxes[(off - Registers.PFMAILBOX(0)) / 4].onPfWrite(value);
            return;
        }
        queues.onPfWrite(off, value);
    }

    private void onVfWrite(int vf, int off, int value) {
        if (off == Registers.VFMAILBOX) {
            mailboxes[vf].onVfWrite(value);
        } else if (off == Registers.VFCTRL && (value & Registers.VFCTRL_RST) != 0) {
            resetVf(vf);
        } else {
            queues.onVfWrite(vf, off, value);
        }
    }

    /**
     * VFs with a mailbox request waiting; taking clears. A plain read first: the swap, a locked
     * instruction (a full fence that waits for every store the caller has pending), only when
     * there is something to take — the mailbox service asks every round.
     */
    public long takeMailboxRequests() {
        return (long) LONGS.getOpaque(mailboxPending, 0) == 0 ? 0 : (long) LONGS.getAndSet(mailboxPending, 0, 0L);
    }

    private static void setBit(long[] words, int bit) {
        long unused = (long) LONGS.getAndBitwiseOr(words, bit >>> 6, 1L << (bit & 63));
    }

    // ------------------------------------------------------------------ resets

    /**
     * Function-level reset of VF {@code vf} (what the hypervisor does on VM destroy, or the VF on
     * VFCTRL.RST): the VF stops receiving at once; the RX and TX engines each reset the VF's
     * queues at the start of their next round (so no DMA is in flight); then the VF's mailbox
     * reports reset-done and the reset listeners (the PF driver) are told.
     */
    public void resetVf(int vf) {
        checkVf(vf);
        filters.setEnabled(vf, false);
        mailboxes[vf].reset(false);
        long bit = 1L << vf;
        LONGS.getAndBitwiseOr(resetStage, 0, bit);
        LONGS.getAndBitwiseOr(resetStage, 1, bit);
    }

    /**
     * Called by an engine at the start of every pass: the VFs whose queues it must reset now (and
     * clears them for it). A plain read first, the swap only when a reset is asked: a locked
     * instruction is a full fence, and an engine's pass leaves many stores to guest memory pending.
     * A reset asked meanwhile is seen by the next pass.
     */
    public long takeResets(int engine) {
        return (long) LONGS.getOpaque(resetStage, engine) == 0 ? 0 : (long) LONGS.getAndSet(resetStage, engine, 0L);
    }

    /** Called by an engine after resetting VF {@code vf}'s queues on its side. */
    public void resetDone(int vf, int engine) {
        synchronized (resetStage) {
            pendingResetSides[vf] |= 1 << engine;
            if (pendingResetSides[vf] != 3) {
                return;
            }
            pendingResetSides[vf] = 0;
        }
        mddCounts[vf] = 0;
        pools[vf].resetRss(); // RSS off, RETA cleared: as at power-on, until the VF's driver programs them
        pools[vf].reenable();
        mailboxes[vf].reset(true);
        events.add(new NicEvent(clock.nanoTime(), "VF " + vf + " (" + pools[vf].function() + ") reset done"));
        for (ResetListener l : resetListeners) {
            l.onVfReset(vf);
        }
    }

    private final int[] pendingResetSides = new int[64];

    /** True when a reset of {@code vf} was requested and is not complete. */
    public boolean resetPending(int vf) {
        synchronized (resetStage) {
            return ((resetStage[0] | resetStage[1]) & 1L << vf) != 0 || pendingResetSides[vf] != 0;
        }
    }

    // ------------------------------------------------------------------ malicious driver detection

    /**
     * Records a malicious-driver event for {@code pool} (malformed descriptor, DMA fault) — called
     * by the engines. At the threshold a VF pool is disabled until it is reset, and an event says
     * why. Returns true when the pool is (now) disabled.
     */
    public boolean mddEvent(Pool pool, String what, boolean fromTx) {
        (fromTx ? pool.txCounters() : pool.rxCounters()).add(Pool.MDD_EVENTS, 1);
        if (!pool.isVf() || pool.disabled()) {
            return pool.disabled();
        }
        long n;
        synchronized (mddCounts) {
            n = ++mddCounts[pool.index()];
        }
        if (n >= mddThreshold) {
            String reason = "malicious driver detection: " + n + " events (last: " + what + ")";
            pool.disable(reason);
            filters.setEnabled(pool.index(), false);
            events.add(new NicEvent(clock.nanoTime(), "VF " + pool.function().vfIndex() + " (" + pool.function()
                    + ") disabled: " + reason));
            updateVfLinks();
            return true;
        }
        return false;
    }

    public int mddThreshold() {
        return mddThreshold;
    }

    /** Recomputes VFSTATUS.LINKUP and VFLINKS for every VF from the port link and the admin states. */
    public void updateVfLinks() {
        boolean portUp = wire.link().up();
        int speed = Registers.linksSpeed(linkSpeedMbps());
        for (int i = 0; i < numVfs; i++) {
            boolean up = switch (pools[i].config().linkState()) {
                case AUTO -> portUp;
                case ENABLE -> true;
                case DISABLE -> false;
            } && !pools[i].disabled();
            if (up) {
                vfRegs[i].setBits(Registers.VFSTATUS, Registers.VFSTATUS_LINKUP);
            } else {
                vfRegs[i].clearBits(Registers.VFSTATUS, Registers.VFSTATUS_LINKUP);
            }
            vfRegs[i].write(Registers.VFLINKS, (up ? Registers.LINKS_UP : 0) | speed);
        }
    }

    /**
     * Frees the NIC's packet buffer, after the frames it still holds (refused by the wire, or
     * switched by the VEB and not yet received) went back to it, counted as drops. Call once the
     * engines run no more. The wire port is the caller's to close.
     */
    @Override
    public void close() {
        txEngine.releaseHeld();
        rxEngine.releaseHeld();
        staging.close();
        platform.iommu().detach(pf);
    }

    /** NIC parameters. */
    public static final class Builder {
        private final String name;
        private final Platform platform;
        private final EthDev wire;
        private int pools;
        private int numVfs;
        private boolean veb = true;
        private Clock clock = Clock.SYSTEM;
        private int mddThreshold = 8;
        private int bus = 3;
        private long mac = MacAddress.parse("02:00:00:82:59:90").value();
        private int stagingMbufs = 4095;
        private long lineRateMbps;
        private int burst = 32;

        Builder(String name, Platform platform, EthDev wire) {
            this.name = name;
            this.platform = platform;
            this.wire = wire;
        }

        /** VMDq pools: 8, 16, 32 or 64 (default: the fewest that hold the VFs plus the PF). */
        public Builder pools(int n) {
            this.pools = n;
            return this;
        }

        /** SR-IOV VFs (0..63); VF i owns pool i, the PF the next one. */
        public Builder numVfs(int n) {
            this.numVfs = n;
            return this;
        }

        /** Switch pool-to-pool frames inside the NIC (default on). */
        public Builder veb(boolean on) {
            this.veb = on;
            return this;
        }

        public Builder clock(Clock c) {
            this.clock = c;
            return this;
        }

        /** Malicious-driver events before a VF is disabled (default 8). */
        public Builder mddThreshold(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("MDD threshold must be >= 1");
            }
            this.mddThreshold = n;
            return this;
        }

        public Builder bus(int b) {
            this.bus = b;
            return this;
        }

        public Builder mac(long m) {
            this.mac = m;
            return this;
        }

        /**
         * Paces the wire at {@code mbps} Mbit/s each way, as a port's MAC serializes frames (10000 for
         * the 82599's 10 GbE: 14.88 M frames/s of 64 B); 0 (the default) leaves it unpaced.
         */
        public Builder lineRateMbps(long mbps) {
            if (mbps < 0 || mbps > MAX_LINE_RATE_MBPS) {
                throw new IllegalArgumentException("line rate " + mbps + " Mbit/s is outside 0.." + MAX_LINE_RATE_MBPS);
            }
            this.lineRateMbps = mbps;
            return this;
        }

        public Builder packetBufferMbufs(int n) {
            this.stagingMbufs = n;
            return this;
        }

        public Builder burst(int n) {
            this.burst = n;
            return this;
        }

        public Nic build() {
            return new Nic(this);
        }
    }
}
