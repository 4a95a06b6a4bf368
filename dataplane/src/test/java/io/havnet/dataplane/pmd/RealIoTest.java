package io.havnet.dataplane.pmd;

import io.havnet.dataplane.TestEnv;
import io.havnet.dataplane.agent.LcoreId;
import io.havnet.dataplane.ethdev.EthConf;
import io.havnet.dataplane.ethdev.EthDev;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.mbuf.MbufPool;
import io.havnet.dataplane.memory.HugePagePolicy;
import io.havnet.dataplane.memory.MemoryRegion;
import io.havnet.dataplane.mempool.Mempool;
import io.havnet.dataplane.net.MacAddress;
import io.havnet.dataplane.net.PacketBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** AF_PACKET and TAP ports on real Linux interfaces (root). */
class RealIoTest {
    static final String A = "hvio" + ProcessHandle.current().pid() % 10000 + "a";
    static final String B = "hvio" + ProcessHandle.current().pid() % 10000 + "b";
    MemoryRegion ram;
    Mempool pool;

    @BeforeEach
    void setUp() {
        TestEnv.require(TestEnv.isRoot(), "needs root (AF_PACKET, TUN/TAP, veth)");
        TestEnv.require(TestEnv.hasTool("ip"), "needs iproute2");
        LcoreId.acquire();
        ram = MemoryRegion.allocate("realio", 32L << 20, HugePagePolicy.NEVER);
        pool = MbufPool.builder("realio", ram).count(4095).build();
    }

    @AfterEach
    void tearDown() {
        if (pool != null) {
            assertEquals(0, pool.inUse(), "every mbuf back");
            pool.close();
            ram.close();
            LcoreId.release();
        }
        TestEnv.exec(List.of("ip", "link", "del", A), null, 30);
    }

    static void sh(String... cmd) {
        TestEnv.exec(List.of(cmd), null, 30).ok();
    }

    /** The veth pair A–B, up, without IPv6 chatter. */
    static void vethPair() {
        sh("ip", "link", "add", A, "type", "veth", "peer", "name", B);
        for (String i : List.of(A, B)) {
            sh("ip", "link", "set", i, "up");
            sh("sysctl", "-qw", "net.ipv6.conf." + i + ".disable_ipv6=1");
        }
    }

    EthDev start(EthDev d) {
        d.configure(1, 1, EthConf.defaults());
        d.rxQueueSetup(0, 1024, pool);
        d.txQueueSetup(0, 1024);
        d.start();
        return d;
    }

    List<byte[]> receive(EthDev d, int want, long timeoutMs) {
        List<byte[]> got = new ArrayList<>();
        int[] b = new int[64];
        long end = System.currentTimeMillis() + timeoutMs;
        do {
            int n = d.rxBurst(0, b, 0, b.length);
            for (int i = 0; i < n; i++) {
                got.add(Mbuf.toBytes(b[i]));
                Mbuf.free(b[i]);
            }
        } while (got.size() < want && System.currentTimeMillis() < end);
        return got;
    }

    @Test
    void framesCrossAVethPairBetweenTwoAfPacketPorts() {
        vethPair();
        try (EthDev a = start(AfPacketEthDev.open("a", A)); EthDev b = start(AfPacketEthDev.open("b", B))) {
            assertTrue(a.link().up(), a.link().toString());
            List<byte[]> sent = new ArrayList<>();
            List<byte[]> got = new ArrayList<>();
            int[] burst = new int[1];
            for (int i = 0; i < 500; i++) {
                byte[] f = PacketBuilder.ethernet(0x02BB00000001L, 0x02AA00000001L).ipv4("10.77.0.1", "10.77.0.2")
                        .udp(40000 + i, 33333).payload(new byte[i % 1400]).build();
                sent.add(f);
                burst[0] = Mbuf.fromBytes(pool, f);
                while (a.txBurst(0, burst, 0, 1) == 0) {
                    Thread.onSpinWait(); // the TX ring is full until the kernel catches up
                }
                if (i % 50 == 49) {
                    got.addAll(receive(b, 0, 0)); // the receiver polls as it would on its lcore
                }
            }
            got.addAll(receive(b, 500 - got.size(), 5000));
            assertEquals(500, got.size(), "every frame arrived; kernel drops " + ((AfPacketEthDev) b).kernelDrops() + " "
                    + TestEnv.exec(List.of("ip", "-s", "link", "show", B), null, 10).out()
                    + TestEnv.exec(List.of("ip", "-s", "link", "show", A), null, 10).out());
            for (int i = 0; i < 500; i++) {
                assertArrayEquals(sent.get(i), got.get(i), "frame " + i);
            }
            byte[] tagged = PacketBuilder.ethernet(0x02BB00000001L, 0x02AA00000001L).vlan(0x6000 | 42)
                    .ipv4("10.77.0.1", "10.77.0.2").udp(1, 2).build();
            burst[0] = Mbuf.fromBytes(pool, tagged);
            assertEquals(1, a.txBurst(0, burst, 0, 1));
            List<byte[]> t = receive(b, 1, 3000);
            assertEquals(1, t.size());
            assertArrayEquals(tagged, t.getFirst(), "a VLAN tag the kernel lifts out of the frame is put back");
            assertEquals(0, receive(a, 1, 200).size(), "a port does not receive what it sent");
            assertEquals(501, a.stats().opackets());
            assertEquals(501, b.stats().ipackets());
        }
    }

