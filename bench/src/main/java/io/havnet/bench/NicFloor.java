package io.havnet.bench;

import io.havnet.dataplane.agent.Agent;
import io.havnet.dataplane.agent.AgentStats;
import io.havnet.dataplane.agent.IdleStrategy;
import io.havnet.dataplane.agent.Lcore;
import io.havnet.dataplane.memory.OffHeap;
import io.havnet.dataplane.ring.SpscRing;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The peer of {@code havnet bench nic}: the same frame loop — wire → NIC → guest macswap → NIC →
 * wire, a reflector at the far end, the same frames circulating, the same lcores and CPUs —
 * stripped to the memory traffic no software NIC can avoid. Per frame the "NIC" still takes the
 * frame off the wire ring, reads a receive descriptor the guest posted, copies the frame into the
 * guest's buffer, writes the descriptor back (DD last), and on the way out reads the guest's transmit
 * descriptor and buffer, copies the frame into a wire buffer, writes DD and puts the frame on the
 * wire ring; the guest polls DD, swaps MACs, posts the transmit descriptor, reclaims transmitted
 * buffers and reposts receive buffers. 16-byte descriptors in rings of 512 as the 82599's, RDT and
 * TDT as the doorbells, descriptor write-backs once per pass.
 *
 * <p>What it leaves out is everything that makes the NIC a NIC: no mbufs (buffers are addresses, a
 * wire frame's length rides in its ring entry), no IOMMU translation or permission check, no
 * L2 filter, no packet type, checksum or VLAN, no counters, no queue or pool state, no anti-spoof,
 * rate limit or VEB. So its frame rate is what the loop is left with when the NIC does none of its
 * work: the NIC path's rate over it ({@code of_floor}) says how much of what these cores allow the
 * emulation uses, and a rate the floor cannot reach here is out of reach for the NIC too.
 */
public final class NicFloor {
    static final int RING = 512;
    static final int MASK = RING - 1;
    static final int BURST = 32;
    static final int BUFFERS = 4096;
    static final int BUF_SIZE = 2048;
    static final int LEN_BITS = 11;
    static final long DD = 1;
    private static final MemorySegment ALL = OffHeap.ALL;
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    /** Doorbell registers, each on its own 128-byte pair of lines. */
    private static final int RDT = 16;
    private static final int TDT = 32;

    private final double seconds;
    private final int frameSize;
    private final int inFlight;
    private final int cores;
    private final int wireCpu;

    /**
     * @param frameSize the frame's bytes without the FCS
     * @param wireCpu   with 2 cores, the CPU of the reflector: 1 next to the guest, 0 next to the NIC
     */
    public NicFloor(double seconds, int frameSize, int inFlight, int cores, int wireCpu) {
        this.seconds = seconds;
        this.frameSize = frameSize;
        this.inFlight = inFlight;
        this.cores = cores;
        this.wireCpu = wireCpu;
    }

    /** Frames per second the guest forwarded, in millions, and the "NIC"'s busy ns per frame. */
    public record Result(double mpps, double nicNsPerFrame, double guestNsPerFrame, long nicDrops) {}

    public Result run() {
        try (Arena arena = Arena.ofShared()) {
            long descBytes = 2L * RING * 16;
            MemorySegment mem = arena.allocate(descBytes + 2L * BUFFERS * BUF_SIZE, 1 << 21);
            mem.fill((byte) 0);
            long base = mem.address();
            long rxDesc = base;
            long txDesc = base + RING * 16L;
            long guestBuf = base + descBytes;
            long wireBuf = guestBuf + (long) BUFFERS * BUF_SIZE;
            AtomicLongArray regs = new AtomicLongArray(48);
            SpscRing toNic = new SpscRing("floor-wire-in", 4096);
            SpscRing fromNic = new SpscRing("floor-wire-out", 4096);
            for (int i = 0; i < inFlight; i++) {
                long b = wireBuf + (long) i * BUF_SIZE;
                for (int k = 0; k < frameSize; k++) {
                    ALL.set(ValueLayout.JAVA_BYTE, b + k, (byte) (k * 7 + 1));
                }
                toNic.enqueue(i << LEN_BITS | frameSize);
            }
            NicState nic = new NicState(wireBuf, inFlight);
            Guest guest = new Guest(regs, rxDesc, txDesc, guestBuf);
            Agent rx = new NicRx(nic, regs, rxDesc, toNic);
            Agent tx = new NicTx(nic, regs, txDesc, fromNic);
            Agent reflector = new Reflector(fromNic, toNic, wireBuf);
            Lcore nicCore;
            Lcore guestCore;
            if (cores == 1) {
                nicCore = Lcore.builder().name("floor-all").cpu(0).idle(IdleStrategy.spin()).accounting(true)
                        .agent(rx).agent(tx).agent(guest).agent(reflector).start();
                guestCore = Lcore.builder().name("floor-idle").cpu(1).idle(IdleStrategy.backoff()).agent(() -> 0).start();
            } else {
                Lcore.Builder nb = Lcore.builder().name("floor-nic").cpu(0).idle(IdleStrategy.spin()).accounting(true)
                        .agent(rx).agent(tx);
                Lcore.Builder gb = Lcore.builder().name("floor-vcpu").cpu(1).idle(IdleStrategy.spin()).accounting(true)
                        .agent(guest);
                (wireCpu == 0 ? nb : gb).agent(reflector);
                nicCore = nb.start();
                guestCore = gb.start();
            }
            try {
                AgentStats g = cores == 1 ? nicCore.agentStats().get(2) : guestCore.agentStats().get(0);
                AgentStats r = nicCore.agentStats().get(0);
                AgentStats t = nicCore.agentStats().get(1);
                Measure.sleep(Math.min(2.0, seconds / 2));
                long f0 = g.work();
                long b0 = r.busyNanos() + t.busyNanos();
                long g0 = g.busyNanos();
                long t0 = System.nanoTime();
                Measure.sleep(seconds);
                long ns = System.nanoTime() - t0;
                long frames = g.work() - f0;
                long busy = r.busyNanos() + t.busyNanos() - b0;
                long gBusy = g.busyNanos() - g0;
                return new Result(frames * 1000.0 / ns, frames == 0 ? 0 : busy / (double) frames,
                        frames == 0 ? 0 : gBusy / (double) frames, nic.drops);
            } finally {
                guestCore.close();
                nicCore.close();
            }
        }
    }

    /** Copies {@code len} bytes; a frame of up to 64 bytes as eight 8-byte words (buffers are 2 KiB). */
    static void copy(long src, long dst, int len) {
        if (len <= 64) {
            for (int i = 0; i < 64; i += 8) {
                ALL.set(ValueLayout.JAVA_LONG, dst + i, ALL.get(ValueLayout.JAVA_LONG, src + i));
            }
        } else {
            MemorySegment.copy(ALL, src, ALL, dst, len);
        }
    }

    /** Swaps the destination and source MAC of the frame at {@code a}. */
    static void macSwap(long a) {
        long w = ALL.get(ValueLayout.JAVA_LONG, a);
        long v = ALL.get(ValueLayout.JAVA_INT, a + 8) & 0xFFFF_FFFFL;
        long dst = w & 0xFFFF_FFFF_FFFFL;
        long src = w >>> 48 | v << 16;
        ALL.set(ValueLayout.JAVA_LONG, a, src | dst << 48);
        ALL.set(ValueLayout.JAVA_INT, a + 8, (int) (dst >>> 16));
    }

    /** The wire buffers the NIC holds: a stack on the NIC's lcore. */
    static final class NicState {
        final long wireBuf;
        final int[] free = new int[BUFFERS];
        int top;
        long drops;

        NicState(long wireBuf, int inFlight) {
            this.wireBuf = wireBuf;
            for (int i = inFlight; i < BUFFERS; i++) {
                free[top++] = i;
            }
        }
    }

    /** Wire → guest: frames off the wire ring into the buffers of posted receive descriptors. */
    static final class NicRx implements Agent {
        private final NicState s;
        private final AtomicLongArray regs;
        private final long desc;
        private final SpscRing wire;
        private final int[] burst = new int[BURST];
        private final int[] done = new int[BURST];
        private long head;
        private long tail;
        long sink;

        NicRx(NicState s, AtomicLongArray regs, long desc, SpscRing wire) {
            this.s = s;
            this.regs = regs;
            this.desc = desc;
            this.wire = wire;
        }

        @Override
        public int doWork() {
            int n = wire.dequeueBurst(burst, 0, BURST);
            if (n == 0) {
                return 0;
            }
            long wb = s.wireBuf;
            long touch = 0;
            for (int i = 0; i < n; i++) { // the burst's data lines in flight together
                touch += ALL.get(ValueLayout.JAVA_LONG, wb + (long) (burst[i] >>> LEN_BITS) * BUF_SIZE);
            }
            sink = touch;
            int d = 0;
            int[] free = s.free;
            int top = s.top;
            for (int i = 0; i < n; i++) {
                int h = burst[i];
                int len = h & ((1 << LEN_BITS) - 1);
                if (head == tail) {
                    tail = regs.getAcquire(RDT);
                }
                if (head != tail) {
                    long dp = desc + (head & MASK) * 16;
                    copy(wb + (long) (h >>> LEN_BITS) * BUF_SIZE, ALL.get(ValueLayout.JAVA_LONG, dp), len);
                    done[d++] = (int) (head & MASK) | len << 16;
                    head++;
                } else {
                    s.drops++;
                }
                free[top++] = h >>> LEN_BITS;
            }
            s.top = top;
            for (int i = 0; i < d; i++) { // write-backs once per pass, DD last
                long dp = desc + (done[i] & MASK) * 16L;
                ALL.set(ValueLayout.JAVA_LONG, dp, 0L);
                LONG.setRelease(ALL, dp + 8, (long) (done[i] >>> 16) << 32 | DD);
            }
            return n;
        }
    }

    /** Guest → wire: transmit descriptors up to TDT, each frame copied into a wire buffer. */
    static final class NicTx implements Agent {
        private final NicState s;
        private final AtomicLongArray regs;
        private final long desc;
        private final SpscRing wire;
        private final int[] out = new int[BURST];
        private final long[] addr = new long[BURST];
        private final int[] lens = new int[BURST];
        private long head;
        long sink;

        NicTx(NicState s, AtomicLongArray regs, long desc, SpscRing wire) {
            this.s = s;
            this.regs = regs;
            this.desc = desc;
            this.wire = wire;
        }

        @Override
        public int doWork() {
            long tail = regs.getAcquire(TDT);
            int n = (int) Math.min(BURST, Math.min(tail - head, s.top));
            if (n <= 0) {
                return 0;
            }
            long wb = s.wireBuf;
            int[] free = s.free;
            int top = s.top;
            long touch = 0;
            for (int k = 0; k < n; k++) { // the descriptors, then the buffers' lines in flight together
                long dp = desc + ((head + k) & MASK) * 16;
                addr[k] = ALL.get(ValueLayout.JAVA_LONG, dp);
                lens[k] = ALL.get(ValueLayout.JAVA_INT, dp + 8) & 0xFFFF;
            }
            for (int k = 0; k < n; k++) {
                touch += ALL.get(ValueLayout.JAVA_LONG, addr[k]);
            }
            sink = touch;
            for (int k = 0; k < n; k++) {
                int w = free[--top];
                copy(addr[k], wb + (long) w * BUF_SIZE, lens[k]);
                out[k] = w << LEN_BITS | lens[k];
            }
            s.top = top;
            for (int k = 0; k < n; k++) {
                INT.setRelease(ALL, desc + ((head + k) & MASK) * 16 + 12, (int) DD);
            }
            head += n;
            if (wire.enqueueBurst(out, 0, n) != n) { // 4,096 slots, fewer frames than that exist
                throw new IllegalStateException("floor wire ring full");
            }
            return n;
        }
    }

    /** The guest: a VF driver's receive and transmit rings and testpmd's macswap. */
    static final class Guest implements Agent {
        private final AtomicLongArray regs;
        private final long rxDesc;
        private final long txDesc;
        private final long[] rxBuf = new long[RING];
        private final long[] txBuf = new long[RING];
        private final long[] free = new long[BUFFERS];
        private int top;
        private long rxNext;
        private long txTail;
        private long txClean;

        Guest(AtomicLongArray regs, long rxDesc, long txDesc, long guestBuf) {
            this.regs = regs;
            this.rxDesc = rxDesc;
            this.txDesc = txDesc;
            for (int i = BUFFERS - 1; i >= 0; i--) {
                free[top++] = guestBuf + (long) i * BUF_SIZE;
            }
            for (int i = 0; i < RING; i++) { // every slot holds a buffer; RDT leaves the last one to the driver
                long b = free[--top];
                rxBuf[i] = b;
                ALL.set(ValueLayout.JAVA_LONG, rxDesc + i * 16L, b);
                ALL.set(ValueLayout.JAVA_LONG, rxDesc + i * 16L + 8, 0L);
            }
            regs.setRelease(RDT, RING - 1);
        }

        @Override
        public int doWork() {
            // reclaim what the NIC sent
            for (int k = 0; k < BURST && txClean != txTail; k++) {
                if (((int) INT.getAcquire(ALL, txDesc + (txClean & MASK) * 16 + 12) & DD) == 0) {
                    break;
                }
                free[top++] = txBuf[(int) (txClean & MASK)];
                txClean++;
            }
            int n = 0;
            for (; n < BURST; n++) {
                int slot = (int) (rxNext & MASK);
                long dp = rxDesc + slot * 16L;
                long st = (long) LONG.getAcquire(ALL, dp + 8);
                if ((st & DD) == 0) {
                    break;
                }
                long b = rxBuf[slot];
                int len = (int) (st >>> 32) & 0xFFFF;
                macSwap(b);
                if (txTail - txClean < RING - 1) {
                    int ts = (int) (txTail & MASK);
                    long tp = txDesc + ts * 16L;
                    ALL.set(ValueLayout.JAVA_LONG, tp, b);
                    ALL.set(ValueLayout.JAVA_LONG, tp + 8, len & 0xFFFFL);
                    txBuf[ts] = b;
                    txTail++;
                } else {
                    free[top++] = b;
                }
                long nb = free[--top];
                rxBuf[slot] = nb;
                ALL.set(ValueLayout.JAVA_LONG, dp, nb);
                ALL.set(ValueLayout.JAVA_LONG, dp + 8, 0L);
                rxNext++;
            }
            if (n > 0) {
                regs.setRelease(TDT, txTail);
                regs.setRelease(RDT, rxNext + RING - 1);
            }
            return n;
        }
    }

    /** The wire's far end: swaps MACs and sends every frame back. */
    static final class Reflector implements Agent {
        private final SpscRing in;
        private final SpscRing out;
        private final long wireBuf;
        private final int[] burst = new int[BURST];

        Reflector(SpscRing in, SpscRing out, long wireBuf) {
            this.in = in;
            this.out = out;
            this.wireBuf = wireBuf;
        }

        @Override
        public int doWork() {
            int n = in.dequeueBurst(burst, 0, BURST);
            for (int i = 0; i < n; i++) {
                macSwap(wireBuf + (long) (burst[i] >>> LEN_BITS) * BUF_SIZE);
            }
            if (n > 0 && out.enqueueBurst(burst, 0, n) != n) {
                throw new IllegalStateException("floor wire ring full");
            }
            return n;
        }
    }
}
