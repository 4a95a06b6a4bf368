package io.havnet.nfv.fwd;

import io.havnet.dataplane.agent.LcoreId;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.mbuf.MbufPool;
import io.havnet.dataplane.memory.HugePagePolicy;
import io.havnet.dataplane.memory.MemoryRegion;
import io.havnet.dataplane.mempool.Mempool;
import io.havnet.dataplane.net.PacketBuilder;
import io.havnet.dataplane.pmd.RingEthDev;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The fast path allocates nothing per packet: forward 2 M frames through io and macswap
 * engines between ring ports and read this thread's allocated-bytes counter around it.
 * (The ≥ 10 M-packet figure is {@code havnet bench fwd --json}'s {@code alloc_bytes_per_pkt}.)
 */
class ZeroAllocationTest {
    @Test
    void forwardingAllocatesNoHeapPerPacket() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        LcoreId.acquire();
        try (MemoryRegion region = MemoryRegion.allocate("zero-alloc", 16 << 20, HugePagePolicy.NEVER)) {
            Mempool pool = MbufPool.builder("zero-alloc", region).count(2047).build();
            RingEthDev[] p = RingEthDev.pair("za0", "za1", 1, 1024);
            byte[] frame = PacketBuilder.ethernet(2, 1).ipv4("10.0.0.1", "10.0.0.2").udp(1, 2).padTo(60).build();
            for (int i = 0; i < 512; i++) {
                assertTrue(p[0].rxRing(0).enqueue(Mbuf.fromBytes(pool, frame)));
                assertTrue(p[1].rxRing(0).enqueue(Mbuf.fromBytes(pool, frame)));
            }
            FwdEngine[] engines = {new IoFwd(p[0], 0, p[1], 0, 32), new MacSwapFwd(p[1], 0, p[0], 0, 32)};
            run(engines, 2_000_000); // warm up: let the JIT compile the path
            long before = threads.getCurrentThreadAllocatedBytes();
            long sent = run(engines, 2_000_000);
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            assertTrue(sent >= 2_000_000);
            assertEquals(0, allocated, "bytes allocated while forwarding " + sent + " frames");
            for (RingEthDev d : p) {
                int m;
                while ((m = d.rxRing(0).dequeue()) != -1) {
                    Mbuf.free(m);
                }
                d.close();
            }
            assertEquals(0, pool.inUse());
            pool.close();
        } finally {
            LcoreId.release();
        }
    }

    private static long run(FwdEngine[] engines, long packets) {
        long start = engines[0].counters().get(FwdEngine.TX_PACKETS) + engines[1].counters().get(FwdEngine.TX_PACKETS);
        long sent = 0;
        while (sent < packets) {
            for (int i = 0; i < 256; i++) {
                engines[0].doWork();
                engines[1].doWork();
            }
            sent = engines[0].counters().get(FwdEngine.TX_PACKETS) + engines[1].counters().get(FwdEngine.TX_PACKETS)
                    - start;
        }
        return sent;
    }
}
