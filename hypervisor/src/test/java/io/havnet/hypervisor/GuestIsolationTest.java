package io.havnet.hypervisor;

import io.havnet.dataplane.memory.MemoryRegion;
import io.havnet.hypervisor.virtio.Virtio;
import io.havnet.hypervisor.virtio.VirtioNetPmd;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import io.havnet.nic.engine.NicCounters;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A guest that lies in its virtqueues (addresses outside its RAM, descriptor loops, impossible
 * indexes) is contained: its device goes to NEEDS_RESET, no byte outside its RAM changes, the
 * hypervisor and the other VMs carry on, and a device reset brings it back.
 */
class GuestIsolationTest {
    static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    static long crcOutside(Host h, long... excluded) {
        return io.havnet.dataplane.TestEnv.crcOutside(h.platform().memory().segment(), excluded);
    }

    /**
     * On {@code vmdq} the relay lends the guest's buffers to a NIC queue whose DMA the IOMMU does
     * not confine to the VM (it is the PF's), so every address it hands over must be checked.
     */
    @ParameterizedTest
    @CsvSource({"VSWITCH,tx-address-outside-ram", "VSWITCH,tx-descriptor-loop", "VSWITCH,tx-index-jump",
        "VSWITCH,rx-buffer-outside-ram", "VSWITCH,ring-outside-ram", "VMDQ,ring-outside-ram", "VMDQ,tx-address-outside-ram", "VMDQ,tx-descriptor-loop", "VMDQ,tx-index-jump",
        "VMDQ,rx-buffer-outside-ram", "VMDQ,rx-buffer-across-the-end-of-ram", "VMDQ,rx-buffer-smaller-than-the-queue's"})
    void aLyingGuestBreaksOnlyItsOwnDevice(IoPath path, String attack) {
        try (HostTestBed t = new HostTestBed()) {
            Vm evil = t.vm("evil", path, GuestApp.IDLE);
            Vm good = t.vm("good", path, t.macswap());
            Vm vf = t.vm("vfvm", IoPath.SRIOV, t.macswap());
            t.fromWire(good.spec().effectiveMac().value(), 5);
            t.fromWire(vf.spec().effectiveMac().value(), 5);
            t.run();
            assertEquals(10, t.wireOut().size());

            // canaries in every free host page
            Random rnd = new Random(11);
            byte[] junk = new byte[1 << 20];
            rnd.nextBytes(junk);
            long free = t.host.platform().memory().pages().allocate2m(16);
            for (long off = 0; off < 32L << 20; off += junk.length) {
                MemorySegment.copy(MemorySegment.ofArray(junk), 0, t.host.platform().memory().segment(), free + off,
                        junk.length);
            }
            MemoryRegion hostPools = t.host.hostPool().region();
            MemoryRegion nicBuf = t.host.nic().packetBuffer().region();
            long[] excluded = {evil.memory().hostPhysicalBase(), evil.memory().size(), hostPools.iovaBase(),
                hostPools.size(), nicBuf.iovaBase(), nicBuf.size()};
            long before = crcOutside(t.host, excluded);

            VirtioNetPmd pmd = (VirtioNetPmd) evil.vnic();
            MemorySegment ram = evil.memory().segment();
            long outside = evil.memory().size() + 0x1000;
            switch (attack) {
                case "tx-address-outside-ram" -> post(ram, pmd.queueAddresses(Virtio.TX_QUEUE), outside, 100, 0, 0, 1);
                case "tx-descriptor-loop" -> post(ram, pmd.queueAddresses(Virtio.TX_QUEUE), 0x1000, 100,
                        Virtio.DESC_F_NEXT, 0, 1);
                case "tx-index-jump" -> post(ram, pmd.queueAddresses(Virtio.TX_QUEUE), 0x1000, 100, 0, 0, 5000);
                case "rx-buffer-outside-ram" -> {
                    long[] rxq = pmd.queueAddresses(Virtio.RX_QUEUE);
                    for (int i = 0; i < rxq[3]; i++) {
                        ram.set(U64, rxq[0] + 16L * i, outside);
                    }
                    if (path == IoPath.VMDQ) {
                        // the buffers posted before were checked and lent already: a new one is what gets checked
                        post(ram, rxq, outside, 4096, Virtio.DESC_F_WRITE, 0, 1);
                    }
                    t.fromWire(evil.spec().effectiveMac().value(), 3);
                }
                case "ring-outside-ram" -> evil.backend().setQueue(Virtio.TX_QUEUE, 256, evil.memory().size() - 64,
                        0x1000, 0x2000);
                case "rx-buffer-across-the-end-of-ram" -> post(ram, pmd.queueAddresses(Virtio.RX_QUEUE),
                        evil.memory().size() - 1024, 4096, Virtio.DESC_F_WRITE, 0, 1);
                case "rx-buffer-smaller-than-the-queue's" -> post(ram, pmd.queueAddresses(Virtio.RX_QUEUE), 0x1000,
                        1500, Virtio.DESC_F_WRITE, 0, 1);
                default -> fail(attack);
            }
            t.run();
            assertNotNull(evil.backend().brokenReason(), "the device noticed");
            if (attack.equals("rx-buffer-smaller-than-the-queue's")) {
                assertTrue(evil.backend().brokenReason().contains("at least 2060 bytes"), evil.backend().brokenReason());
            }
            assertEquals("down (virtio device needs reset)", evil.vnic().link().toString());
            assertEquals(before, crcOutside(t.host, excluded), "not one byte outside the evil VM changed");

            // everyone else carries on
            t.fromWire(good.spec().effectiveMac().value(), 5);
            t.fromWire(vf.spec().effectiveMac().value(), 5);
            t.fromWire(evil.spec().effectiveMac().value(), 2);
            t.run();
            assertEquals(10, t.wireOut().size());
            if (path == IoPath.VSWITCH) {
                assertTrue(evil.component().snapshot().drops().getOrDefault("guest_rx_device_broken", 0L) >= 2,
                        evil.component().snapshot().drops().toString());
            } else {
                // the relay took its buffers back from the NIC: the pool's queue is off and the NIC counts what comes
                assertTrue(evil.relay().parked());
                assertTrue(t.host.nic().counters().rx().get(NicCounters.RX_DROP_QUEUE_FULL) >= 2);
            }

            // a device reset by the guest's driver brings it back
            evil.vnic().stop();
            evil.vnic().start();
            assertNull(evil.backend().brokenReason());
            assertTrue(evil.vnic().link().up());
            t.host.platform().memory().pages().free2m(free, 16);
            t.assertNicConserved();
        }
    }

