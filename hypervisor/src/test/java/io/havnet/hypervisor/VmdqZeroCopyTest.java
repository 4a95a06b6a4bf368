package io.havnet.hypervisor;

import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.hypervisor.accounting.Component;
import io.havnet.hypervisor.virtio.Virtio;
import io.havnet.hypervisor.virtio.VirtioNetPmd;
import io.havnet.hypervisor.vmdq.VmdqRelay;
import io.havnet.nic.engine.NicCounters;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The VMDq relay lends the guest's own buffers to the VM's pool queues: the NIC writes and reads
 * guest RAM, the hypervisor moves descriptors. What a guest and the host rely on from it.
 */
class VmdqZeroCopyTest {

    @Test
    void jumboFramesSpanMergeableGuestBuffersAndComeBackWhole() {
        try (HostTestBed t = new HostTestBed()) {
            Vm vm = t.vm("vm1", IoPath.VMDQ, t.macswap());
            t.host.pf().setPoolMaxFrame(vm.vmdqPool(), 9018);
            long mac = vm.spec().effectiveMac().value();
            int[] sizes = {60, 2048, 2049, 5000, 9000};
            List<byte[]> sent = new java.util.ArrayList<>();
            for (int size : sizes) {
                byte[] f = HostTestBed.frame(mac, HostTestBed.PEER, size);
                for (int i = 42; i < f.length; i++) {
                    f[i] = (byte) (i * 7 + size);
                }
                sent.add(f);
                int m = Mbuf.fromBytes(t.testerPool, f);
                assertEquals(1, t.tester.txBurst(0, new int[] {m}, 0, 1));
            }
            t.run();
            List<byte[]> out = t.wireOut();
            assertEquals(sizes.length, out.size(), () -> t.host.accounting().toString());
            for (int i = 0; i < sizes.length; i++) {
                byte[] f = sent.get(i);
                byte[] g = out.get(i);
                assertEquals(f.length, g.length);
                assertArrayEquals(Arrays.copyOfRange(f, 12, f.length), Arrays.copyOfRange(g, 12, g.length),
                        "frame of " + f.length + " bytes intact after the MACs");
            }
            // the NIC fills 2 KiB of each buffer; a frame's later parts move back over the header room
            Component.Snapshot hv = t.host.hypervisorComponent().snapshot();
            assertEquals(3, hv.copies(), "only frames over one buffer are touched");
            assertEquals((2049 - 2048) + (5000 - 2048) + (9000 - 2048), hv.bytesCopied());
            t.assertNicConserved();
        }
    }

    @Test
    void aDriverResetTakesEveryLentBufferBackBeforeTheDriverReusesIt() {
        try (HostTestBed t = new HostTestBed()) {
            Vm vm = t.vm("vm1", IoPath.VMDQ, t.macswap());
            long mac = vm.spec().effectiveMac().value();
            t.fromWire(mac, 20);
            t.run();
            assertEquals(20, t.wireOut().size());
            assertFalse(vm.relay().parked(), "the guest's buffers are with the NIC");

            vm.vnic().stop(); // status 0: the driver takes its buffers back
            assertTrue(vm.relay().parked(), "the relay stopped the pool's queues before the device forgot them");
            MemorySegment ram = vm.memory().segment();
            long crc = crc(ram);
            t.fromWire(mac, 7);
            t.run();
            assertEquals(crc, crc(ram), "no frame landed in the RAM the driver took back");
            assertEquals(7, t.host.nic().counters().rx().get(NicCounters.RX_DROP_QUEUE_FULL), "counted at the NIC");
        }
    }

    @Test
    void aResetInTheMiddleOfTrafficLosesNothingUncountedAndTrafficResumes() {
        try (HostTestBed t = new HostTestBed()) {
            Vm vm = t.vm("vm1", IoPath.VMDQ, t.macswap());
            long mac = vm.spec().effectiveMac().value();
            t.fromWire(mac, 40);
            for (int i = 0; i < 3; i++) {
                t.host.runOnce(); // frames in the NIC, in lent buffers, in the guest's TX ring
            }
            vm.vnic().stop();
            vm.vnic().start();
            t.run();
            int back = t.wireOut().size();
            VmdqRelay r = vm.relay();
            long lost = r.drops().get(VmdqRelay.DROP_RX_ON_STOP) + r.drops().get(VmdqRelay.DROP_TX_ON_STOP)
                    + ((VirtioNetPmd) vm.vnic()).resetDrops().get(VirtioNetPmd.RX_DROPPED_ON_RESET)
                    + ((VirtioNetPmd) vm.vnic()).resetDrops().get(VirtioNetPmd.TX_DROPPED_ON_RESET)
                    + t.host.nic().counters().rx().get(NicCounters.RX_DROP_QUEUE_FULL);
            assertEquals(40, back + lost, "every frame came back or was counted once: " + back + " back, "
                    + t.host.accounting());
            t.fromWire(mac, 10);
            t.run();
            assertEquals(10, t.wireOut().size(), "the reset device carries traffic again");
            t.assertNicConserved();
        }
    }