    /**
     * A receive ring that hands frames over in blocks (TPACKET_V3) makes a lone frame wait for its
     * block's retire timer (1 ms asked; 1-4 ms on a 250 Hz kernel), so every frame of a ping from
     * the wire waited for it. Each frame here is sent alone and the receiver polls until it shows.
     */
    @Test
    void aLoneFrameIsReceivedAsItArrivesNotWhenABlockRetires() {
        vethPair();
        try (EthDev a = start(AfPacketEthDev.open("a", A)); EthDev b = start(AfPacketEthDev.open("b", B))) {
            byte[] f = PacketBuilder.ethernet(0x02BB00000001L, 0x02AA00000001L).ipv4("10.77.0.1", "10.77.0.2")
                    .udp(40000, 33333).payload(new byte[18]).build();
            int[] one = new int[1];
            int[] got = new int[8];
            long[] waited = new long[101];
            for (int i = 0; i < waited.length; i++) {
                one[0] = Mbuf.fromBytes(pool, f);
                assertEquals(1, a.txBurst(0, one, 0, 1));
                long t0 = System.nanoTime();
                int n;
                while ((n = b.rxBurst(0, got, 0, got.length)) == 0) {
                    assertTrue(System.nanoTime() - t0 < 1_000_000_000L, "frame " + i + " never arrived");
                }
                waited[i] = System.nanoTime() - t0;
                assertEquals(1, n, "one frame at a time");
                assertArrayEquals(f, Mbuf.toBytes(got[0]));
                Mbuf.free(got[0]);
            }
            java.util.Arrays.sort(waited);
            // the veth hands the frame to the receiving socket inside the sender's send: it is in the
            // ring before the first poll, or a few µs later when the kernel defers it to a softirq
            assertTrue(waited[waited.length / 2] < 250_000, "median wait " + waited[waited.length / 2] / 1000
                    + " µs after the send: frames are held back, as a block ring holds them until its timer");
        }
    }

    /** On interfaces with a 9000-byte MTU, jumbo frames cross whole, both ways (the rings' slots follow the MTU). */
    @Test
    void jumboFramesCrossAVethPairWithA9000ByteMtu() {
        vethPair();
        sh("ip", "link", "set", A, "mtu", "9000");
        sh("ip", "link", "set", B, "mtu", "9000");
        try (EthDev a = start(AfPacketEthDev.open("a", A)); EthDev b = start(AfPacketEthDev.open("b", B))) {
            int[] one = new int[1];
            for (int size : new int[] {1514, 4000, 9014}) {
                byte[] f = PacketBuilder.ethernet(0x02BB00000001L, 0x02AA00000001L).ipv4("10.77.0.1", "10.77.0.2")
                        .udp(40000, 33333).padTo(size).build();
                for (EthDev[] pair : new EthDev[][] {{a, b}, {b, a}}) {
                    one[0] = Mbuf.fromBytes(pool, f);
                    assertTrue(Mbuf.nbSegs(one[0]) > 1 || size <= 2048, "a jumbo frame is a chain of mbufs here");
                    assertEquals(1, pair[0].txBurst(0, one, 0, 1), size + " B taken");
                    List<byte[]> got = receive(pair[1], 1, 3000);
                    assertEquals(1, got.size(), size + " B frame arrived; TX errors " + pair[0].stats().oerrors()
                            + ", RX errors " + pair[1].stats().ierrors());
                    assertArrayEquals(f, got.getFirst(), size + " B frame, byte for byte");
                }
            }
        }
    }

