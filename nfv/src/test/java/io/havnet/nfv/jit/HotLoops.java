package io.havnet.nfv.jit;

import io.havnet.dataplane.agent.LcoreId;
import io.havnet.dataplane.crypto.CryptoBackend;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.mbuf.MbufPool;
import io.havnet.dataplane.memory.HugePagePolicy;
import io.havnet.dataplane.memory.MemoryRegion;
import io.havnet.dataplane.mempool.Mempool;
import io.havnet.dataplane.net.PacketBuilder;
import io.havnet.dataplane.pmd.RingEthDev;
import io.havnet.nfv.NfAgent;
import io.havnet.nfv.ipsec.Aead;
import io.havnet.nfv.ipsec.EspDecap;
import io.havnet.nfv.ipsec.EspEncap;
import io.havnet.nfv.ipsec.Sad;
import io.havnet.nfv.ipsec.TunnelFactory;
import io.havnet.nfv.vlan.VlanFunction;
import io.havnet.nfv.vxlan.VxlanDecap;
import io.havnet.nfv.vxlan.VxlanEncap;

import java.security.SecureRandom;
import java.util.Map;
import java.util.Set;

/**
 * The network functions' fast paths run hot, in pairs that undo each other (ESP encap → decap,
 * VLAN push → pop, VXLAN encap → decap) with frames circulating between them over ring ports,
 * for the number of seconds given. {@link JitTiersTest} runs it in a JVM of its own and reads
 * what the JIT did with them.
 */
public final class HotLoops {
    private HotLoops() {
    }

    public static void main(String[] args) {
        double seconds = Double.parseDouble(args[0]);
        long each = (long) (seconds * 1e9 / 3);
        LcoreId.acquire();
        try (MemoryRegion ram = MemoryRegion.allocate("hot-loops", 32L << 20, HugePagePolicy.NEVER)) {
            Mempool pool = MbufPool.builder("hot-loops", ram).count(4095).build();
            TunnelFactory.Pair pair = TunnelFactory.create(0xCB007101, 0xCB007102, new int[] {0x0A010000, 16},
                    new int[] {0x0A020000, 16}, Aead.AES_128_GCM, 64, new SecureRandom());
            try (Sad left = new Sad(pair.left().sas(), CryptoBackend.JDK);
                 Sad right = new Sad(pair.right().sas(), CryptoBackend.JDK)) {
                circulate(pool, each, (a, b) -> new NfAgent[] {new EspEncap(a, a, 32, pair.left(), left),
                        new EspDecap(b, b, 32, pair.right(), right)});
            }
            circulate(pool, each, (a, b) -> new NfAgent[] {VlanFunction.push(a, a, 32, 0x8100, 100, 3, 0),
                    VlanFunction.pop(b, b, 32)});
            circulate(pool, each, (a, b) -> new NfAgent[] {
                    new VxlanEncap(a, a, 32, 42, 0xC0A80001, 0xC0A80002, 0x02AA00000001L, 0x02BB00000001L, Map.of()),
                    new VxlanDecap(b, b, 32, 0xC0A80002, Set.of(42), Map.of())});
            if (pool.inUse() != 0) {
                throw new IllegalStateException(pool.inUse() + " mbufs not returned");
            }
        } finally {
            LcoreId.release();
        }
    }

    private interface Pair {
        NfAgent[] make(RingEthDev a, RingEthDev b);
    }

    /** 240 frames of mixed sizes loop through the pair for {@code ns}; every one must survive. */
    private static void circulate(Mempool pool, long ns, Pair make) {
        RingEthDev[] p = RingEthDev.pair("hot-a", "hot-b", 1, 1024);
        int[] sizes = {60, 60, 572, 60, 1514};
        for (int i = 0; i < 240; i++) {
            byte[] f = PacketBuilder.ethernet(2, 1).ipv4("10.1.0.1", "10.2.0.1").udp(40000 + i, 33333)
                    .padTo(sizes[i % sizes.length]).build();
            if (!p[0].rxRing(0).enqueue(Mbuf.fromBytes(pool, f))) {
                throw new IllegalStateException("ring full");
            }
        }
        NfAgent[] f = make.make(p[0], p[1]);
        long end = System.nanoTime() + ns;
        while (System.nanoTime() < end) {
            for (int i = 0; i < 16; i++) {
                f[0].doWork();
                f[1].doWork();
            }
        }
        for (NfAgent a : f) {
            if (a.dropped() != 0) {
                throw new IllegalStateException(a.counters().snapshot().toString());
            }
        }
        for (RingEthDev d : p) {
            int m;
            while ((m = d.rxRing(0).dequeue()) != -1) {
                Mbuf.free(m);
            }
            d.close();
        }
    }
}
