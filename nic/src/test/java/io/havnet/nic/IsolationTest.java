package io.havnet.nic;

import io.havnet.dataplane.net.PacketBuilder;
import io.havnet.nic.engine.NicCounters;
import io.havnet.nic.regs.Registers;
import io.havnet.platform.iommu.DmaFault;
import io.havnet.platform.iommu.FaultReason;
import io.havnet.platform.memory.PageAllocator;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * VT-d keeps a VF inside its VM: DMA to addresses outside the VM's mappings faults, is logged,
 * and changes no byte anywhere else (canaries over all other memory).
 */
class IsolationTest {
    static final long PEER = 0x02AA00000001L;

    /** CRC of host memory except the ranges the test lets change (attacker RAM, host pool, packet buffer). */
    static long crcOutside(NicTestBed t, long... excludedStartAndLength) {
        return io.havnet.dataplane.TestEnv.crcOutside(t.platform.memory().segment(), excludedStartAndLength);
    }

    static long[] excluded(NicTestBed t, NicTestBed.Guest attacker) {
        io.havnet.dataplane.memory.MemoryRegion pb = t.nic.packetBuffer().region();
        return new long[] {attacker.hpa, NicTestBed.GUEST_RAM, t.hostRegion.iovaBase(), t.hostRegion.size(),
            pb.iovaBase(), pb.size()};
    }

    @Test
    void hostileRxBuffersFaultAndTouchNothingOutsideTheVm() {
        try (NicTestBed t = new NicTestBed(2)) {
            NicTestBed.Guest victim = t.guest(1, 1);
            NicTestBed.Guest attacker = new NicTestBed.Guest();
            attacker.vf = 0;
            attacker.hpa = t.platform.memory().pages().allocate2m(4);
            attacker.domain = t.platform.iommu().createDomain("attacker");
            attacker.domain.map(0, attacker.hpa, NicTestBed.GUEST_RAM, PageAllocator.PAGE_2M,
                    io.havnet.platform.paging.PageTable.READ | io.havnet.platform.paging.PageTable.WRITE);
            t.platform.iommu().attach(t.nic.vf(0), attacker.domain);
            attacker.ram = t.platform.memory().slice("attacker", attacker.hpa, NicTestBed.GUEST_RAM, 0);
            RawVf raw = new RawVf(t, attacker);
            int[] r = raw.reset();
            long mac = io.havnet.nic.mailbox.MailboxMessage.macFromWords(r[1], r[2]);

            // canaries: the victim's RAM and every free host page get random bytes
            Random rnd = new Random(7);
            byte[] junk = new byte[1 << 20];
            rnd.nextBytes(junk);
            MemorySegment host = t.platform.memory().segment();
            // the victim's pool and rings fill its first ~3 MiB; the rest of its RAM and all free pages get canaries
            for (long off = 4L << 20; off < NicTestBed.GUEST_RAM; off += junk.length) {
                MemorySegment.copy(MemorySegment.ofArray(junk), 0, host, victim.hpa + off, junk.length);
            }
            long free = t.platform.memory().pages().allocate2m(8);
            for (long off = 0; off < 16L << 20; off += junk.length) {
                MemorySegment.copy(MemorySegment.ofArray(junk), 0, host, free + off, junk.length);
            }
            long before = crcOutside(t, excluded(t, attacker));

            raw.startRx(RawVf.RX_RING_GPA,
                    64L << 20,                                // far outside the VM's 8 MiB
                    victim.hpa,                               // the victim's host address, as if it were a GPA
                    NicTestBed.GUEST_RAM - 100,               // crosses into the unmapped page after the VM
                    1L << 47);                                // absurd
            byte[] f = PacketBuilder.ethernet(mac, PEER).ipv4("10.0.0.1", "10.0.0.2").udp(1, 2).padTo(200).build();
            t.fromWire(f, f, f, f);
            t.run();

            assertEquals(4, t.rx(NicCounters.RX_DROP_IOMMU_FAULT));
            assertEquals(before, crcOutside(t, excluded(t, attacker)), "not one byte outside the attacker's VM changed");
            List<DmaFault> faults = t.platform.iommu().faults().recent();
            assertEquals(4, faults.size());
            for (DmaFault fault : faults) {
                assertEquals(t.nic.vf(0), fault.function());
                assertTrue(fault.write());
                assertEquals(FaultReason.NOT_PRESENT, fault.reason());
            }
            assertEquals(NicTestBed.GUEST_RAM, faults.get(2).iova(), "the page-crossing write faults on the unmapped page");
            for (int i = 0; i < 4; i++) {
                int st = raw.rxStatus(i);
                assertEquals(io.havnet.nic.desc.AdvRxDescriptor.STAT_DD | io.havnet.nic.desc.AdvRxDescriptor.STAT_EOP
                        | io.havnet.nic.desc.AdvRxDescriptor.ERR_RXE, st, "each descriptor came back empty, marked RXE");
            }
            assertEquals(4, t.nic.pool(0).counter(io.havnet.nic.vmdq.Pool.MDD_EVENTS));
            t.assertConserved();
            t.nic.resetVf(0);
            t.run();
        }
    }

