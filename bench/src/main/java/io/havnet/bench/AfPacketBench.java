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
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code havnet bench afpacket}: frames sent into one end of a veth pair and received at the
 * other, sender on CPU 0 and receiver on CPU 1 — through havnet's {@link AfPacketEthDev} (mbufs,
 * bursts of 32), and through a minimal sender and receiver that drive the same rings with nothing
 * else (a PACKET_TX_RING filled with one template, a TPACKET_V3 ring whose frames are only
 * counted), measured in the same run: three interleaved rounds each, the median round reported.
 */
public final class AfPacketBench {
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    private final String a;
    private final String b;
    private final double seconds;
    private final int frameSize;

    public AfPacketBench(String a, String b, double seconds, int frameSize) {
        this.a = a;
        this.b = b;
        this.seconds = seconds;
        this.frameSize = frameSize;
    }

    public Map<String, Object> run() {
        // three interleaved rounds of each, the median round: both sides see the same machine noise
        double[][] ms = new double[3][];
        double[][] hs = new double[3][];
        for (int r = 0; r < 3; r++) {
            ms[r] = minimal();
            hs[r] = havnet();
        }
        java.util.Comparator<double[]> byTx = java.util.Comparator.comparingDouble(x -> x[0]);
        java.util.Arrays.sort(ms, byTx);
        java.util.Arrays.sort(hs, byTx);
        double[] minimal = ms[1];
        double[] havnet = hs[1];
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("frame_size", frameSize);
        m.put("havnet_tx_mpps", Measure.r3(havnet[0] / 1e6));
        m.put("havnet_rx_mpps", Measure.r3(havnet[1] / 1e6));
        m.put("minimal_tx_mpps", Measure.r3(minimal[0] / 1e6));
        m.put("minimal_rx_mpps", Measure.r3(minimal[1] / 1e6));
        m.put("tx_vs_minimal", Measure.r3(havnet[0] / minimal[0]));
        m.put("rx_vs_minimal", Measure.r3(havnet[1] / minimal[1]));
        return m;
    }

    private byte[] frame() {
        return PacketBuilder.ethernet(0x02BB00000001L, 0x02AA00000001L).ipv4("10.77.0.1", "10.77.0.2").udp(40000, 33333)
                .padTo(frameSize - 4).build();
    }

    /** {tx pps, rx pps} through two AfPacketEthDev ports. */
    private double[] havnet() {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong rx = new AtomicLong();
        AtomicLong tx = new AtomicLong();
        AtomicBoolean rxReady = new AtomicBoolean();
        byte[] f = frame();
        Thread receiver = new Thread(() -> {
            Affinity.pinCurrentThread(1);
            LcoreId.acquire();
            try (MemoryRegion ram = MemoryRegion.allocate("afp-rx", 64L << 20, HugePagePolicy.NEVER);
                 AfPacketEthDev d = AfPacketEthDev.open("bench-rx", b)) {
                Mempool pool = MbufPool.builder("afp-rx", ram).count(16383).build();
                start(d, pool);
                int[] burst = new int[32];
                rxReady.set(true);
                long n = 0;
                while (!stop.get()) {
                    int k = d.rxBurst(0, burst, 0, 32);
                    if (k > 0) {
                        Mbuf.freeBulk(burst, 0, k);
                        n += k;
                        rx.lazySet(n);
                    }
                }
                d.close();
                pool.close();
            } finally {
                LcoreId.release();
            }
        }, "afp-rx");
        receiver.start();
        while (!rxReady.get()) {
            Thread.onSpinWait();
        }
        Affinity.pinCurrentThread(0);
        LcoreId.acquire();
        try (MemoryRegion ram = MemoryRegion.allocate("afp-tx", 32L << 20, HugePagePolicy.NEVER);
             AfPacketEthDev d = AfPacketEthDev.open("bench-tx", a)) {
            Mempool pool = MbufPool.builder("afp-tx", ram).count(8191).build();
            start(d, pool);
            int[] burst = new int[32];
            MemorySegment fs = OffHeap.copyOf(f);
            long warm = System.nanoTime() + (long) (Math.min(1.0, seconds / 3) * 1e9);
            long t0 = 0;
            long r0 = 0;
            long sent = 0;
            boolean measuring = false;
            long end = Long.MAX_VALUE;
            while (true) {
                long now = System.nanoTime();
                if (!measuring && now >= warm) {
                    measuring = true;
                    t0 = now;
                    r0 = rx.get();
                    sent = 0;
                    end = now + (long) (seconds * 1e9);
                }
                if (now >= end) {
                    break;
                }
                // as testpmd's txonly does: a bulk of mbufs, the template copied into each
                int k = Mbuf.allocBulk(pool, burst, 0, 32);
                for (int i = 0; i < k; i++) {
                    int m = burst[i];
                    MemorySegment.copy(fs, 0, Mbuf.segment(m), Mbuf.append(m, f.length), f.length);
                }
                int s = d.txBurst(0, burst, 0, k);
                if (s < k) {
                    Mbuf.freeBulk(burst, s, k - s);
                }
                sent += s;
            }
            long ns = System.nanoTime() - t0;
            long received = rx.get() - r0;
            stop.set(true);
            receiver.join();
            tx.set(sent);
            d.close();
            pool.close();
            return new double[] {sent * 1e9 / ns, received * 1e9 / ns};
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } finally {
            LcoreId.release();
        }
    }

