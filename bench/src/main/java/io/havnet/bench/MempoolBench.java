package io.havnet.bench;

import io.havnet.dataplane.agent.LcoreId;
import io.havnet.dataplane.memory.HugePagePolicy;
import io.havnet.dataplane.memory.MemoryRegion;
import io.havnet.dataplane.mempool.Mempool;
import io.havnet.dataplane.mempool.MempoolCache;
import org.jctools.queues.MpmcArrayQueue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code havnet bench mempool}: one core takes {@code bulk} objects and puts them back, over and
 * over. Objects/s counts each object once per get+put cycle (DPDK's mempool_perf convention).
 * Peers in the same run: the same pool without a per-lcore cache (straight to its MPMC ring),
 * and a JCTools MPMC queue used as an object pool.
 */
public final class MempoolBench {
    private static final int POOL_SIZE = 16384;

    private final long objects;
    private final int rounds;

    public MempoolBench(long objects, int rounds) {
        this.objects = objects;
        this.rounds = rounds;
    }

    public record Result(String name, int bulk, int cacheSize, double mopsPerSec, double nsPerObject,
                         double allocBytesPerObject) {
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", name);
            m.put("bulk", bulk);
            m.put("cache_size", cacheSize);
            m.put("mobjs_per_sec", Measure.r3(mopsPerSec));
            m.put("ns_per_object", Measure.r3(nsPerObject));
            m.put("alloc_bytes_per_object", Measure.r3(allocBytesPerObject));
            return m;
        }
    }

    public List<Result> runAll() {
        List<Result> out = new ArrayList<>();
        int lcore = LcoreId.acquire();
        try (MemoryRegion region = MemoryRegion.allocate("bench-mempool", 64L << 20, HugePagePolicy.AUTO)) {
            Mempool cached = Mempool.builder("bench-cached", region).count(POOL_SIZE).elementSize(64).cacheSize(256)
                    .build();
            Mempool uncached = Mempool.builder("bench-ring", region).count(POOL_SIZE).elementSize(64).cacheSize(0)
                    .build();
            try {
                out.add(havnet("havnet-mempool-cache", cached, cached.cacheOf(lcore), 32));
                out.add(havnet("havnet-mempool-cache", cached, cached.cacheOf(lcore), 1));
                out.add(havnet("havnet-mempool-nocache", uncached, null, 32));
                out.add(jctools(32));
            } finally {
                cached.close();
                uncached.close();
            }
        } finally {
            LcoreId.release();
        }
        return out;
    }

    private Result havnet(String name, Mempool pool, MempoolCache cache, int bulk) {
        int[] objs = new int[bulk];
        long iters = objects / bulk;
        loop(pool, cache, objs, bulk, Math.min(iters, 2_000_000)); // warm-up
        double[] ns = new double[rounds];
        long alloc = 0;
        for (int r = 0; r < rounds; r++) {
            long a0 = Measure.allocatedBytes();
            long t0 = System.nanoTime();
            loop(pool, cache, objs, bulk, iters);
            ns[r] = (System.nanoTime() - t0) / (double) (iters * bulk);
            alloc += Measure.allocatedBytes() - a0;
        }
        double med = Measure.median(ns);
        return new Result(name, bulk, cache == null ? 0 : pool.cacheSize(), 1000.0 / med, med,
                alloc / (double) (iters * bulk * rounds));
    }

    private static void loop(Mempool pool, MempoolCache cache, int[] objs, int bulk, long iters) {
        for (long i = 0; i < iters; i++) {
            if (pool.getBulk(cache, objs, 0, bulk) != bulk) {
                throw new IllegalStateException("pool ran dry");
            }
            pool.putBulk(cache, objs, 0, bulk);
        }
    }

    private Result jctools(int bulk) {
        MpmcArrayQueue<Object> q = new MpmcArrayQueue<>(POOL_SIZE);
        for (int i = 0; i < POOL_SIZE; i++) {
            q.offer(new Object());
        }
        Object[] objs = new Object[bulk];
        long iters = objects / bulk;
        jloop(q, objs, bulk, Math.min(iters, 2_000_000));
        double[] ns = new double[rounds];
        long alloc = 0;
        for (int r = 0; r < rounds; r++) {
            long a0 = Measure.allocatedBytes();
            long t0 = System.nanoTime();
            jloop(q, objs, bulk, iters);
            ns[r] = (System.nanoTime() - t0) / (double) (iters * bulk);
            alloc += Measure.allocatedBytes() - a0;
        }
        double med = Measure.median(ns);
        return new Result("jctools-mpmc-pool", bulk, 0, 1000.0 / med, med, alloc / (double) (iters * bulk * rounds));
    }

    private static void jloop(MpmcArrayQueue<Object> q, Object[] objs, int bulk, long iters) {
        for (long i = 0; i < iters; i++) {
            for (int k = 0; k < bulk; k++) {
                Object o = q.relaxedPoll();
                if (o == null) {
                    throw new IllegalStateException("pool ran dry");
                }
                objs[k] = o;
            }
            for (int k = 0; k < bulk; k++) {
                q.relaxedOffer(objs[k]);
            }
        }
    }
}
