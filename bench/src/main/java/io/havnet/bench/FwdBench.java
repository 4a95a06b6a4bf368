package io.havnet.bench;

import io.havnet.dataplane.agent.LcoreId;
import io.havnet.dataplane.memory.HugePagePolicy;
import io.havnet.dataplane.memory.MemoryRegion;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.mbuf.MbufPool;
import io.havnet.dataplane.mempool.Mempool;
import io.havnet.dataplane.pmd.RingEthDev;
import io.havnet.nfv.fwd.FwdEngine;
import io.havnet.nfv.fwd.IoFwd;
import io.havnet.nfv.fwd.MacSwapFwd;
import io.havnet.nfv.fwd.TxTemplate;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code havnet bench fwd}: testpmd-style forwarding between two ring ports on one core.
 * Two streams (port 0 → port 1 and port 1 → port 0) run round-robin on this thread; each ring
 * is primed with frames, so every frame a stream sends comes back to its RX queue, as in
 * testpmd over {@code net_ring} loopback. Mpps = frames sent by both streams / wall time.
 * Allocation is read from this thread's allocated-bytes counter over the whole timed run.
 * The peer, measured in the same run: a bare loop moving the same mbuf handles between two
 * plain int rings while reading each mbuf's length — what the abstraction costs.
 */
public final class FwdBench {
    private static final int RING = 1024;
    private static final int PRIMED = 512;
    private final long packets;
    private final int burst;
    private final int frameSize;

    public FwdBench(long packets, int burst, int wireFrameSize) {
        if (packets < 1_000_000) {
            throw new IllegalArgumentException("fwd bench needs at least 1,000,000 packets");
        }
        this.packets = packets;
        this.burst = burst;
        this.frameSize = TxTemplate.withoutFcs(wireFrameSize);
    }

    public record Result(String name, double mpps, double nsPerPacket, double allocBytesPerPacket, long packets) {
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", name);
            m.put("mpps", Measure.r3(mpps));
            m.put("ns_per_pkt", Measure.r3(nsPerPacket));
            m.put("alloc_bytes_per_pkt", Measure.r3(allocBytesPerPacket));
            m.put("packets", packets);
            return m;
        }
    }

    /** io forwarding (the headline), macswap, and the bare-loop peer. */
    public List<Result> runAll() {
        LcoreId.acquire();
        try (MemoryRegion region = MemoryRegion.allocate("bench-fwd", 64L << 20, HugePagePolicy.AUTO)) {
            Mempool pool = MbufPool.builder("bench-fwd", region).count(4095).cacheSize(256).build();
            try {
                Result io = streams("havnet-io", pool, false);
                Result swap = streams("havnet-macswap", pool, true);
                Result bare = bareLoop(pool);
                return List.of(io, swap, bare);
            } finally {
                pool.close();
            }
        } finally {
            LcoreId.release();
        }
    }

    private Result streams(String name, Mempool pool, boolean macswap) {
        RingEthDev[] ports = RingEthDev.pair("bench-p0", "bench-p1", 1, RING);
        try {
            FwdEngine a = macswap ? new MacSwapFwd(ports[0], 0, ports[1], 0, burst) : new IoFwd(ports[0], 0, ports[1], 0, burst);
            FwdEngine b = macswap ? new MacSwapFwd(ports[1], 0, ports[0], 0, burst) : new IoFwd(ports[1], 0, ports[0], 0, burst);
            prime(pool, ports[0].rxRing(0));
            prime(pool, ports[1].rxRing(0));
            runStreams(a, b, Math.min(packets, 20_000_000)); // warm-up
            long before = sent(a, b);
            long a0 = Measure.allocatedBytes();
            long t0 = System.nanoTime();
            runStreams(a, b, packets);
            long ns = System.nanoTime() - t0;
            long alloc = Measure.allocatedBytes() - a0;
            long n = sent(a, b) - before;
            long dropped = a.counters().get(FwdEngine.FWD_DROPPED) + b.counters().get(FwdEngine.FWD_DROPPED);
            if (dropped != 0) {
                throw new IllegalStateException("fwd bench: " + dropped + " frames dropped in a closed loop");
            }
            drain(ports[0].rxRing(0));
            drain(ports[1].rxRing(0));
            return new Result(name, n * 1000.0 / ns, ns / (double) n, alloc / (double) n, n);
        } finally {
            ports[0].close();
            ports[1].close();
        }
    }

    private static long sent(FwdEngine a, FwdEngine b) {
        return a.counters().get(FwdEngine.TX_PACKETS) + b.counters().get(FwdEngine.TX_PACKETS);
    }

    private static void runStreams(FwdEngine a, FwdEngine b, long packets) {
        long target = sent(a, b) + packets;
        while (sent(a, b) < target) {
            for (int i = 0; i < 1024; i++) {
                a.doWork();
                b.doWork();
            }
        }
    }

    private void prime(Mempool pool, io.havnet.dataplane.ring.Ring ring) {
        byte[] frame = TxTemplate.udp(frameSize, 0x020000000001L, 0x020000000002L);
        for (int i = 0; i < PRIMED; i++) {
            int m = Mbuf.fromBytes(pool, frame);
            if (m == Mbuf.NONE || !ring.enqueue(m)) {
                throw new IllegalStateException("fwd bench: cannot prime ring " + ring.name());
            }
        }
    }

    private static void drain(io.havnet.dataplane.ring.Ring ring) {
        int m;
        while ((m = ring.dequeue()) != io.havnet.dataplane.ring.Ring.EMPTY) {
            Mbuf.free(m);
        }
    }

    /** The peer: two plain int rings, handles moved in bursts, each mbuf's pkt_len read. */
    private Result bareLoop(Mempool pool) {
        int[][] rings = {new int[RING], new int[RING]};
        int[] head = new int[2];
        int[] tail = new int[2];
        byte[] frame = TxTemplate.udp(frameSize, 0x020000000001L, 0x020000000002L);
        for (int r = 0; r < 2; r++) {
            for (int i = 0; i < PRIMED; i++) {
                rings[r][tail[r]++ & (RING - 1)] = Mbuf.fromBytes(pool, frame);
            }
        }
        int[] buf = new int[burst];
        long sink = bare(rings, head, tail, buf, Math.min(packets, 20_000_000));
        long a0 = Measure.allocatedBytes();
        long t0 = System.nanoTime();
        sink += bare(rings, head, tail, buf, packets);
        long ns = System.nanoTime() - t0;
        long alloc = Measure.allocatedBytes() - a0;
        for (int r = 0; r < 2; r++) {
            while (head[r] != tail[r]) {
                Mbuf.free(rings[r][head[r]++ & (RING - 1)]);
            }
        }
        if (sink == 42) {
            System.out.print(""); // keeps the byte sum alive
        }
        return new Result("bare-ring-loop", packets * 1000.0 / ns, ns / (double) packets, alloc / (double) packets,
                packets);
    }

    private long bare(int[][] rings, int[] head, int[] tail, int[] buf, long packets) {
        long moved = 0;
        long bytes = 0;
        final int mask = RING - 1;
        while (moved < packets) {
            for (int r = 0; r < 2; r++) {
                int[] ring = rings[r];
                int n = Math.min(burst, tail[r] - head[r]);
                for (int i = 0; i < n; i++) {
                    buf[i] = ring[head[r]++ & mask];
                }
                for (int i = 0; i < n; i++) {
                    bytes += Mbuf.pktLen(buf[i]);
                    ring[tail[r]++ & mask] = buf[i];
                }
                moved += n;
            }
        }
        return bytes;
    }
}
