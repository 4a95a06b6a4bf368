package io.havnet.hypervisor;

import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.memory.MemoryRegion;
import io.havnet.nic.desc.AdvTxDescriptor;
import io.havnet.nic.engine.NicCounters;
import io.havnet.nic.regs.RegisterFile;
import io.havnet.nic.regs.Registers;
import io.havnet.nic.vmdq.Pool;
import io.havnet.platform.iommu.DmaFault;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Hostile guests on a whole host, through the public API: a VF driver that points the NIC's DMA
 * anywhere but its own memory, and guests that forge their source address on every path. Whatever
 * the attacker does, no byte outside its own VM changes, nothing forged leaves, and the other VMs
 * keep forwarding.
 */
class HostileGuestsTest {
    static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED;
    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;

    /** Where the hostile VF driver points its descriptors. */
    @ParameterizedTest
    @ValueSource(strings = {"rx-outside-its-ram", "rx-into-another-vm", "rx-across-into-an-unmapped-page",
            "tx-outside-its-ram", "tx-absurd-length", "tx-across-into-an-unmapped-page"})
    void aVfDmaingOutsideItsVmFaultsAndChangesNoOtherByte(String attack) {
        try (HostTestBed t = new HostTestBed()) {
            Vm evil = t.vm("evil", IoPath.SRIOV, GuestApp.IDLE);
            Vm good = t.vm("good", IoPath.SRIOV, t.macswap());
            Vm sw = t.vm("sw", IoPath.VSWITCH, t.macswap());
            t.fromWire(good.spec().effectiveMac().value(), 5);
            t.fromWire(sw.spec().effectiveMac().value(), 5);
            t.run();
            assertEquals(10, t.wireOut().size());

            MemoryRegion hostPools = t.host.hostPool().region();
            MemoryRegion nicBuf = t.host.nic().packetBuffer().region();
            long[] excluded = {evil.memory().hostPhysicalBase(), evil.memory().size(), hostPools.iovaBase(),
                hostPools.size(), nicBuf.iovaBase(), nicBuf.size(), t.testerRegion.iovaBase(), t.testerRegion.size()};
            long before = GuestIsolationTest.crcOutside(t.host, excluded);
            long faults0 = t.host.platform().iommu().faults().total();

            RegisterFile bar = t.host.nic().vfRegisters(evil.vf());
            MemorySegment ram = evil.memory().segment();
            long size = evil.memory().size();
            long otherVm = good.memory().hostPhysicalBase(); // a host-physical address: in the VF's space it is not the good VM
            int frames = t.host.nic().mddThreshold() + 2;
            if (attack.startsWith("rx-")) {
                long ring = (long) bar.read(Registers.VFRDBAH(0)) << 32 | Integer.toUnsignedLong(bar.read(Registers.VFRDBAL(0)));
                int count = bar.read(Registers.VFRDLEN(0)) / 16;
                long addr = switch (attack) {
                    case "rx-outside-its-ram" -> size + 0x10_0000;
                    case "rx-into-another-vm" -> otherVm;
                    default -> size - 30; // a 60-byte frame runs off the end of the VM's memory
                };
                for (int i = 0; i < count; i++) {
                    ram.set(U64, ring + 16L * i, addr);
                    ram.set(U64, ring + 16L * i + 8, 0L);
                }
                for (int i = 0; i < frames; i++) {
                    t.fromWire(evil.spec().effectiveMac().value(), 1);
                    t.run();
                }
            } else {
                long ring = (long) bar.read(Registers.VFTDBAH(0)) << 32 | Integer.toUnsignedLong(bar.read(Registers.VFTDBAL(0)));
                int count = bar.read(Registers.VFTDLEN(0)) / 16;
                int tail = bar.read(Registers.VFTDT(0));
                for (int i = 0; i < frames; i++) {
                    long d = ring + 16L * ((tail + i) % count);
                    long addr;
                    int len;
                    switch (attack) {
                        case "tx-outside-its-ram" -> {
                            addr = size + 0x20_0000;
                            len = 60;
                        }
                        case "tx-absurd-length" -> {
                            addr = 0x1000;
                            len = 0xFFFF;
                        }
                        default -> {
                            addr = size - 30;
                            len = 60;
                        }
                    }
                    ram.set(U64, d, addr);
                    ram.set(U32, d + AdvTxDescriptor.CMD_TYPE_LEN, len | AdvTxDescriptor.DTYP_DATA | AdvTxDescriptor.DCMD_DEXT
                            | AdvTxDescriptor.DCMD_EOP | AdvTxDescriptor.DCMD_IFCS | AdvTxDescriptor.DCMD_RS);
                    ram.set(U32, d + AdvTxDescriptor.OLINFO_STATUS, len << AdvTxDescriptor.PAYLEN_SHIFT);
                    bar.write(Registers.VFTDT(0), (tail + i + 1) % count);
                    t.run();
                }
            }
            assertEquals(before, GuestIsolationTest.crcOutside(t.host, excluded), "not one byte outside the evil VM changed");
            Pool p = t.host.nic().pool(t.host.nic().vfPool(evil.vf()));
            assertTrue(p.disabled(), "malicious driver detection disabled the VF: " + attack);
            assertTrue(p.disabledReason().contains("malicious driver"), p.disabledReason());
            if (!attack.equals("tx-absurd-length")) {
                long faults = t.host.platform().iommu().faults().total() - faults0;
                assertTrue(faults >= 1, "the IOMMU faulted the DMA: " + attack);
                List<DmaFault> recent = t.host.platform().iommu().faults().recent();
                assertEquals(t.host.nic().vf(evil.vf()), recent.getFirst().function(), "the fault names the VF");
            } else {
                assertTrue(t.host.nic().counters().tx().get(NicCounters.TX_DROP_MALFORMED) >= 1);
            }
            // everyone else carries on, and frames for the disabled VF are counted drops
            t.fromWire(good.spec().effectiveMac().value(), 5);
            t.fromWire(sw.spec().effectiveMac().value(), 5);
            t.fromWire(evil.spec().effectiveMac().value(), 3);
            t.run();
            assertEquals(10, t.wireOut().size());
            t.assertNicConserved();
        }
    }