    @Test
    void aTailOutsideTheRingIsOneEventPerWriteAndStallsOnlyItsQueue() {
        try (NicTestBed t = new NicTestBed(2)) {
            NicTestBed.Guest victim = t.guest(1, 1);
            NicTestBed.Guest a = t.guest(0, 1);
            RawVf raw = new RawVf(t, a);
            raw.startTx(RawVf.TX_RING_GPA);
            io.havnet.nic.vmdq.Pool pool = t.nic.pool(0);
            raw.regs.write(Registers.VFTDT(0), RawVf.RING + 5);
            for (int i = 0; i < 5; i++) {
                t.run(); // the engine sees the tail every round; the write is one event
            }
            assertEquals(1, pool.counter(io.havnet.nic.vmdq.Pool.MDD_EVENTS));
            raw.regs.write(Registers.VFTDT(0), -1);
            t.run();
            assertEquals(2, pool.counter(io.havnet.nic.vmdq.Pool.MDD_EVENTS), "another bad value, another event");
            assertEquals(0, t.wireOut().size());
            // the victim is unaffected; the queue works again from a tail inside the ring
            long vm = victim.dev.macAddress().value();
            t.fromWire(PacketBuilder.ethernet(vm, PEER).ipv4("1.1.1.1", "2.2.2.2").udp(1, 2).padTo(60).build());
            byte[] f = PacketBuilder.ethernet(PEER, a.dev.macAddress().value()).ipv4("1.1.1.1", "2.2.2.2").udp(1, 2)
                    .padTo(60).build();
            java.lang.foreign.MemorySegment.copy(java.lang.foreign.MemorySegment.ofArray(f), 0, raw.ram, 0x30000, f.length);
            raw.send(0x30000, RawVf.data(60));
            t.run();
            assertEquals(1, NicTestBed.received(victim.dev, 0).size());
            assertEquals(1, t.wireOut().size(), "the good tail is served");
            assertEquals(2, pool.counter(io.havnet.nic.vmdq.Pool.MDD_EVENTS));
            assertFalse(pool.disabled());
            raw.regs.write(Registers.VFTDT(0), -1);
            t.run();
            assertEquals(3, pool.counter(io.havnet.nic.vmdq.Pool.MDD_EVENTS), "after a good tail, any bad value is new");
        }
    }