    private static void start(AfPacketEthDev d, Mempool pool) {
        d.configure(1, 1, EthConf.defaults());
        d.rxQueueSetup(0, 4096, pool);
        d.txQueueSetup(0, 4096);
        d.start();
    }

    /** {tx pps, rx pps} with bare rings: the peer. */
    private double[] minimal() {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong rx = new AtomicLong();
        AtomicBoolean rxReady = new AtomicBoolean();
        Thread receiver = new Thread(() -> {
            Affinity.pinCurrentThread(1);
            Posix p = new Posix();
            int fd = p.socket(Posix.AF_PACKET, Posix.SOCK_RAW, 0x0300);
            p.setsockoptInt(fd, 263, 10, 2); // TPACKET_V3
            p.setsockoptInt(fd, 263, 23, 1);
            MemorySegment req = p.scratch();
            int block = 1 << 18;
            int blocks = 64;
            req.set(ValueLayout.JAVA_INT, 0, block);
            req.set(ValueLayout.JAVA_INT, 4, blocks);
            req.set(ValueLayout.JAVA_INT, 8, 2048);
            req.set(ValueLayout.JAVA_INT, 12, block / 2048 * blocks);
            req.set(ValueLayout.JAVA_INT, 16, 1);
            req.set(ValueLayout.JAVA_INT, 20, 0);
            req.set(ValueLayout.JAVA_INT, 24, 0);
            p.setsockopt(fd, 263, 5, req.address(), 28);
            long len = (long) block * blocks;
            long addr = p.mmapShared(fd, len);
            bindTo(p, fd, b, 0x0300);
            MemorySegment ring = MemorySegment.ofAddress(addr).reinterpret(len);
            rxReady.set(true);
            long n = 0;
            int blk = 0;
            while (!stop.get()) {
                long at = (long) blk * block;
                if (((int) INT.getAcquire(ring, at + 8) & 1) == 0) {
                    continue;
                }
                n += ring.get(ValueLayout.JAVA_INT, at + 12);
                INT.setRelease(ring, at + 8, 0);
                blk = (blk + 1) % blocks;
                rx.lazySet(n);
            }
            p.munmap(addr, len);
            p.close(fd);
        }, "minimal-rx");
        receiver.start();
        while (!rxReady.get()) {
            Thread.onSpinWait();
        }
        Affinity.pinCurrentThread(0);
        Posix p = new Posix();
        int fd = p.socket(Posix.AF_PACKET, Posix.SOCK_RAW, 0);
        p.setsockoptInt(fd, 263, 10, 1); // TPACKET_V2
        p.setsockoptInt(fd, 263, 20, 1); // QDISC_BYPASS
        MemorySegment req = p.scratch();
        int frames = (1 << 20) / 2048 * 2;
        req.set(ValueLayout.JAVA_INT, 0, 1 << 20);
        req.set(ValueLayout.JAVA_INT, 4, 2);
        req.set(ValueLayout.JAVA_INT, 8, 2048);
        req.set(ValueLayout.JAVA_INT, 12, frames);
        p.setsockopt(fd, 263, 13, req.address(), 16);
        long len = 2L << 20;
        long addr = p.mmapShared(fd, len);
        bindTo(p, fd, a, 0);
        MemorySegment ring = MemorySegment.ofAddress(addr).reinterpret(len);
        byte[] f = frame();
        for (int i = 0; i < frames; i++) {
            MemorySegment.copy(f, 0, ring, ValueLayout.JAVA_BYTE, (long) i * 2048 + 32, f.length);
            ring.set(ValueLayout.JAVA_INT, (long) i * 2048 + 4, f.length);
            ring.set(ValueLayout.JAVA_INT, (long) i * 2048 + 8, f.length);
        }
        int head = 0;
        long warm = System.nanoTime() + (long) (Math.min(1.0, seconds / 3) * 1e9);
        long t0 = 0;
        long r0 = 0;
        long sent = 0;
        boolean measuring = false;
        long end = Long.MAX_VALUE;
        while (true) {
            long now = System.nanoTime();
            if (!measuring && now >= warm) {
                measuring = true;
                t0 = now;
                r0 = rx.get();
                sent = 0;
                end = now + (long) (seconds * 1e9);
            }
            if (now >= end) {
                break;
            }
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
        long ns = System.nanoTime() - t0;
        long received = rx.get() - r0;
        stop.set(true);
        try {
            receiver.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        p.munmap(addr, len);
        p.close(fd);
        return new double[] {sent * 1e9 / ns, received * 1e9 / ns};
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
