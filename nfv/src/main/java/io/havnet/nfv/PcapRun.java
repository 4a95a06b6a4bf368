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

    /** True when {@code spec} names a live port ({@code af_packet:IF}, {@code tap:IF}) rather than a capture file. */
    public static boolean live(String spec) {
        return spec.startsWith("af_packet:") || spec.startsWith("tap:");
    }

    /** The port a spec names: {@code af_packet:IF} or {@code tap:IF}. */
    public static EthDev port(String name, String spec) {
        if (spec.startsWith("af_packet:")) {
            return io.havnet.dataplane.pmd.AfPacketEthDev.open(name, spec.substring(10));
        }
        if (spec.startsWith("tap:")) {
            return io.havnet.dataplane.pmd.TapEthDev.create(name, spec.substring(4),
                    io.havnet.dataplane.net.MacAddress.local(0x7A0000L | (spec.hashCode() & 0xFFFF)));
        }
        throw new IllegalArgumentException("'" + spec + "' is not a port (af_packet:IF, tap:IF)");
    }

    private static void start(EthDev d, Mempool pool) {
        d.configure(1, 1, EthConf.defaults());
        d.rxQueueSetup(0, 1024, pool);
        d.txQueueSetup(0, 1024);
        d.setPromiscuous(true);
        d.start();
        if (d instanceof io.havnet.dataplane.pmd.TapEthDev t) {
            t.setAdminUp(true);
        }
    }

    /** What a run did. */
    public record Result(String function, Map<String, Long> counters, Map<String, Long> drops, long read, long written,
                         NfAgent agent) {}

    public static Result run(Path in, Path out, int burst, BiFunction<EthDev, EthDev, NfAgent> make) {
        return run(in.toString(), out.toString(), burst, make, 0);
    }

    /**
     * Runs over ports named by spec: {@code af_packet:IF}, {@code tap:IF}, or a pcap file path.
     * Live ports have no end: the run lasts {@code seconds} (a capture input ends with its file).
     */
    public static Result run(String in, String out, int burst, BiFunction<EthDev, EthDev, NfAgent> make, double seconds) {
        MemoryRegion ram = MemoryRegion.allocate("nf", 64L << 20);
        Mempool pool = MbufPool.builder("nf", ram).count(8191).dataRoom(2048 + 128).build();
        boolean ownLcore = LcoreId.current() < 0;
        if (ownLcore) {
            LcoreId.acquire();
        }
        boolean liveIn = live(in);
        if (liveIn && !(seconds > 0)) {
            pool.close();
            ram.close();
            if (ownLcore) {
                LcoreId.release();
            }
            throw new IllegalArgumentException("--in " + in + " is a live interface: give --duration");
        }
        EthDev rx = null;
        EthDev tx = null;
        try {
            if (!liveIn && !live(out)) {
                PcapEthDev d = PcapEthDev.builder("nf-pcap").rx(Path.of(in)).tx(Path.of(out)).build();
                rx = d;
                tx = d;
                start(d, pool);
            } else {
                rx = liveIn ? port("nf-in", in) : PcapEthDev.builder("nf-in").rx(Path.of(in)).build();
                start(rx, pool);
                tx = live(out) ? port("nf-out", out) : PcapEthDev.builder("nf-out").tx(Path.of(out)).build();
                start(tx, pool);
            }
            NfAgent f = make.apply(rx, tx);
            f.onStart();
            int idle = 0;
            long end = liveIn ? System.nanoTime() + (long) (seconds * 1e9) : Long.MAX_VALUE;
            while (liveIn ? System.nanoTime() < end : idle < 3) {
                int w = f.doWork();
                idle = w == 0 && rx instanceof PcapEthDev p && p.rxDone() ? idle + 1 : 0;
            }
            f.onClose();
            rx.stop();
            if (tx != rx) {
                tx.stop();
            }
            EthDev dev = rx;
            long written = tx instanceof PcapEthDev pw ? pw.txRecords() : tx.stats().opackets();
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
            Result r = new Result(f.roleName(), all, drops, dev.stats().ipackets(), written, f);
            if (pool.inUse() != 0) {
                throw new IllegalStateException(f.roleName() + " kept " + pool.inUse() + " mbufs");
            }
            return r;
        } finally {
            if (rx != null) {
                rx.close();
            }
            if (tx != null && tx != rx) {
                tx.close();
            }
            if (ownLcore) {
                LcoreId.release();
            }
            pool.close();
            ram.close();
        }
    }
}