    @Test
    void hostileTxDescriptorsFaultAreCountedAndTheVfIsDisabledAtTheThreshold() {
        try (NicTestBed t = new NicTestBed(2)) {
            NicTestBed.Guest victim = t.guest(1, 1);
            NicTestBed.Guest attacker = new NicTestBed.Guest();
            attacker.vf = 0;
            attacker.hpa = t.platform.memory().pages().allocate2m(4);
            attacker.domain = t.platform.iommu().createDomain("attacker");
            attacker.domain.map(0, attacker.hpa, NicTestBed.GUEST_RAM, PageAllocator.PAGE_2M,
                    io.havnet.platform.paging.PageTable.READ | io.havnet.platform.paging.PageTable.WRITE);
            t.platform.iommu().attach(t.nic.vf(0), attacker.domain);
            attacker.ram = t.platform.memory().slice("attacker", attacker.hpa, NicTestBed.GUEST_RAM, 0);
            RawVf raw = new RawVf(t, attacker);
            raw.reset();
            raw.startTx(RawVf.TX_RING_GPA);
            raw.send(victim.hpa, RawVf.data(64));               // read from outside the VM
            raw.send(0x1000, io.havnet.nic.desc.AdvTxDescriptor.DCMD_EOP | io.havnet.nic.desc.AdvTxDescriptor.DCMD_RS); // no length, no type
            raw.send(0x1000, RawVf.data(60) & ~io.havnet.nic.desc.AdvTxDescriptor.DCMD_DEXT); // legacy descriptor
            raw.send(NicTestBed.GUEST_RAM - 30, RawVf.data(60)); // runs off the end of the VM
            t.run();
            assertEquals(0, t.wireOut().size(), "nothing reached the wire");
            assertEquals(2, t.tx(NicCounters.TX_DROP_IOMMU_FAULT));
            assertEquals(2, t.tx(NicCounters.TX_DROP_MALFORMED));
            assertEquals(4, t.nic.pool(0).counter(io.havnet.nic.vmdq.Pool.MDD_EVENTS));
            assertFalse(t.nic.pool(0).disabled(), "below the threshold of 8");
            for (int i = 0; i < 4; i++) {
                raw.send(1L << 40, RawVf.data(64));
            }
            t.run();
            assertTrue(t.nic.pool(0).disabled(), "8 events: the VF is disabled");
            assertTrue(t.nic.events().getLast().text().startsWith("VF 0 (0000:03:10.0) disabled: malicious driver detection"),
                    t.nic.events().getLast().text());
            assertNotNull(t.pf.vfInfo(0).disabledReason());
            // the victim is unaffected
            long vm = victim.dev.macAddress().value();
            t.fromWire(PacketBuilder.ethernet(vm, PEER).ipv4("1.1.1.1", "2.2.2.2").udp(1, 2).padTo(60).build());
            t.run();
            assertEquals(1, NicTestBed.received(victim.dev, 0).size());
            t.assertConserved();
            // a reset clears the VF: it works again
            t.nic.resetVf(0);
            t.run();
            assertFalse(t.nic.pool(0).disabled());
        }
    }

    @Test
    void twoMegabyteIommuPagesCutIotlbMissesPerPacket() {
        double[] perPacket = new double[2];
        long[] sizes = {PageAllocator.PAGE_4K, PageAllocator.PAGE_2M};
        for (int s = 0; s < 2; s++) {
            try (NicTestBed t = new NicTestBed(1, 0, true, sizes[s])) {
                NicTestBed.Guest g = t.guest(0, 1);
                long mac = g.dev.macAddress().value();
                long before = g.domain.iotlbMisses();
                int frames = 0;
                for (int round = 0; round < 40; round++) {
                    byte[][] batch = new byte[32][];
                    for (int i = 0; i < 32; i++) {
                        batch[i] = PacketBuilder.ethernet(mac, PEER).ipv4("1.1.1.1", "2.2.2.2").udp(1, 2).padTo(60).build();
                    }
                    t.fromWire(batch);
                    t.run();
                    frames += NicTestBed.received(g.dev, 0).size();
                }
                assertEquals(1280, frames);
                perPacket[s] = (g.domain.iotlbMisses() - before) / (double) frames;
                t.assertConserved();
            }
        }
        assertTrue(perPacket[0] > 10 * perPacket[1] && perPacket[0] > 0.1,
                "4 KiB: " + perPacket[0] + " misses/packet, 2 MiB: " + perPacket[1]);
    }

    @Test
    void aVfWithoutAnIommuDomainCannotDmaAtAll() {
        try (NicTestBed t = new NicTestBed(1)) {
            NicTestBed.Guest g = t.guest(0, 1);
            t.platform.iommu().detach(t.nic.vf(0));
            t.fromWire(PacketBuilder.ethernet(g.dev.macAddress().value(), PEER).ipv4("1.1.1.1", "2.2.2.2").udp(1, 2)
                    .padTo(60).build());
            t.run();
            assertEquals(1, t.rx(NicCounters.RX_DROP_IOMMU_FAULT));
            assertEquals(FaultReason.NO_DOMAIN, t.platform.iommu().faults().recent().getLast().reason());
            t.platform.iommu().attach(t.nic.vf(0), g.domain);
            t.assertConserved();
        }
    }
}