    @Test
    void severalRxQueuesShareTheTrafficByFlowAndPromiscuousModeShowsOnTheInterface() {
        vethPair();
        try (EthDev a = start(AfPacketEthDev.open("a", A)); AfPacketEthDev b = AfPacketEthDev.open("b", B)) {
            b.configure(2, 1, EthConf.defaults());
            b.setPromiscuous(true);
            b.rxQueueSetup(0, 1024, pool);
            b.rxQueueSetup(1, 1024, pool);
            b.txQueueSetup(0, 1024);
            b.start();
            String shown = TestEnv.exec(List.of("ip", "-d", "link", "show", B), null, 10).ok().out();
            assertTrue(shown.matches("(?s).*promiscuity [1-9].*"),
                    "the interface is in promiscuous mode while the port runs (packet sockets set a count): " + shown);
            int flows = 64;
            int[] burst = new int[1];
            int[] queueOfFlow = new int[flows];
            Arrays.fill(queueOfFlow, -1);
            int[] perQueue = new int[2];
            for (int i = 0; i < 8 * flows; i++) {
                byte[] f = PacketBuilder.ethernet(0x02BB00000001L, 0x02AA00000001L).ipv4("10.77.0.1", "10.77.0.2")
                        .udp(40000 + i % flows, 33333).payload(new byte[] {(byte) i}).build();
                burst[0] = Mbuf.fromBytes(pool, f);
                while (a.txBurst(0, burst, 0, 1) == 0) {
                    Thread.onSpinWait();
                }
                if (i % 32 == 31) {
                    pollBoth(b, queueOfFlow, perQueue); // the receiver polls as it would on its lcore
                }
            }
            long end = System.currentTimeMillis() + 5000;
            while (perQueue[0] + perQueue[1] < 8 * flows && System.currentTimeMillis() < end) {
                pollBoth(b, queueOfFlow, perQueue);
            }
            assertEquals(8 * flows, perQueue[0] + perQueue[1], "every frame arrived on one of the queues; kernel drops "
                    + b.kernelDrops() + " " + TestEnv.exec(List.of("ip", "-s", "link", "show", B), null, 10).out());
            assertTrue(perQueue[0] > 0 && perQueue[1] > 0, "both queues carry flows: " + Arrays.toString(perQueue));
        }
        String after = TestEnv.exec(List.of("ip", "-d", "link", "show", B), null, 10).ok().out();
        assertTrue(after.contains("promiscuity 0 "), "closing the port takes the interface out of promiscuous mode: " + after);
    }

    @Test
    void aTapPortWithTwoQueuePairsIsAMultiQueueInterfaceAndEveryQueueCarries() {
        MacAddress mac = MacAddress.parse("02:00:00:00:7a:02");
        try (TapEthDev tap = TapEthDev.create("tapmq", A, mac)) {
            tap.configure(2, 2, EthConf.defaults());
            for (int q = 0; q < 2; q++) {
                tap.rxQueueSetup(q, 1024, pool);
                tap.txQueueSetup(q, 1024);
            }
            tap.start();
            tap.setAdminUp(true);
            sh("sysctl", "-qw", "net.ipv6.conf." + A + ".disable_ipv6=1");
            String show = TestEnv.exec(List.of("ip", "-d", "link", "show", A), null, 30).ok().out();
            assertTrue(show.contains("multi_queue") && show.contains("numqueues 2"), show);
            try (EthDev watch = start(AfPacketEthDev.open("watch", A))) {
                for (int q = 0; q < 2; q++) {
                    byte[] f = PacketBuilder.ethernet(0x02BB00000001L, mac.value()).ipv4("10.78.0.1", "10.78.0.2")
                            .udp(7 + q, 9).payload(new byte[60]).build();
                    int[] one = {Mbuf.fromBytes(pool, f)};
                    assertEquals(1, tap.txBurst(q, one, 0, 1));
                    List<byte[]> got = receive(watch, 1, 3000);
                    assertEquals(1, got.size(), "what queue " + q + " sends, Linux receives");
                    assertArrayEquals(f, got.getFirst());
                }
            }
            // what Linux sends out of the interface comes out of one of the queues
            sh("ip", "addr", "add", "10.78.0.1/24", "dev", A);
            TestEnv.exec(List.of("ping", "-c", "1", "-W", "1", "10.78.0.2"), null, 10);
            int[] rx = new int[16];
            int n = 0;
            long end = System.currentTimeMillis() + 3000;
            while (n == 0 && System.currentTimeMillis() < end) {
                for (int q = 0; q < 2 && n == 0; q++) {
                    n = tap.rxBurst(q, rx, 0, rx.length);
                }
            }
            assertTrue(n > 0, "the kernel's ARP request came out of a queue");
            Mbuf.freeBulk(rx, 0, n);
            for (int q = 0; q < 2; q++) {
                while ((n = tap.rxBurst(q, rx, 0, rx.length)) > 0) {
                    Mbuf.freeBulk(rx, 0, n);
                }
            }
        }
    }