    /** A guest that forges its source MAC, on each path, with anti-spoofing on (the default). */
    @ParameterizedTest
    @EnumSource(IoPath.class)
    void forgedSourcesReachNeitherTheWireNorAnotherVm(IoPath path) {
        try (HostTestBed t = new HostTestBed()) {
            Vm victim = t.vm("victim", IoPath.VSWITCH, t.rxonly());
            long victimMac = victim.spec().effectiveMac().value();
            Vm evil = t.vm("evil", path, GuestApp.IDLE);
            long evilMac = evil.spec().effectiveMac().value();
            t.fromWire(victimMac, 1); // the vSwitch learns where the peer is: honest frames to it are not flooded
            t.run();
            long victim0 = t.appRx("victim");
            int[] m = new int[20];
            for (int i = 0; i < m.length; i++) {
                byte[] f = HostTestBed.frame(i % 2 == 0 ? victimMac : HostTestBed.PEER, i % 4 < 2 ? victimMac : 0x02BADBADBAD0L + i,
                        60);
                m[i] = Mbuf.fromBytes(evil.pool(), f);
            }
            int sent = evil.vnic().txBurst(0, m, 0, m.length);
            Mbuf.freeBulk(m, sent, m.length - sent);
            byte[] honest = HostTestBed.frame(HostTestBed.PEER, evilMac, 60);
            int[] h = {Mbuf.fromBytes(evil.pool(), honest)};
            assertEquals(1, evil.vnic().txBurst(0, h, 0, 1));
            t.run();
            List<byte[]> out = t.wireOut();
            assertEquals(1, out.size(), "only the honest frame reached the wire");
            assertArrayEquals(honest, out.getFirst());
            assertEquals(victim0, t.appRx("victim"), "nothing forged reached the victim");
            long counted = switch (path) {
                case VSWITCH -> t.host.vswitch().drops().get(io.havnet.hypervisor.vswitch.VSwitch.DROP_SPOOF);
                case VMDQ, SRIOV -> t.host.nic().counters().tx().get(NicCounters.TX_DROP_SPOOF);
            };
            assertEquals(sent, counted, "every forged frame counted");
            // the forged source did not steal the victim's address in the vSwitch either
            t.fromWire(victimMac, 3);
            t.run();
            assertEquals(victim0 + 3, t.appRx("victim"));
            t.assertNicConserved();
        }
    }
}
