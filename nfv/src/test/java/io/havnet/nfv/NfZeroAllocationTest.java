package io.havnet.nfv;

import io.havnet.dataplane.TestEnv;
import io.havnet.dataplane.agent.LcoreId;
import io.havnet.dataplane.crypto.CryptoBackend;
import io.havnet.dataplane.ethdev.EthDev;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.mbuf.MbufPool;
import io.havnet.dataplane.memory.HugePagePolicy;
import io.havnet.dataplane.memory.MemoryRegion;
import io.havnet.dataplane.mempool.Mempool;
import io.havnet.dataplane.net.Net;
import io.havnet.dataplane.net.PacketBuilder;
import io.havnet.dataplane.pmd.RingEthDev;
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
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.security.SecureRandom;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Each function, paired with its inverse so frames circulate between two ring ports, allocates
 * nothing per packet once warm (the thread's allocated-bytes counter does not move). ESP with the
 * OpenSSL backend too; the JDK backend allocates inside {@code Cipher.init} (GCM needs a fresh
 * parameter object per packet) — measured in {@code havnet bench ipsec}, not asserted here.
 */
class NfZeroAllocationTest {
    static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    @Test
    void vlanPushPop() {
        loop((a, b) -> VlanFunction.push(a, b, 32, Net.ETHER_TYPE_VLAN, 7, 1, 0), (a, b) -> VlanFunction.pop(a, b, 32));
    }

    @Test
    void vxlanEncapDecap() {
        loop((a, b) -> new VxlanEncap(a, b, 32, 42, 1, 2, 3, 4, Map.of()),
                (a, b) -> new VxlanDecap(a, b, 32, 2, Set.of(42), Map.of()));
    }

    @Test
    void aclBothWays() {
        AclRules r = AclRules.parse("acl", "rules:\n  - {priority: 1, src: 10.9.0.0/16, action: deny}\n"
                + "  - {priority: 2, proto: tcp, dport: 22, action: deny}\n  - {priority: 0, action: allow}\n");
        loop((a, b) -> new AclFunction(a, b, 32, r), (a, b) -> new AclFunction(a, b, 32, r));
    }

    @Test
    void l3fwdBothWays() {
        Lpm lpm = new Lpm();
        lpm.add(0x0A000000, 8, 0);
        lpm.add(0x0A000200, 24, 0);
        // each pass costs a TTL: warm up long (frames expire, that is fine), then measure fresh frames for 100 rounds
        loop((a, b) -> new L3Fwd(a, b, 32, lpm, new long[] {2}, 1), (a, b) -> new L3Fwd(a, b, 32, lpm, new long[] {2}, 1),
                2000, 100);
    }

    @Test
    void espWithOpenSsl() {
        TestEnv.require(CryptoBackend.OPENSSL.available(), "OpenSSL backend: " + CryptoBackend.OPENSSL.unavailableReason());
        TunnelFactory.Pair p = TunnelFactory.create(1, 2, new int[] {0x0A000000, 24}, new int[] {0x0A000200, 24},
                Aead.AES_128_GCM, 64, new SecureRandom());
        try (Sad l = new Sad(p.left().sas(), CryptoBackend.OPENSSL); Sad r = new Sad(p.right().sas(), CryptoBackend.OPENSSL)) {
            loop((a, b) -> new EspEncap(a, b, 32, p.left(), l), (a, b) -> new EspDecap(a, b, 32, p.right(), r), 10_000);
        }
    }

    static void loop(BiFunction<EthDev, EthDev, NfAgent> f1, BiFunction<EthDev, EthDev, NfAgent> f2) {
        loop(f1, f2, 200_000);
    }

    static void loop(BiFunction<EthDev, EthDev, NfAgent> f1, BiFunction<EthDev, EthDev, NfAgent> f2, int rounds) {
        loop(f1, f2, rounds, rounds);
    }

    static void loop(BiFunction<EthDev, EthDev, NfAgent> f1, BiFunction<EthDev, EthDev, NfAgent> f2, int warm, int rounds) {
        LcoreId.acquire();
        try (MemoryRegion region = MemoryRegion.allocate("nf-alloc", 16 << 20, HugePagePolicy.NEVER)) {
            Mempool pool = MbufPool.builder("nf-alloc", region).count(2047).build();
            RingEthDev[] p = RingEthDev.pair("nfa0", "nfa1", 1, 1024);
            byte[] frame = PacketBuilder.ethernet(2, 1).ipv4(0x0A000001, 0x0A000203, 255).udp(40000, 33333).padTo(200).build();
            refill(p, pool, frame);
            NfAgent a = f1.apply(p[0], p[0]);
            NfAgent b = f2.apply(p[1], p[1]);
            // a reads p0's RX ring (what p1 sends) and sends on p0 (to p1's RX ring); b the other way
            run(a, b, warm); // warm up: let the JIT compile every path
            // then the measurement's own rounds once on fresh frames, unmeasured: a warm-up whose frames
            // expired (l3fwd's TTL) profiled forwarding only at its start, and the recompilation that
            // follows once frames flow again must not land in the measurement
            refill(p, pool, frame);
            run(a, b, rounds);
            refill(p, pool, frame); // fresh frames for the measurement
            long drops0 = a.dropped() + b.dropped();
            long before = THREADS.getCurrentThreadAllocatedBytes();
            long moved = run(a, b, rounds);
            long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
            assertTrue(moved >= 20L * rounds, "frames moved: " + moved);
            assertEquals(drops0, a.dropped() + b.dropped(), a.counters().snapshot() + " " + b.counters().snapshot());
            assertEquals(0, allocated, a.roleName() + "/" + b.roleName() + ": bytes allocated over " + moved + " frames");
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

    /** Frees whatever the ports hold and puts 256 new copies of {@code frame} into port 0's RX ring. */
    private static void refill(RingEthDev[] p, Mempool pool, byte[] frame) {
        for (RingEthDev d : p) {
            int m;
            while ((m = d.rxRing(0).dequeue()) != -1) {
                Mbuf.free(m);
            }
        }
        for (int i = 0; i < 256; i++) {
            assertTrue(p[0].rxRing(0).enqueue(Mbuf.fromBytes(pool, frame)));
        }
    }

    private static long run(NfAgent a, NfAgent b, int rounds) {
        long t0 = a.counters().get(NfAgent.TX) + b.counters().get(NfAgent.TX);
        for (int i = 0; i < rounds; i++) {
            a.doWork();
            b.doWork();
        }
        return a.counters().get(NfAgent.TX) + b.counters().get(NfAgent.TX) - t0;
    }
}
