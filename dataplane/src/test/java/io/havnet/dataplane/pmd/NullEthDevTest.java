package io.havnet.dataplane.pmd;

import io.havnet.dataplane.ethdev.EthConf;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.mbuf.MbufPool;
import io.havnet.dataplane.memory.HugePagePolicy;
import io.havnet.dataplane.memory.MemoryRegion;
import io.havnet.dataplane.mempool.Mempool;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class NullEthDevTest {
    @Test
    void rxMakesFramesOfTheConfiguredSizeAndTxFreesThem() {
        try (MemoryRegion region = MemoryRegion.allocate("null", 4 << 20, HugePagePolicy.NEVER);
             Mempool pool = MbufPool.builder("null", region).count(64).cacheSize(0).build();
             NullEthDev dev = NullEthDev.withTemplate("null0", 1, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14})) {
            dev.configure(1, 1, EthConf.defaults());
            dev.rxQueueSetup(0, 64, pool);
            dev.txQueueSetup(0, 64);
            dev.start();
            int[] a = new int[32];
            assertEquals(32, dev.rxBurst(0, a, 0, 32));
            assertEquals(14, Mbuf.pktLen(a[0]));
            assertEquals(7, Mbuf.toBytes(a[5])[6]);
            int[] a2 = new int[32];
            assertEquals(32, dev.rxBurst(0, a2, 0, 32));
            // 64 taken: the pool is empty, the next burst is counted as rx_nombuf
            int[] b = new int[8];
            assertEquals(0, dev.rxBurst(0, b, 0, 8));
            assertEquals(8, dev.stats().rxNombuf());
            assertEquals(32, dev.txBurst(0, a, 0, 32));
            assertEquals(32, pool.available());
            assertEquals(32, dev.txBurst(0, a2, 0, 32));
            assertEquals(64, pool.available(), "tx freed everything");
            assertEquals(64, dev.stats().ipackets());
            assertEquals(64, dev.stats().opackets());
            assertEquals(64 * 14, dev.stats().obytes());
        }
    }

    @Test
    void framesLargerThanTheMbufsAreRefusedAtSetup() {
        try (MemoryRegion region = MemoryRegion.allocate("null", 4 << 20, HugePagePolicy.NEVER);
             Mempool pool = MbufPool.builder("small", region).count(8).dataRoom(256).cacheSize(0).build();
             NullEthDev dev = NullEthDev.create("null1", 1, 1500)) {
            dev.configure(1, 1, EthConf.defaults());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> dev.rxQueueSetup(0, 8, pool));
            assertEquals("null1: mbufs of small hold 256 bytes, frames are 1500 (net_null does not chain segments)",
                    e.getMessage());
        }
    }
}