    /** Takes what both RX queues of {@code b} hold; each flow (UDP source port) must stay on one queue. */
    private static void pollBoth(AfPacketEthDev b, int[] queueOfFlow, int[] perQueue) {
        int[] rx = new int[64];
        for (int q = 0; q < 2; q++) {
            int n = b.rxBurst(q, rx, 0, rx.length);
            for (int i = 0; i < n; i++) {
                byte[] f = Mbuf.toBytes(rx[i]);
                Mbuf.free(rx[i]);
                int flow = ((f[34] & 0xFF) << 8 | f[35] & 0xFF) - 40000;
                assertTrue(queueOfFlow[flow] == -1 || queueOfFlow[flow] == q,
                        "flow " + flow + " arrived on queues " + queueOfFlow[flow] + " and " + q);
                queueOfFlow[flow] = q;
                perQueue[q]++;
            }
        }
    }

    @Test
    void aTapPortIsALinuxInterface() {
        MacAddress mac = MacAddress.parse("02:00:00:00:7a:01");
        try (TapEthDev tap = TapEthDev.create("tap", A, mac)) {
            start(tap);
            tap.setAdminUp(true);
            sh("sysctl", "-qw", "net.ipv6.conf." + A + ".disable_ipv6=1");
            String show = TestEnv.exec(List.of("ip", "link", "show", A), null, 30).ok().out();
            assertTrue(show.contains("link/ether 02:00:00:00:7a:01"), show);
            assertTrue(show.contains("UP"), show);
            // what havnet writes into the TAP, Linux receives on the interface (seen here through AF_PACKET)
            try (EthDev watch = start(AfPacketEthDev.open("watch", A))) {
                byte[] f = PacketBuilder.ethernet(0x02BB00000001L, mac.value()).ipv4("10.78.0.1", "10.78.0.2").udp(7, 9)
                        .payload(new byte[100]).build();
                int[] one = {Mbuf.fromBytes(pool, f)};
                assertEquals(1, tap.txBurst(0, one, 0, 1));
                List<byte[]> got = receive(watch, 1, 3000);
                assertEquals(1, got.size());
                assertArrayEquals(f, got.getFirst());
            }
            // what Linux sends out of the interface, havnet reads: an ARP request for a neighbour
            sh("ip", "addr", "add", "10.78.0.1/24", "dev", A);
            TestEnv.exec(List.of("ping", "-c", "1", "-W", "1", "10.78.0.2"), null, 10);
            List<byte[]> arp = receive(tap, 1, 3000);
            assertFalse(arp.isEmpty(), "the kernel's ARP request came out of the TAP");
            byte[] r = arp.getFirst();
            assertEquals(0x0806, (r[12] & 0xFF) << 8 | r[13] & 0xFF);
            assertArrayEquals(Arrays.copyOfRange(r, 6, 12), new byte[] {2, 0, 0, 0, 0x7a, 1}, "sent from the TAP's MAC");
        }
    }

    @Test
    void badInterfacesAreOneLineErrors() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AfPacketEthDev.open("x", "nope0"));
        assertEquals("af_packet:nope0: no such interface", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> AfPacketEthDev.open("x", "bad/name"));
        assertTrue(e.getMessage().startsWith("af_packet:bad/name: not an interface name"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TapEthDev.create("x", "this-name-is-too-long", MacAddress.local(1)));
        assertTrue(e.getMessage().contains("not an interface name"), e.getMessage());
    }

    @Test
    void aVanishedInterfaceTakesTheLinkDownWithoutAHang() {
        sh("ip", "link", "add", A, "type", "veth", "peer", "name", B);
        sh("ip", "link", "set", A, "up");
        sh("ip", "link", "set", B, "up");
        try (EthDev a = start(AfPacketEthDev.open("a", A))) {
            sh("ip", "link", "del", A);
            int[] b = new int[8];
            long t0 = System.nanoTime();
            // frames the kernel sent before the interface went (IPv6 neighbour discovery on link-up)
            // may still be in the ring and are delivered; after that, nothing
            int late = 0;
            for (int i = 0; i < 1000; i++) {
                int n = a.rxBurst(0, b, 0, b.length);
                Mbuf.freeBulk(b, 0, n);
                late += n;
            }
            assertEquals(0, a.rxBurst(0, b, 0, b.length));
            assertTrue(late < 16, late + " frames after the interface was deleted");
            int m = Mbuf.fromBytes(pool, new byte[60]);
            int[] one = {m};
            int taken = a.txBurst(0, one, 0, 1);
            if (taken == 0) {
                Mbuf.free(m);
            }
            try {
                Thread.sleep(150);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            assertFalse(a.link().up());
            assertTrue(a.link().toString().contains(A), a.link().toString());
            assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "no hang");
        }
    }
}
