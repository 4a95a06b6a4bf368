package io.havnet.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.havnet.dataplane.agent.LcoreId;
import io.havnet.dataplane.crypto.CryptoBackend;
import io.havnet.dataplane.ethdev.EthDev;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.mbuf.MbufPool;
import io.havnet.dataplane.memory.HugePagePolicy;
import io.havnet.dataplane.memory.MemoryRegion;
import io.havnet.dataplane.mempool.Mempool;
import io.havnet.dataplane.net.Net;
import io.havnet.dataplane.net.PacketClassifier;
import io.havnet.dataplane.pmd.RingEthDev;
import io.havnet.nfv.NfAgent;
import io.havnet.nfv.acl.AclFunction;
import io.havnet.nfv.acl.AclRules;
import io.havnet.nfv.ipsec.Aead;
import io.havnet.nfv.ipsec.EspDecap;
import io.havnet.nfv.ipsec.EspEncap;
import io.havnet.nfv.ipsec.Sad;
import io.havnet.nfv.ipsec.TunnelFactory;
import io.havnet.nfv.l3.L3Fwd;
import io.havnet.nfv.l3.Lpm;
import io.havnet.nfv.vlan.VlanFunction;
import io.havnet.nfv.vxlan.VxlanDecap;
import io.havnet.nfv.vxlan.VxlanEncap;

import java.lang.foreign.MemorySegment;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Frame headers from outside: the classifier (Ethernet, VLAN/QinQ, IPv4, IPv6 and extensions,
 * UDP, TCP, ICMP, ESP, VXLAN and its inner frame) and every network function that parses frames.
 * Each input goes through each function; afterwards every frame is forwarded or counted as a
 * drop, and every mbuf is back in the pool — anything else is a finding.
 */
public class FrameFuzz {
    private static final class World {
        final MemoryRegion ram = MemoryRegion.allocate("fuzz-frames", 16L << 20, HugePagePolicy.NEVER);
        final Mempool pool = MbufPool.builder("fuzz-frames", ram).count(1023).build();
        final RingEthDev[] in = RingEthDev.pair("fz-in-a", "fz-in-b", 1, 64);
        final RingEthDev[] out = RingEthDev.pair("fz-out-a", "fz-out-b", 1, 64);
        final PacketClassifier classifier = new PacketClassifier();
        final List<NfAgent> functions;

        World() {
            LcoreId.acquire();
            TunnelFactory.Pair p = TunnelFactory.create(0x0A000001, 0x0A000002, new int[] {0x0A010000, 16},
                    new int[] {0x0A020000, 16}, Aead.AES_128_GCM, 64, new SecureRandom(new byte[] {1}));
            Sad left = new Sad(p.left().sas(), CryptoBackend.JDK);
            Sad right = new Sad(p.right().sas(), CryptoBackend.JDK);
            Lpm lpm = new Lpm(16);
            lpm.add(0x0A000000, 8, 0);
            lpm.add(0, 0, 1);
            EthDev rx = in[1];
            EthDev tx = out[0];
            functions = List.of(
                    VlanFunction.pop(rx, tx, 8),
                    VlanFunction.push(rx, tx, 8, Net.ETHER_TYPE_QINQ, 7, 1, 0),
                    VlanFunction.translate(rx, tx, 8, 1, 2),
                    new VxlanDecap(rx, tx, 8, 0, Set.of(), Map.of(1, 5)),
                    new VxlanEncap(rx, tx, 8, 5, 1, 2, 3, 4, Map.of(5, 6)),
                    new EspDecap(rx, tx, 8, p.right(), right),
                    new EspEncap(rx, tx, 8, p.left(), left),
                    new L3Fwd(rx, tx, 8, lpm, new long[] {2, 3}, 1),
                    new AclFunction(rx, tx, 8, AclRules.parse("acl", "rules:\n  - {priority: 1, proto: tcp, dport: 22, action: deny}\n"
                            + "  - {priority: 0, action: allow}\n")));
        }
    }

    private static World world;

    public static void fuzzerTestOneInput(byte[] data) {
        if (world == null) {
            world = new World();
        }
        World w = world;
        if (data.length == 0 || data.length > 9000) {
            return;
        }
        MemorySegment seg = MemorySegment.ofArray(data);
        w.classifier.classify(seg, 0, data.length);
        for (NfAgent f : w.functions) {
            long rx0 = f.counters().get(NfAgent.RX);
            long tx0 = f.counters().get(NfAgent.TX);
            long drop0 = f.dropped();
            int m = Mbuf.fromBytes(w.pool, data);
            if (m == Mbuf.NONE) {
                throw new IllegalStateException("pool exhausted: an mbuf leaked");
            }
            if (!w.in[1].rxRing(0).enqueue(m)) {
                Mbuf.free(m);
                throw new IllegalStateException("input ring full: a frame was not consumed");
            }
            f.doWork();
            int o;
            while ((o = w.out[1].rxRing(0).dequeue()) != -1) {
                Mbuf.free(o);
            }
            long rx = f.counters().get(NfAgent.RX) - rx0;
            long tx = f.counters().get(NfAgent.TX) - tx0;
            long drops = f.dropped() - drop0;
            if (rx != 1 || tx + drops != 1) {
                throw new IllegalStateException(f.roleName() + ": rx " + rx + ", tx " + tx + ", drops " + drops);
            }
            if (w.pool.inUse() != 0) {
                throw new IllegalStateException(f.roleName() + " leaked " + w.pool.inUse() + " mbufs");
            }
        }
    }

    @FuzzTest(maxDuration = "10s")
    void frames(byte[] data) {
        fuzzerTestOneInput(data);
    }
}
