package io.havnet.bench.jmh;

import io.havnet.dataplane.agent.LcoreId;
import io.havnet.dataplane.memory.MemoryRegion;
import io.havnet.dataplane.mempool.Mempool;
import io.havnet.dataplane.mempool.MempoolCache;
import org.openjdk.jmh.annotations.*;

import java.util.concurrent.TimeUnit;

/**
 * Bulk get+put of 32 elements on one thread, with the per-lcore cache and straight from the
 * common ring, in one run. Score: objects per µs. Run: {@code ./havnet jmh MempoolJmh -prof gc}
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Thread)
public class MempoolJmh {
    @Param({"cache", "nocache"})
    public String mode;

    private MemoryRegion region;
    private Mempool pool;
    private MempoolCache cache;
    private final int[] objs = new int[32];

    @Setup
    public void setUp() {
        int lcore = LcoreId.acquire();
        region = MemoryRegion.allocate("jmh-mempool", 8 << 20);
        pool = Mempool.builder("jmh", region).count(8192).elementSize(64).cacheSize(mode.equals("cache") ? 256 : 0)
                .build();
        cache = pool.cacheOf(lcore);
    }

    @TearDown
    public void tearDown() {
        pool.close();
        region.close();
        LcoreId.release();
    }

    @Benchmark
    @OperationsPerInvocation(32)
    public int getPut32() {
        int n = pool.getBulk(cache, objs, 0, 32);
        pool.putBulk(cache, objs, 0, n);
        return n;
    }
}
