package io.havnet.nfv;

import io.havnet.dataplane.agent.LcoreId;
import io.havnet.dataplane.ethdev.EthConf;
import io.havnet.dataplane.ethdev.EthDev;
import io.havnet.dataplane.mbuf.MbufPool;
import io.havnet.dataplane.memory.MemoryRegion;
import io.havnet.dataplane.mempool.Mempool;
import io.havnet.dataplane.pmd.PcapEthDev;
import io.havnet.dataplane.stats.Counters;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * Runs one network function over a capture: a pcap port replays {@code in} into the function
 * and writes what it sends to {@code out}; the function runs on the calling thread until the
 * file is done and nothing moves. Returns the function's counters; every mbuf is back in the
 * pool afterwards (checked).
 */
public final class PcapRun {
    private PcapRun() {}

    /** What a run did. */
    public record Result(String function, Map<String, Long> counters, Map<String, Long> drops, long read, long written,
                         NfAgent agent) {}

    public static Result run(Path in, Path out, int burst, BiFunction<EthDev, EthDev, NfAgent> make) {
        MemoryRegion ram = MemoryRegion.allocate("nf", 64L << 20);
        Mempool pool = MbufPool.builder("nf", ram).count(8191).dataRoom(2048 + 128).build();
        boolean ownLcore = LcoreId.current() < 0;
        if (ownLcore) {
            LcoreId.acquire();
        }
        try (PcapEthDev dev = PcapEthDev.builder("nf-pcap").rx(in).tx(out).build()) {
            dev.configure(1, 1, EthConf.defaults());
            dev.rxQueueSetup(0, 1024, pool);
            dev.txQueueSetup(0, 1024);
            dev.start();
            NfAgent f = make.apply(dev, dev);
            f.onStart();
            int idle = 0;
            while (idle < 3) {
                int w = f.doWork();
                idle = w == 0 && dev.rxDone() ? idle + 1 : 0;
            }
            f.onClose();
            dev.stop();
            Counters c = f.counters();
            Map<String, Long> all = new LinkedHashMap<>();
            for (int i = 0; i < c.size(); i++) {
                all.put(c.defs().get(i).name(), c.get(i));
            }
            Map<String, Long> drops = new LinkedHashMap<>();
            for (int i : f.dropCounters()) {
                if (c.get(i) != 0) {
                    drops.put(c.defs().get(i).name(), c.get(i));
                }
            }
            Result r = new Result(f.roleName(), all, drops, dev.stats().ipackets(), dev.txRecords(), f);
            if (pool.inUse() != 0) {
                throw new IllegalStateException(f.roleName() + " kept " + pool.inUse() + " mbufs");
            }
            return r;
        } finally {
            if (ownLcore) {
                LcoreId.release();
            }
            pool.close();
            ram.close();
        }
    }
}
