package io.havnet.bench;

import io.havnet.dataplane.agent.LcoreId;
import io.havnet.dataplane.ethdev.EthConf;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.mbuf.MbufPool;
import io.havnet.dataplane.memory.HugePagePolicy;
import io.havnet.dataplane.memory.MemoryRegion;
import io.havnet.dataplane.memory.OffHeap;
import io.havnet.dataplane.mempool.Mempool;
import io.havnet.dataplane.net.PacketBuilder;
import io.havnet.dataplane.os.Affinity;
import io.havnet.dataplane.os.Posix;
import io.havnet.dataplane.pmd.AfPacketEthDev;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * {@code havnet bench afpacket}: frames sent into one end of a veth pair and received at the
 * other, sender on CPU 0 and receiver on CPU 1 — through havnet's {@link AfPacketEthDev} (mbufs,
 * bursts of 32) on one veth pair, and through a minimal sender and receiver that drive the same
 * kind of rings with nothing else (a PACKET_TX_RING filled with one template, a TPACKET_V2 ring
 * whose frames are only counted) on a second pair. Both are open for the whole run and take
 * turns in slices of {@value #SLICE_MS} ms — the receiver thread polls only the side whose turn
 * it is — so both see the same machine; on this kind of VM a side's rate moves by ±25 % from one
 * second to the next, which made separate rounds of a few seconds disagree by as much.
 */
public final class AfPacketBench {
    static final int SLICE_MS = 50;
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    private static final int HAVNET = 0;
    private static final int MINIMAL = 1;
    private static final int STOP = 2;
    /** The sender asks the receiver for havnet's port's kernel drop count; the receiver answers with {@link #IDLE}. */
    private static final int DROPS = 3;
    private static final int IDLE = 4;
    private final String havnetTx;
    private final String havnetRx;
    private final String minimalTx;
    private final String minimalRx;
    private final double seconds;
    private final int frameSize;

    /** Interfaces: havnet's sender and receiver on one veth pair, the minimal pair's on another. */
    public AfPacketBench(String havnetTx, String havnetRx, String minimalTx, String minimalRx, double seconds, int frameSize) {
        this.havnetTx = havnetTx;
        this.havnetRx = havnetRx;
        this.minimalTx = minimalTx;
        this.minimalRx = minimalRx;
        this.seconds = seconds;
        this.frameSize = frameSize;
    }

    /**
     * Runs the benchmark. The sender pins its thread to CPU 0, so it is a thread of its own: the
     * caller's affinity stays as it was (a test that ran this on its own thread left that thread,
     * and every thread it started later, on CPU 0 alone).
     */
    public Map<String, Object> run() {
        java.util.concurrent.atomic.AtomicReference<Map<String, Object>> result = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicReference<RuntimeException> failure = new java.util.concurrent.atomic.AtomicReference<>();
        Thread sender = Thread.ofPlatform().name("afp-tx").start(() -> {
            try {
                result.set(runAsSender());
            } catch (RuntimeException e) {
                failure.set(e);
            }
        });
        join(sender);
        if (failure.get() != null) {
            throw failure.get();
        }
        return result.get();
    }

    private Map<String, Object> runAsSender() {
        byte[] f = PacketBuilder.ethernet(0x02BB00000001L, 0x02AA00000001L).ipv4("10.77.0.1", "10.77.0.2")
                .udp(40000, 33333).padTo(frameSize - 4).build();
        AtomicInteger turn = new AtomicInteger(HAVNET);
        AtomicLongArray received = new AtomicLongArray(2);
        java.util.concurrent.atomic.AtomicLong kernelDrops = new java.util.concurrent.atomic.AtomicLong();
        AtomicInteger ready = new AtomicInteger();
        RuntimeException[] failed = new RuntimeException[1];
        Thread receiver = new Thread(() -> {
            Affinity.pinCurrentThread(1);
            LcoreId.acquire();
            try (HavnetRx h = new HavnetRx(havnetRx); MinimalRx m = new MinimalRx(minimalRx)) {
                ready.set(1);
                long hn = 0;
                long mn = 0;
                int t;
                while ((t = turn.get()) != STOP) {
                    if (t == DROPS) {
                        kernelDrops.set(h.kernelDrops());
                        turn.set(IDLE);
                    } else if (t == IDLE) {
                        Thread.onSpinWait();
                    } else if (t == HAVNET) {
                        int k = h.poll();
                        if (k > 0) {
                            hn += k;
                            received.lazySet(HAVNET, hn);
                        }
                    } else {
                        int k = m.poll();
                        if (k > 0) {
                            mn += k;
                            received.lazySet(MINIMAL, mn);
                        }
                    }
                }
            } catch (RuntimeException e) {
                failed[0] = e;
                ready.set(-1);
            } finally {
                LcoreId.release();
            }
        }, "afp-rx");
        receiver.start();
        while (ready.get() == 0) {
            Thread.onSpinWait();
        }
        if (ready.get() < 0) {
            join(receiver);
            throw failed[0];
        }
        Affinity.pinCurrentThread(0);
        LcoreId.acquire();
        try (HavnetTx h = new HavnetTx(havnetTx, f); MinimalTx m = new MinimalTx(minimalTx, f)) {
            long slice = SLICE_MS * 1_000_000L;
            int warm = (int) Math.max(4, Math.min(20, seconds * 1000 / SLICE_MS / 3));
            for (int i = 0; i < warm; i++) {
                turn.set(HAVNET);
                h.send(System.nanoTime() + slice);
                turn.set(MINIMAL);
                m.send(System.nanoTime() + slice);
            }
            drain(turn, received);
            long[] rx0 = {received.get(HAVNET), received.get(MINIMAL)};
            long drops0 = askDrops(turn, kernelDrops);
            int perThird = (int) Math.max(2, Math.round(seconds * 1000 / SLICE_MS / 3));
            long[] sent = new long[2];
            long[] ns = new long[2];
            List<Double> thirds = new ArrayList<>();
            for (int third = 0; third < 3; third++) {
                long[] s0 = sent.clone();
                long[] n0 = ns.clone();
                for (int i = 0; i < perThird; i++) {
                    turn.set(HAVNET);
                    long t0 = System.nanoTime();
                    sent[HAVNET] += h.send(t0 + slice);
                    long t1 = System.nanoTime();
                    ns[HAVNET] += t1 - t0;
                    turn.set(MINIMAL);
                    sent[MINIMAL] += m.send(t1 + slice);
                    ns[MINIMAL] += System.nanoTime() - t1;
                }
                double hr = (sent[HAVNET] - s0[HAVNET]) / (double) (ns[HAVNET] - n0[HAVNET]);
                double mr = (sent[MINIMAL] - s0[MINIMAL]) / (double) (ns[MINIMAL] - n0[MINIMAL]);
                thirds.add(Measure.r3(hr / mr));
            }
            drain(turn, received);
            long drops = askDrops(turn, kernelDrops) - drops0;
            turn.set(STOP);
            join(receiver);
            double htx = sent[HAVNET] * 1e9 / ns[HAVNET];
            double mtx = sent[MINIMAL] * 1e9 / ns[MINIMAL];
            double hrx = (received.get(HAVNET) - rx0[HAVNET]) * 1e9 / ns[HAVNET];
            double mrx = (received.get(MINIMAL) - rx0[MINIMAL]) * 1e9 / ns[MINIMAL];
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("frame_size", frameSize);
            r.put("slice_ms", SLICE_MS);
            r.put("havnet_tx_mpps", Measure.r3(htx / 1e6));
            r.put("havnet_rx_mpps", Measure.r3(hrx / 1e6));
            r.put("havnet_tx_frames", sent[HAVNET]);
            r.put("havnet_rx_frames", received.get(HAVNET) - rx0[HAVNET]);
            r.put("havnet_rx_kernel_drops", drops);
            r.put("minimal_tx_mpps", Measure.r3(mtx / 1e6));
            r.put("minimal_rx_mpps", Measure.r3(mrx / 1e6));
            r.put("tx_vs_minimal", Measure.r3(htx / mtx));
            r.put("rx_vs_minimal", Measure.r3(hrx / mrx));
            r.put("tx_vs_minimal_by_third", thirds);
            r.put("lone_frame_wait_us", loneFrameWaits(h));
            return r;
        } finally {
            turn.set(STOP);
            join(receiver);
            LcoreId.release();
        }
    }

    /**
     * One frame at a time, the sender's thread polls the receiving end until the frame shows:
     * microseconds from the send to the receive, median and p90 of {@value #LONE_FRAMES}, through
     * havnet's port (a TPACKET_V2 ring, frame by frame) and through its peer, a TPACKET_V3 ring
     * handing over blocks (full, or 1 ms after their first frame), taking turns frame by frame.
     * Runs after the throughput turns, with the receiver thread gone.
     */
    private Map<String, Object> loneFrameWaits(HavnetTx tx) {
        long[][] waits = new long[2][LONE_FRAMES];
        try (HavnetRx h = new HavnetRx(havnetRx); BlockRx b = new BlockRx(havnetRx)) {
            for (int i = 0; i < LONE_FRAMES; i++) {
                for (int side = 0; side < 2; side++) {
                    while (h.poll() + b.poll() > 0) {
                        Thread.onSpinWait(); // nothing left over from the turn before
                    }
                    long t0 = System.nanoTime();
                    tx.sendOne();
                    long deadline = t0 + 100_000_000L;
                    while ((side == HAVNET ? h.poll() : b.poll()) == 0 && System.nanoTime() < deadline) {
                        Thread.onSpinWait();
                    }
                    waits[side][i] = System.nanoTime() - t0;
                }
            }
        }
        Map<String, Object> r = new LinkedHashMap<>();
        for (int side = 0; side < 2; side++) {
            long[] w = waits[side];
            java.util.Arrays.sort(w);
            Map<String, Object> q = new LinkedHashMap<>();
            q.put("p50", Measure.r3(w[w.length / 2] / 1e3));
            q.put("p90", Measure.r3(w[w.length * 9 / 10] / 1e3));
            r.put(side == HAVNET ? "havnet_tpacket_v2" : "tpacket_v3_block_ring", q);
        }
        return r;
    }

    static final int LONE_FRAMES = 101;

    /** Lets the receiver take what is still in flight on each side (whatever the kernel has not yet put in the rings). */
    private static void drain(AtomicInteger turn, AtomicLongArray received) {
        for (int side : new int[] {HAVNET, MINIMAL}) {
            turn.set(side);
            // until the side's count holds still for 30 ms (at most 2 s): a fixed 30 ms let frames
            // of the warm-up's last slices arrive in the measured count
            long deadline = System.nanoTime() + 2_000_000_000L;
            long seen;
            do {
                seen = received.get(side);
                sleep(30);
            } while (received.get(side) != seen && System.nanoTime() < deadline);
        }
    }

    /** havnet's RX port's kernel drops so far (PACKET_STATISTICS), read by the receiver's thread, which owns the port. */
    private static long askDrops(AtomicInteger turn, java.util.concurrent.atomic.AtomicLong kernelDrops) {
        turn.set(DROPS);
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (turn.get() != IDLE) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the receiver did not answer");
            }
            Thread.onSpinWait();
        }
        return kernelDrops.get();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void join(Thread t) {
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** havnet's sender: as testpmd's txonly, a bulk of mbufs with the template copied into each, one txBurst. */
    private static final class HavnetTx implements AutoCloseable {
        private final MemoryRegion ram = MemoryRegion.allocate("afp-tx", 32L << 20, HugePagePolicy.NEVER);
        private final Mempool pool = MbufPool.builder("afp-tx", ram).count(8191).build();
        private final AfPacketEthDev d;
        private final MemorySegment template;
        private final int len;
        private final int[] burst = new int[32];

        HavnetTx(String ifname, byte[] f) {
            d = AfPacketEthDev.open("bench-tx", ifname);
            start(d, pool);
            template = OffHeap.copyOf(f);
            len = f.length;
        }

        /** One frame, sent at once. */
        void sendOne() {
            int m = Mbuf.alloc(pool);
            if (m == Mbuf.NONE) {
                throw new IllegalStateException("bench afpacket: the sender's pool is empty");
            }
            MemorySegment.copy(template, 0, Mbuf.segment(m), Mbuf.append(m, len), len);
            burst[0] = m;
            if (d.txBurst(0, burst, 0, 1) == 0) {
                Mbuf.free(m);
            }
        }

        long send(long until) {
            long sent = 0;
            while (System.nanoTime() < until) {
                int k = Mbuf.allocBulk(pool, burst, 0, 32);
                for (int i = 0; i < k; i++) {
                    int m = burst[i];
                    MemorySegment.copy(template, 0, Mbuf.segment(m), Mbuf.append(m, len), len);
                }
                int s = d.txBurst(0, burst, 0, k);
                if (s < k) {
                    Mbuf.freeBulk(burst, s, k - s);
                }
                sent += s;
            }
            return sent;
        }

        @Override
        public void close() {
            d.close();
            pool.close();
            ram.close();
        }
    }

    /** havnet's receiver: rxBurst into mbufs (each frame copied in), freed at once. */
    private static final class HavnetRx implements AutoCloseable {
        private final MemoryRegion ram = MemoryRegion.allocate("afp-rx", 64L << 20, HugePagePolicy.NEVER);
        private final Mempool pool = MbufPool.builder("afp-rx", ram).count(16383).build();
        private final AfPacketEthDev d;
        private final int[] burst = new int[32];

        HavnetRx(String ifname) {
            d = AfPacketEthDev.open("bench-rx", ifname);
            start(d, pool);
        }

        long kernelDrops() {
            return d.kernelDrops();
        }

        int poll() {
            int k = d.rxBurst(0, burst, 0, 32);
            if (k > 0) {
                Mbuf.freeBulk(burst, 0, k);
            }
            return k;
        }

        @Override
        public void close() {
            d.close();
            pool.close();
            ram.close();
        }
    }

    private static void start(AfPacketEthDev d, Mempool pool) {
        d.configure(1, 1, EthConf.defaults());
        d.rxQueueSetup(0, 8192, pool); // as many frames as the peer's ring
        d.txQueueSetup(0, 4096);
        d.start();
    }

    /** A bare AF_PACKET receive ring on an interface: the socket, its mapped ring, the close. */
    private abstract static class RawRx implements AutoCloseable {
        final Posix p = new Posix();
        final int fd;
        final long addr;
        final long len;
        final MemorySegment ring;

        /** {@code req} writes the ring request (tpacket_req or tpacket_req3) and returns its size. */
        RawRx(String ifname, int version, long len, java.util.function.ToIntFunction<MemorySegment> req) {
            this.len = len;
            fd = p.socket(Posix.AF_PACKET, Posix.SOCK_RAW, 0x0300);
            p.setsockoptInt(fd, 263, 10, version); // PACKET_VERSION
            p.setsockoptInt(fd, 263, 23, 1); // PACKET_IGNORE_OUTGOING
            MemorySegment r = p.scratch();
            int size = req.applyAsInt(r);
            p.setsockopt(fd, 263, 5, r.address(), size); // PACKET_RX_RING
            addr = p.mmapShared(fd, len);
            bindTo(p, fd, ifname, 0x0300);
            ring = MemorySegment.ofAddress(addr).reinterpret(len);
        }

        /** Frames handed over since the last call (and given back to the kernel). */
        abstract int poll();

        @Override
        public void close() {
            p.munmap(addr, len);
            p.close(fd);
        }
    }

    /** The peer's receiver: a TPACKET_V2 ring (as havnet's port) whose frames are counted and handed back. */
    private static final class MinimalRx extends RawRx {
        private static final int FRAME = 2048;
        private static final int FRAMES = (16 << 20) / FRAME;
        private int head;

        MinimalRx(String ifname) {
            super(ifname, 1, (long) FRAME * FRAMES, req -> {
                req.set(ValueLayout.JAVA_INT, 0, 1 << 16);
                req.set(ValueLayout.JAVA_INT, 4, (int) (((long) FRAME * FRAMES) >> 16));
                req.set(ValueLayout.JAVA_INT, 8, FRAME);
                req.set(ValueLayout.JAVA_INT, 12, FRAMES);
                return 16;
            });
        }

        @Override
        int poll() {
            int n = 0;
            while (n < 64) {
                long at = (long) head * FRAME;
                if (((int) INT.getAcquire(ring, at) & 1) == 0) {
                    break;
                }
                INT.setRelease(ring, at, 0);
                head = head + 1 == FRAMES ? 0 : head + 1;
                n++;
            }
            return n;
        }
    }

    /** A TPACKET_V3 ring (blocks retired when full or 1 ms after their first frame): the lone-frame peer. */
    private static final class BlockRx extends RawRx {
        private static final int BLOCK = 1 << 18;
        private static final int BLOCKS = 64;
        private int blk;

        BlockRx(String ifname) {
            super(ifname, 2, (long) BLOCK * BLOCKS, req -> {
                req.set(ValueLayout.JAVA_INT, 0, BLOCK);
                req.set(ValueLayout.JAVA_INT, 4, BLOCKS);
                req.set(ValueLayout.JAVA_INT, 8, 2048);
                req.set(ValueLayout.JAVA_INT, 12, BLOCK / 2048 * BLOCKS);
                req.set(ValueLayout.JAVA_INT, 16, 1); // retire a block 1 ms after its first frame
                req.set(ValueLayout.JAVA_INT, 20, 0);
                req.set(ValueLayout.JAVA_INT, 24, 0);
                return 28;
            });
        }

        @Override
        int poll() {
            long at = (long) blk * BLOCK;
            if (((int) INT.getAcquire(ring, at + 8) & 1) == 0) {
                return 0;
            }
            int n = ring.get(ValueLayout.JAVA_INT, at + 12);
            INT.setRelease(ring, at + 8, 0);
            blk = (blk + 1) % BLOCKS;
            return n;
        }
    }

    /** The peer's sender: a PACKET_TX_RING filled once with the template; each send marks up to 32 frames and kicks. */
    private static final class MinimalTx implements AutoCloseable {
        private final Posix p = new Posix();
        private final int fd;
        private final int frames = (1 << 20) / 2048 * 2;
        private final long len = 2L << 20;
        private final long addr;
        private final MemorySegment ring;
        private int head;

        MinimalTx(String ifname, byte[] f) {
            fd = p.socket(Posix.AF_PACKET, Posix.SOCK_RAW, 0);
            p.setsockoptInt(fd, 263, 10, 1); // TPACKET_V2
            p.setsockoptInt(fd, 263, 20, 1); // PACKET_QDISC_BYPASS
            MemorySegment req = p.scratch();
            req.set(ValueLayout.JAVA_INT, 0, 1 << 20);
            req.set(ValueLayout.JAVA_INT, 4, 2);
            req.set(ValueLayout.JAVA_INT, 8, 2048);
            req.set(ValueLayout.JAVA_INT, 12, frames);
            p.setsockopt(fd, 263, 13, req.address(), 16); // PACKET_TX_RING
            addr = p.mmapShared(fd, len);
            bindTo(p, fd, ifname, 0);
            ring = MemorySegment.ofAddress(addr).reinterpret(len);
            for (int i = 0; i < frames; i++) {
                MemorySegment.copy(f, 0, ring, ValueLayout.JAVA_BYTE, (long) i * 2048 + 32, f.length);
                ring.set(ValueLayout.JAVA_INT, (long) i * 2048 + 4, f.length);
                ring.set(ValueLayout.JAVA_INT, (long) i * 2048 + 8, f.length);
            }
        }

        long send(long until) {
            long sent = 0;
            while (System.nanoTime() < until) {
                int k = 0;
                for (; k < 32; k++) {
                    long at = (long) head * 2048;
                    if ((int) INT.getAcquire(ring, at) != 0) {
                        break;
                    }
                    INT.setRelease(ring, at, 1);
                    head = head + 1 == frames ? 0 : head + 1;
                }
                if (k > 0) {
                    p.sendto(fd, 0L, 0L, Posix.MSG_DONTWAIT, 0L, 0);
                    sent += k;
                }
            }
            return sent;
        }

        @Override
        public void close() {
            p.munmap(addr, len);
            p.close(fd);
        }
    }

    private static void bindTo(Posix p, int fd, String ifname, int proto) {
        int idx = p.ifNameToIndex(ifname);
        MemorySegment sa = p.scratch();
        sa.fill((byte) 0);
        sa.set(ValueLayout.JAVA_SHORT, 0, (short) Posix.AF_PACKET);
        sa.set(ValueLayout.JAVA_SHORT, 2, (short) proto);
        sa.set(ValueLayout.JAVA_INT, 4, idx);
        if (p.bind(fd, sa.address(), 20) != 0) {
            throw new IllegalStateException("bind " + ifname + ": " + p.error());
        }
    }
}
