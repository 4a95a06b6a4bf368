package io.havnet.nfv;

import io.havnet.dataplane.agent.LcoreId;
import io.havnet.dataplane.ethdev.EthDev;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.mbuf.MbufPool;
import io.havnet.dataplane.memory.HugePagePolicy;
import io.havnet.dataplane.memory.MemoryRegion;
import io.havnet.dataplane.mempool.Mempool;
import io.havnet.dataplane.pmd.RingEthDev;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A network function between two ring ports: frames go in as bytes, come out as bytes; at close
 * every mbuf must be back in the pool and every frame accounted for (rx = tx + drops).
 */
public final class NfHarness implements AutoCloseable {
    public final MemoryRegion ram = MemoryRegion.allocate("nf-test", 16L << 20, HugePagePolicy.NEVER);
    public final Mempool pool = MbufPool.builder("nf-test", ram).count(4095).build();
    private final RingEthDev[] in = RingEthDev.pair("nf-in-a", "nf-in-b", 1, 1024);
    private final RingEthDev[] out = RingEthDev.pair("nf-out-a", "nf-out-b", 1, 1024);
    public final NfAgent f;

    public NfHarness(BiFunction<EthDev, EthDev, NfAgent> make) {
        try {
            this.f = make.apply(in[1], out[0]);
        } catch (RuntimeException e) {
            for (RingEthDev d : new RingEthDev[] {in[0], in[1], out[0], out[1]}) {
                d.close();
            }
            pool.close();
            ram.close();
            throw e;
        }
        LcoreId.acquire();
    }

    /** Puts frames on the function's RX queue. */
    public NfHarness send(byte[]... frames) {
        for (byte[] b : frames) {
            int m = Mbuf.fromBytes(pool, b);
            if (!in[1].rxRing(0).enqueue(m)) {
                Mbuf.free(m);
                throw new IllegalStateException("input ring full");
            }
        }
        return this;
    }

    /** Runs the function until it has nothing left; returns what it sent, as bytes (mbufs freed). */
    public List<byte[]> run() {
        while (f.doWork() > 0) {
            // drain
        }
        List<byte[]> l = new ArrayList<>();
        int m;
        while ((m = out[1].rxRing(0).dequeue()) != -1) {
            l.add(Mbuf.toBytes(m));
            Mbuf.free(m);
        }
        return l;
    }

    /** One frame through; null when it was dropped. */
    public byte[] one(byte[] frame) {
        List<byte[]> l = send(frame).run();
        return l.isEmpty() ? null : l.getFirst();
    }

    public long count(String counter) {
        return f.counters().get(f.counter(counter));
    }

    @Override
    public void close() {
        run();
        long rx = f.counters().get(NfAgent.RX);
        long tx = f.counters().get(NfAgent.TX);
        assertEquals(rx, tx + f.dropped(), "every frame forwarded or counted as a drop");
        for (RingEthDev d : new RingEthDev[] {in[0], in[1], out[0], out[1]}) {
            d.close();
        }
        assertEquals(0, pool.inUse(), "every mbuf back in the pool");
        pool.close();
        ram.close();
        LcoreId.release();
    }
}
