package io.havnet.nic;

import io.havnet.dataplane.agent.DeterministicRunner;
import io.havnet.dataplane.clock.ManualClock;
import io.havnet.dataplane.ethdev.EthConf;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.mbuf.MbufPool;
import io.havnet.dataplane.memory.HugePagePolicy;
import io.havnet.dataplane.memory.MemoryRegion;
import io.havnet.dataplane.mempool.Mempool;
import io.havnet.dataplane.pmd.RingEthDev;
import io.havnet.nic.driver.PfDriver;
import io.havnet.nic.driver.PoolEthDev;
import io.havnet.nic.driver.VfEthDev;
import io.havnet.platform.Platform;
import io.havnet.platform.iommu.IommuDomain;
import io.havnet.platform.memory.PageAllocator;
import io.havnet.platform.paging.PageTable;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A NIC on a platform, its wire a ring pair (the test holds the far end), a PF driver, and
 * "guests": per VF, guest RAM mapped in the VF's IOMMU domain (IOVA = GPA from 0), an mbuf pool
 * in it, and the VF PMD. Everything runs on the deterministic runner with a manual clock.
 */
final class NicTestBed implements AutoCloseable {
    static final long GUEST_RAM = 8L << 20;

    final Platform platform;
    final ManualClock clock = new ManualClock(1_000_000_000L);
    final RingEthDev[] wirePair;
    final RingEthDev peer;      // the far end of the wire: what the test sends and sees
    final Nic nic;
    final PfDriver pf;
    final DeterministicRunner runner;
    final MemoryRegion hostRegion;
    final Mempool hostPool;
    final List<Guest> guests = new ArrayList<>();
    final List<PoolEthDev> poolPorts = new ArrayList<>();

    /** One VM's view: RAM, its IOMMU domain, its pool, its VF driver. */
    static final class Guest {
        int vf;
        long hpa;
        IommuDomain domain;
        MemoryRegion ram;
        Mempool pool;
        VfEthDev dev;
    }

    NicTestBed(int numVfs) {
        this(numVfs, 0, true, PageAllocator.PAGE_2M);
    }

    NicTestBed(int numVfs, int pools, boolean veb, long iommuPageSize) {
        this(numVfs, pools, veb, iommuPageSize, 0);
    }

    /** A bed whose port paces the wire at {@code lineRateMbps} (0: not paced). */
    NicTestBed(int numVfs, int pools, boolean veb, long iommuPageSize, long lineRateMbps) {
        platform = Platform.create(256L << 20, HugePagePolicy.NEVER);
        wirePair = RingEthDev.pair("wire-nic", "wire-peer", 1, 1024);
        peer = wirePair[1];
        Nic.Builder b = Nic.builder("nic0", platform, wirePair[0]).numVfs(numVfs).veb(veb).clock(clock)
                .lineRateMbps(lineRateMbps);
        if (pools > 0) {
            b.pools(pools);
        }
        nic = b.build();
        pf = new PfDriver(nic);
        runner = new DeterministicRunner(nic.rxEngine(), nic.txEngine(), pf.mailboxService());
        hostRegion = platform.memory().allocateRegion("host-pools", 16L << 20);
        hostPool = MbufPool.builder("host", hostRegion).count(2048).cacheSize(0).build();
        this.iommuPageSize = iommuPageSize;
    }

    private final long iommuPageSize;

    /** Creates the guest of VF {@code vf}: RAM, domain, pool; probes and starts its VF PMD. */
    Guest guest(int vf, int queues) {
        return guest(vf, queues, EthConf.defaults());
    }

    /** {@link #guest(int, int)} with the port configured as {@code conf} says (offloads, RSS fields). */
    Guest guest(int vf, int queues, EthConf conf) {
        Guest g = new Guest();
        g.vf = vf;
        g.hpa = platform.memory().pages().allocate2m((int) (GUEST_RAM / PageAllocator.PAGE_2M));
        g.domain = platform.iommu().createDomain("vm-vf" + vf);
        g.domain.map(0, g.hpa, GUEST_RAM, iommuPageSize, PageTable.READ | PageTable.WRITE);
        platform.iommu().attach(nic.vf(vf), g.domain);
        g.ram = platform.memory().slice("guest" + vf, g.hpa, GUEST_RAM, 0);
        g.pool = MbufPool.builder("guest" + vf, g.ram).count(1023).cacheSize(0).build();
        g.dev = VfEthDev.probe("vf" + vf, nic.vfRegisters(vf), g.ram, runner::runOnce);
        start(g.dev, queues, g.pool, conf);
        guests.add(g);
        return g;
    }

