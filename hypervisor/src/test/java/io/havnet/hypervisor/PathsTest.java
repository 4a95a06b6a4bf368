package io.havnet.hypervisor;

import io.havnet.hypervisor.accounting.Component;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The same guest application over each I/O path: traffic both ways, conservation, no leaks. */
class PathsTest {
    @ParameterizedTest
    @EnumSource(IoPath.class)
    void wireToVmAndBackThroughEveryPath(IoPath path) {
        try (HostTestBed t = new HostTestBed()) {
            Vm vm = t.vm("vm1", path, t.macswap());
            long mac = vm.spec().effectiveMac().value();
            assertEquals(mac, vm.vnic().macAddress().value(), "the guest sees its MAC whatever the path");
            for (int round = 0; round < 10; round++) {
                t.fromWire(mac, 20);
                t.run();
            }
            List<byte[]> out = t.wireOut();
            assertEquals(200, out.size(), () -> t.host.accounting().toString());
            for (byte[] f : out) {
                assertEquals(HostTestBed.PEER, java.nio.ByteBuffer.wrap(f).getLong() >>> 16, "macswap sent it back");
            }
            assertEquals(200, t.appRx("vm1"));
            t.assertNicConserved();
            Component.Snapshot hv = t.host.hypervisorComponent().snapshot();
            Component.Snapshot g = vm.component().snapshot();
            switch (path) {
                case SRIOV -> {
                    assertEquals(0, hv.frames(), "SR-IOV: the hypervisor touches no frame");
                    assertEquals(0, hv.bytesCopied());
                    assertEquals(0, g.vmExits(), "SR-IOV: the VF's registers are mapped, no exit");
                }
                case VMDQ -> {
                    assertEquals(400, hv.frames(), "VMDq: the relay moves every frame, both ways");
                    assertEquals(0, hv.lookups(), "VMDq: no lookup — the NIC sorted the frames");
                    assertEquals(0, hv.copies(), "VMDq: the NIC reads and writes the guest's buffers — no copy");
                    assertEquals(0, hv.bytesCopied());
                    assertEquals(t.host.uplink().heldMbufs(), t.host.hostPool().inUse(),
                            "no host buffer carries a VMDq frame");
                    assertTrue(g.vmExits() > 0, "virtio kicks are VM exits");
                }
                case VSWITCH -> {
                    assertEquals(400, hv.frames());
                    assertEquals(400, hv.lookups(), "vSwitch: a lookup per frame");
                    assertEquals(400, hv.copies());
                    assertTrue(g.vmExits() > 0);
                }
            }
        }
    }

    @org.junit.jupiter.api.Test
    void theVSwitchCountsTwoCopiesPerFrameBeforeAndAfterAVmIsDestroyed() {
        try (HostTestBed t = new HostTestBed()) {
            Vm gone = t.vm("gone", IoPath.VSWITCH, t.macswap());
            Vm stays = t.vm("stays", IoPath.VSWITCH, t.macswap());
            t.fromWire(gone.spec().effectiveMac().value(), 50);
            t.fromWire(stays.spec().effectiveMac().value(), 50);
            t.run();
            assertEquals(100, t.wireOut().size());
            Component.Snapshot hv = t.host.hypervisorComponent().snapshot();
            assertEquals(200, hv.copies(), "into the guest and out of it");
            t.host.destroyVm("gone");
            t.fromWire(stays.spec().effectiveMac().value(), 30);
            t.run();
            assertEquals(30, t.wireOut().size());
            Component.Snapshot after = t.host.hypervisorComponent().snapshot().minus(hv);
            assertEquals(60, after.copies(), "the destroyed VM's port takes its counts with it, not the frames after it");
            assertEquals(60L * 60, after.bytesCopied(), "60-byte frames, copied twice");
            t.assertNicConserved();
        }
    }

    @ParameterizedTest
    @EnumSource(IoPath.class)
    void vmToVmOnTheSamePathAndTheVmsOwnTraffic(IoPath path) {
        try (HostTestBed t = new HostTestBed()) {
            Vm b = t.vm("b", path, t.rxonly());
            Vm a = t.vm("a", path, t.sender(b.spec().effectiveMac().value(), 100));
            t.run();
            assertEquals(100, t.appRx("b"), () -> t.host.accounting().toString());
            assertEquals(0, t.wireOut().size(), "VM-to-VM traffic stays inside the host");
            t.assertNicConserved();
            assertEquals(a, t.host.vm("a"));
        }
    }

    @org.junit.jupiter.api.Test
    void mixedPathsOnOneHostReachEachOther() {
        try (HostTestBed t = new HostTestBed()) {
            Vm vs = t.vm("vs", IoPath.VSWITCH, t.rxonly());
            Vm vq = t.vm("vq", IoPath.VMDQ, t.rxonly());
            Vm sr = t.vm("sr", IoPath.SRIOV, t.rxonly());
            t.vm("s1", IoPath.SRIOV, t.sender(vs.spec().effectiveMac().value(), 50));
            t.vm("s2", IoPath.VSWITCH, t.sender(sr.spec().effectiveMac().value(), 50));
            t.vm("s3", IoPath.VMDQ, t.sender(vq.spec().effectiveMac().value(), 50));
            t.run();
            assertEquals(50, t.appRx("vs"), "sriov -> vswitch: VEB to the PF pool, then the vSwitch");
            assertEquals(50, t.appRx("sr"), "vswitch -> sriov: uplink, then the VEB to the VF");
            assertEquals(50, t.appRx("vq"), "vmdq -> vmdq pool via the VEB");
            assertEquals(0, t.wireOut().size());
            t.assertNicConserved();
        }
    }
}
