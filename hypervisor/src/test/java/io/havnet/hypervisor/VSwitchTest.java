package io.havnet.hypervisor;

import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.net.MacAddress;
import io.havnet.dataplane.net.PacketBuilder;
import io.havnet.dataplane.net.VlanFlyweight;
import io.havnet.hypervisor.vswitch.VSwitch;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The vSwitch learns, ages, floods and keeps VLANs apart. */
class VSwitchTest {
    static final long EXT = 0x02EE00000001L;

    @Test
    void floodsUnknownUnicastThenLearnsThenAgesOut() {
        try (HostTestBed t = new HostTestBed()) {
            Vm a = t.vm("a", IoPath.VSWITCH, t.sender(EXT, 10));
            Vm b = t.vm("b", IoPath.VSWITCH, t.rxonly());
            t.run();
            assertEquals(10, t.wireOut().size(), "unknown destination: flooded to the uplink...");
            assertEquals(10, t.appRx("b"), "...and to the other VM in the VLAN");
            // the external host speaks: the switch learns it behind the uplink
            t.fromWire(a.spec().effectiveMac().value(), 1);
            byte[] f = PacketBuilder.ethernet(a.spec().effectiveMac().value(), EXT).ipv4("1.1.1.1", "2.2.2.2").udp(1, 2)
                    .padTo(60).build();
            int m = Mbuf.fromBytes(t.testerPool, f);
            assertEquals(1, t.tester.txBurst(0, new int[] {m}, 0, 1));
            t.run();
            int uplink = t.host.vswitch().uplinkPort().index();
            assertEquals(uplink, t.host.vswitch().portOf(0, new MacAddress(EXT)));
            assertEquals(t.host.vswitch().ports().get(1).index(), t.host.vswitch().portOf(0, a.spec().effectiveMac()),
                    "a VM's own MAC is known statically");
            long bBefore = t.appRx("b");
            t.host.destroyVm("a");
            Vm a2 = t.vm("a2", IoPath.VSWITCH, t.sender(EXT, 10));
            t.run();
            assertEquals(10, t.wireOut().size());
            assertEquals(bBefore, t.appRx("b"), "a learned destination is not flooded");
            // aging: after the aging time the address is forgotten and flooding resumes
            t.clock.advance(301_000_000_000L);
            t.host.destroyVm("a2");
            t.vm("a3", IoPath.VSWITCH, t.sender(EXT, 5));
            t.run();
            assertEquals(bBefore + 5, t.appRx("b"), "aged out: flooded again");
            t.wireOut();
            assertEquals(-1, t.host.vswitch().portOf(0, a2.spec().effectiveMac()), "a destroyed VM's port is forgotten");
        }
    }

    @Test
    void broadcastReachesEveryPortOfTheVlanButItsSource() {
        try (HostTestBed t = new HostTestBed()) {
            t.vm("a", IoPath.VSWITCH, t.sender(MacAddress.BROADCAST.value(), 7));
            t.vm("b", IoPath.VSWITCH, t.rxonly());
            t.vm("c", IoPath.VSWITCH, t.rxonly());
            t.run();
            assertEquals(7, t.appRx("b"));
            assertEquals(7, t.appRx("c"));
            assertEquals(7, t.wireOut().size());
        }
    }

    @Test
    void vlansAreSeparateAndTheUplinkCarriesThemTagged() {
        try (HostTestBed t = new HostTestBed()) {
            Vm a10 = t.host.createVm(VmSpec.of("a10", IoPath.VSWITCH, t.sender(MacAddress.BROADCAST.value(), 5))
                    .withVlan(10, 0).withMemory(16L << 20).withRing(128, 1023));
            t.host.createVm(VmSpec.of("b10", IoPath.VSWITCH, t.rxonly()).withVlan(10, 0).withMemory(16L << 20)
                    .withRing(128, 1023));
            t.host.createVm(VmSpec.of("c20", IoPath.VSWITCH, t.rxonly()).withVlan(20, 0).withMemory(16L << 20)
                    .withRing(128, 1023));
            t.run();
            assertEquals(5, t.appRx("b10"));
            assertEquals(0, t.appRx("c20"), "VLAN 20 does not see VLAN 10's broadcasts");
            List<byte[]> out = t.wireOut();
            assertEquals(5, out.size());
            assertEquals(10, new VlanFlyweight().wrap(MemorySegment.ofArray(out.getFirst()), 14).vid(),
                    "the uplink is a trunk: frames leave tagged");
            // a tagged frame from the wire reaches the VM of its VLAN, untagged
            byte[] tagged = PacketBuilder.ethernet(MacAddress.BROADCAST.value(), EXT).vlan(20).ipv4("1.1.1.1", "2.2.2.2")
                    .udp(1, 2).padTo(64).build();
            int m = Mbuf.fromBytes(t.testerPool, tagged);
            assertEquals(1, t.tester.txBurst(0, new int[] {m}, 0, 1));
            t.run();
            assertEquals(1, t.appRx("c20"));
            assertEquals(5, t.appRx("b10"));
            assertEquals(0, t.host.vswitch().drops().get(VSwitch.DROP_VLAN));
            assertEquals(a10.state(), Vm.State.RUNNING);
        }
    }
}