    /**
     * A guest that overwrites its own mbufs' metadata — here the next-segment field of a buffer
     * it posted, pointed at a buffer the host holds — wrecks its own driver, and no more: havnet's
     * guest-side code refuses a chain that leaves its pool instead of handing the host's pool a
     * buffer it did not lend, and destroying the VM still returns every page.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(value = IoPath.class, names = {"VSWITCH", "VMDQ"})
    void aGuestThatOverwritesItsMbufsCannotFreeTheHostsBuffers(IoPath path) {
        try (HostTestBed t = new HostTestBed()) {
            long freeBefore = t.host.platform().memory().pages().freeBytes();
            Vm vm = t.vm("evil", path, GuestApp.IDLE);
            int hostMbuf = io.havnet.dataplane.mbuf.Mbuf.alloc(t.host.hostPool());
            int hostInUse = t.host.hostPool().inUse();
            MemorySegment ram = vm.memory().segment();
            long[] rxq = ((VirtioNetPmd) vm.vnic()).queueAddresses(Virtio.RX_QUEUE);
            long buf = ram.get(U64, rxq[0]); // descriptor 0: its buffer, header first
            long next = buf + Virtio.NET_HDR_LEN - io.havnet.dataplane.mbuf.MbufDescriptor.HEADROOM
                    - io.havnet.dataplane.mbuf.MbufDescriptor.METADATA_SIZE + io.havnet.dataplane.mbuf.MbufDescriptor.NEXT;
            assertEquals(-1, ram.get(ValueLayout.JAVA_INT_UNALIGNED, next), "the posted mbuf's next field");
            ram.set(ValueLayout.JAVA_INT_UNALIGNED, next, hostMbuf);

            t.host.destroyVm("evil");
            assertNotNull(vm.faultAtDestroy(), "the guest's driver failed on its own memory");
            assertTrue(vm.faultAtDestroy().contains("not an mbuf of its pool"), vm.faultAtDestroy());
            assertEquals(hostInUse, t.host.hostPool().inUse(), "the host's buffer was not freed by the guest");
            assertEquals(freeBefore, t.host.platform().memory().pages().freeBytes(), "every page back all the same");
            io.havnet.dataplane.mbuf.Mbuf.free(hostMbuf);
            Vm again = t.vm("again", path, t.macswap());
            t.fromWire(again.spec().effectiveMac().value(), 5);
            t.run();
            assertEquals(5, t.wireOut().size(), "the host goes on");
        }
    }

    /** Writes descriptor {@code id} and publishes avail index += {@code bump}. */
    static void post(MemorySegment ram, long[] q, long addr, int len, int flags, int next, int bump) {
        long desc = q[0];
        long avail = q[1];
        int size = (int) q[3];
        int idx = Short.toUnsignedInt(ram.get(U16, avail + 2));
        ram.set(U64, desc, addr);
        ram.set(U32, desc + 8, len);
        ram.set(U16, desc + 12, (short) flags);
        ram.set(U16, desc + 14, (short) next);
        ram.set(U16, avail + 4 + 2L * (idx % size), (short) 0);
        ram.set(U16, avail + 2, (short) (idx + bump));
    }
}