    @Test
    void aVmDestroyedInTheMiddleOfTrafficLosesNothingUncounted() {
        for (int rounds = 0; rounds < 8; rounds++) {
            try (HostTestBed t = new HostTestBed()) {
                Vm vm = t.vm("vm1", IoPath.VMDQ, t.macswap());
                t.fromWire(vm.spec().effectiveMac().value(), 40);
                for (int i = 0; i < rounds; i++) {
                    t.host.runOnce(); // frames in the NIC, in lent buffers, in the guest's rings
                }
                t.host.destroyVm("vm1");
                t.run();
                int back = t.wireOut().size();
                long dropped = t.host.accounting().stream()
                        .mapToLong(c -> c.drops().values().stream().mapToLong(Long::longValue).sum()).sum();
                assertEquals(40, back + dropped, "destroyed after " + rounds + " rounds: " + back + " back, "
                        + t.host.accounting());
                t.assertNicConserved();
            }
        }
    }

    @Test
    void guestFramesTheNicCannotTakeAreDroppedAndCountedAndTheDeviceGoesOn() {
        try (HostTestBed t = new HostTestBed()) {
            Vm vm = t.vm("vm1", IoPath.VMDQ, GuestApp.IDLE);
            VirtioNetPmd pmd = (VirtioNetPmd) vm.vnic();
            MemorySegment ram = vm.memory().segment();
            long[] txq = pmd.queueAddresses(Virtio.TX_QUEUE);
            // 41 pieces of 20 bytes: more than the 40 descriptors a NIC frame may span
            for (int i = 0; i < 41; i++) {
                long d = txq[0] + 16L * i;
                ram.set(GuestIsolationTest.U64, d, 0x10000 + 64L * i);
                ram.set(GuestIsolationTest.U32, d + 8, i == 0 ? 20 + Virtio.NET_HDR_LEN : 20);
                ram.set(GuestIsolationTest.U16, d + 12, (short) (i < 40 ? Virtio.DESC_F_NEXT : 0));
                ram.set(GuestIsolationTest.U16, d + 14, (short) (i + 1));
            }
            publish(ram, txq, 0);
            t.run();
            assertEquals(1, vm.relay().drops().get(VmdqRelay.DROP_TX_TOO_MANY_PIECES));
            // one piece of 10,000 bytes: longer than the NIC's largest frame
            GuestIsolationTest.post(ram, txq, 0x20000, 10_000 + Virtio.NET_HDR_LEN, 0, 0, 1);
            t.run();
            assertEquals(1, vm.relay().drops().get(VmdqRelay.DROP_TX_TOO_LONG));
            assertNull(vm.backend().brokenReason(), "an honest chain the NIC cannot take breaks nothing");
            assertEquals(0, t.wireOut().size());
            long[] used = pmd.queueAddresses(Virtio.TX_QUEUE);
            assertEquals(2, Short.toUnsignedInt(ram.get(GuestIsolationTest.U16, used[2] + 2)),
                    "both chains went back to the guest");
            t.assertNicConserved();
        }
    }

    private static void publish(MemorySegment ram, long[] q, int head) {
        int idx = Short.toUnsignedInt(ram.get(GuestIsolationTest.U16, q[1] + 2));
        ram.set(GuestIsolationTest.U16, q[1] + 4 + 2L * (idx % (int) q[3]), (short) head);
        ram.set(GuestIsolationTest.U16, q[1] + 2, (short) (idx + 1));
    }

    private static long crc(MemorySegment s) {
        CRC32 c = new CRC32();
        c.update(s.asByteBuffer());
        return c.getValue();
    }
}