    static void start(io.havnet.dataplane.ethdev.EthDev d, int queues, Mempool pool, EthConf conf) {
        d.configure(queues, queues, conf);
        for (int q = 0; q < queues; q++) {
            d.rxQueueSetup(q, 128, pool);
            d.txQueueSetup(q, 128);
        }
        d.start();
    }

    /** The PF default pool as a host port. */
    PoolEthDev pfPort() {
        PoolEthDev d = pf.openPool("pf-pool", nic.pfPool(), hostRegion);
        start(d, 1, hostPool, EthConf.defaults());
        poolPorts.add(d);
        return d;
    }

    /** Sends frames from the far end of the wire into the NIC. */
    void fromWire(byte[]... frames) {
        int[] a = new int[frames.length];
        for (int i = 0; i < frames.length; i++) {
            a[i] = Mbuf.fromBytes(hostPool, frames[i]);
            assertNotEquals(Mbuf.NONE, a[i]);
        }
        assertEquals(frames.length, peer.txBurst(0, a, 0, a.length));
    }

    /** Frames the NIC put on the wire, as bytes. */
    List<byte[]> wireOut() {
        List<byte[]> out = new ArrayList<>();
        int[] a = new int[64];
        int n;
        while ((n = peer.rxBurst(0, a, 0, a.length)) > 0) {
            for (int i = 0; i < n; i++) {
                out.add(Mbuf.toBytes(a[i]));
            }
            Mbuf.freeBulk(a, 0, n);
        }
        return out;
    }

    /** Everything a device received on queue {@code q}, freed after copying. */
    static List<byte[]> received(io.havnet.dataplane.ethdev.EthDev d, int q) {
        List<byte[]> out = new ArrayList<>();
        int[] a = new int[64];
        int n;
        while ((n = d.rxBurst(q, a, 0, a.length)) > 0) {
            for (int i = 0; i < n; i++) {
                out.add(Mbuf.toBytes(a[i]));
            }
            Mbuf.freeBulk(a, 0, n);
        }
        return out;
    }

    /** Sends frames from a device (guest side). Returns how many it took. */
    static int send(io.havnet.dataplane.ethdev.EthDev d, Mempool pool, byte[]... frames) {
        int[] a = new int[frames.length];
        for (int i = 0; i < frames.length; i++) {
            a[i] = Mbuf.fromBytes(pool, frames[i]);
        }
        int k = d.txBurst(0, a, 0, a.length);
        Mbuf.freeBulk(a, k, a.length - k);
        return k;
    }

    void run() {
        runner.runUntilIdle(3, 1_000_000);
    }

    /** Asserts frame conservation inside the NIC. */
    void assertConserved() {
        assertEquals(0, nic.counters().rxUnaccounted(), () -> "RX " + nic.counters().rx().snapshot());
        assertEquals(0, nic.counters().txUnaccounted(), () -> "TX " + nic.counters().tx().snapshot());
    }

    long rx(int counter) {
        return nic.counters().rx().get(counter);
    }

    long tx(int counter) {
        return nic.counters().tx().get(counter);
    }

    @Override
    public void close() {
        run();
        for (Guest g : guests) {
            g.dev.close();
            assertEquals(0, g.pool.inUse(), () -> "guest " + g.vf + " leaked " + g.pool.leakReport());
            g.pool.close();
        }
        for (PoolEthDev d : poolPorts) {
            d.close();
        }
        wireOut();
        assertEquals(0, hostPool.inUse(), () -> "host pool leaked " + hostPool.leakReport());
        run();
        assertEquals(0, nic.packetBuffer().inUse(), () -> "NIC packet buffer leaked " + nic.packetBuffer().leakReport());
        hostPool.close();
        nic.close();
        wirePair[0].close();
        wirePair[1].close();
        runner.close();
        platform.close();
    }
}
