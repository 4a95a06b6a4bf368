package io.havnet.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.havnet.dataplane.agent.LcoreId;
import io.havnet.dataplane.ethdev.EthConf;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.mbuf.MbufPool;
import io.havnet.dataplane.memory.HugePagePolicy;
import io.havnet.dataplane.memory.MemoryRegion;
import io.havnet.dataplane.mempool.Mempool;
import io.havnet.dataplane.pmd.PcapEthDev;
import io.havnet.dataplane.pmd.PcapFormatException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Capture files from outside: the pcap reader behind the pcap port (both byte orders, µs and ns,
 * truncated records, absurd lengths). A bad file is refused with {@link PcapFormatException} or
 * ends the replay with counted errors; it never throws anything else, hangs or leaks an mbuf.
 */
public class PcapFuzz {
    private static Path file;
    private static Mempool pool;

    public static void fuzzerTestOneInput(byte[] data) {
        try {
            if (file == null) {
                LcoreId.acquire();
                // in memory when the machine has a tmpfs: the reader, not the disk, is what is fuzzed
                Path shm = Path.of("/dev/shm");
                file = Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempFile(shm, "havnet-fuzz", ".pcap")
                        : Files.createTempFile("havnet-fuzz", ".pcap");
                file.toFile().deleteOnExit();
                pool = MbufPool.builder("fuzz-pcap", MemoryRegion.allocate("fuzz-pcap", 16L << 20, HugePagePolicy.NEVER))
                        .count(1023).build();
            }
            Files.write(file, data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        PcapEthDev d;
        try {
            d = PcapEthDev.builder("fuzz").rx(file).build();
        } catch (PcapFormatException e) {
            return;
        }
        try (d) {
            d.configure(1, 1, EthConf.defaults());
            d.rxQueueSetup(0, 64, pool);
            d.txQueueSetup(0, 64);
            d.start();
            int[] b = new int[32];
            for (int rounds = 0; !d.rxDone(); rounds++) {
                if (rounds > 10_000) {
                    throw new IllegalStateException("replay does not end");
                }
                int n = d.rxBurst(0, b, 0, b.length);
                Mbuf.freeBulk(b, 0, n);
            }
        }
        if (pool.inUse() != 0) {
            throw new IllegalStateException("pcap replay leaked " + pool.inUse() + " mbufs");
        }
    }

    @FuzzTest(maxDuration = "10s")
    void captures(byte[] data) {
        fuzzerTestOneInput(data);
    }
}
