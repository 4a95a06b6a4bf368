package io.havnet.hypervisor;

import io.havnet.dataplane.ethdev.EthConf;
import io.havnet.dataplane.ethdev.LinkStatus;
import io.havnet.dataplane.mbuf.MbufPool;
import io.havnet.dataplane.mempool.Mempool;
import io.havnet.hypervisor.virtio.Virtio;
import io.havnet.hypervisor.virtio.VirtioNetBackend;
import io.havnet.hypervisor.virtio.VirtioNetPmd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A virtio guest's link (virtio 1.2 §5.1.4): with VIRTIO_NET_F_SPEED_DUPLEX the device config
 * carries the speed and duplex the hypervisor exports — here the speed of the host's port, the one
 * a VF on the same host reports — and with VIRTIO_NET_F_STATUS whether the link is up.
 */
class VirtioLinkTest {
    @ParameterizedTest
    @CsvSource({"0,10000", "2500,10000", "1000,1000", "400,1000", "100,100"})
    void aVirtioGuestLinksAtTheSpeedOfTheHostsPortAsAVfDoes(long lineRateMbps, int speed) {
        try (HostTestBed t = new HostTestBed(1, lineRateMbps)) {
            Vm vf = t.vm("vf", IoPath.SRIOV, GuestApp.IDLE);
            for (IoPath path : new IoPath[] {IoPath.VSWITCH, IoPath.VMDQ}) {
                Vm vm = t.vm(path.label(), path, GuestApp.IDLE);
                VirtioNetPmd pmd = (VirtioNetPmd) vm.vnic();
                assertNotEquals(0, pmd.negotiatedFeatures() & 1L << Virtio.F_NET_SPEED_DUPLEX, "SPEED_DUPLEX negotiated");
                LinkStatus link = pmd.link();
                assertTrue(link.up(), path + ": " + link);
                assertEquals(speed, link.speedMbps(), path + " on a line of " + lineRateMbps);
                assertTrue(link.fullDuplex(), path + ": " + link);
                assertEquals(vf.vnic().link().speedMbps(), link.speedMbps(), path + " and the VF on the same port");
            }
        }
    }

    @Test
    void theDriverTakesWhatTheDeviceConfigSaysWhenItProbesTheDevice() {
        try (HostTestBed t = new HostTestBed(1)) {
            Vm vm = t.vm("idle", IoPath.VSWITCH, GuestApp.IDLE);
            VirtioNetBackend dev = vm.backend();
            Mempool pool = MbufPool.builder("probe", vm.memory().region()).count(255).cacheSize(0).build();
            try {
                assertEquals("up 1000 Mbps half-duplex", linkOf(dev, pool, 1000, Virtio.DUPLEX_HALF).toString());
                // unknown: the speed says so, the duplex stays full (DPDK's net_virtio does the same)
                LinkStatus unknown = linkOf(dev, pool, Virtio.SPEED_UNKNOWN, Virtio.DUPLEX_UNKNOWN);
                assertEquals(LinkStatus.SPEED_UNKNOWN, unknown.speedMbps());
                assertTrue(unknown.fullDuplex());
                assertEquals("up unknown speed full-duplex", unknown.toString());
                assertEquals(0, linkOf(dev, pool, 0, Virtio.DUPLEX_FULL).speedMbps(), "0 Mbit/s is a speed");

                VirtioNetPmd p = started(dev, pool, 25_000, Virtio.DUPLEX_FULL);
                long exits = vm.component().snapshot().vmExits();
                dev.setLinkUp(false); // VIRTIO_NET_F_STATUS: the config's status says the link is down
                assertFalse(p.link().up());
                dev.setLinkUp(true);
                assertEquals(25_000, p.link().speedMbps());
                assertEquals(exits + 2, vm.component().snapshot().vmExits(), "each link query reads the config: an exit");
                p.stop();
                assertEquals(0, pool.inUse(), "the drivers returned every buffer they posted");
            } finally {
                pool.close();
            }
        }
    }

    /**
     * The host pulls a VM's cable ({@code setVmLink}): the guest sees its link down, nothing it
     * sends leaves and nothing for it arrives — every such frame counted under a reason — and once
     * plugged back traffic flows again.
     */
    @ParameterizedTest
    @EnumSource(IoPath.class)
    void aVmWhoseLinkTheHostSetsDownSeesItDownAndEveryFrameIsCounted(IoPath path) {
        String rxReason = switch (path) {
            case VSWITCH -> "guest_rx_link_down";
            case VMDQ -> "vmdq_rx_link_down";
            case SRIOV -> "rx_drop_pool_down";
        };
        String txReason = path == IoPath.SRIOV ? "tx_drop_link_down" : "guest_tx_link_down"; // the device drops
        try (HostTestBed t = new HostTestBed(2)) {
            Vm echo = t.vm("echo", path, t.macswap());
            long mac = echo.spec().effectiveMac().value();
            t.host.setVmLink("echo", false);
            assertFalse(echo.vnic().link().up(), path + ": the guest sees its link down");
            t.fromWire(mac, 5);
            t.run();
            assertEquals(0, t.wireOut().size());
            assertEquals(0, t.appRx("echo"), "the guest received nothing");
            assertEquals(5L, drops(t).get(rxReason), () -> path + ": " + drops(t));

            Vm talker = t.vm("talker", path, t.sender(HostTestBed.PEER, 7));
            t.host.setVmLink("talker", false);
            t.run();
            assertEquals(0, t.wireOut().size(), "nothing the guest sent left");
            assertEquals(7L, drops(t).get(txReason), () -> path + ": " + drops(t));

            t.host.setVmLink("echo", true);
            assertTrue(echo.vnic().link().up());
            t.fromWire(mac, 3);
            t.run();
            assertEquals(3, t.wireOut().size(), "plugged back, traffic flows");
            t.assertNicConserved();
        }
    }

    /** Every drop the host counted, by reason, over all components. */
    private static Map<String, Long> drops(HostTestBed t) {
        Map<String, Long> m = new HashMap<>();
        for (var c : t.host.accounting()) {
            c.drops().forEach((k, v) -> m.merge(k, v, Long::sum));
        }
        return m;
    }

    @Test
    void theHypervisorCannotExportASpeedOrDuplexTheConfigHasNoWordFor() {
        try (HostTestBed t = new HostTestBed(1)) {
            VirtioNetBackend dev = t.vm("idle", IoPath.VSWITCH, GuestApp.IDLE).backend();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> dev.setSpeedDuplex(0x80000000, Virtio.DUPLEX_FULL));
            assertEquals("idle-virtio: link speed 2147483648 Mbit/s is neither 0..2147483647 nor unknown", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> dev.setSpeedDuplex(1000, 2));
            assertEquals("idle-virtio: duplex 0x2 is neither half (0), full (1) nor unknown (0xff)", e.getMessage());
        }
    }

    /** The link a driver started over {@code dev} reports, the config set to {@code mbps}, {@code duplex}; the driver stops after. */
    private static LinkStatus linkOf(VirtioNetBackend dev, Mempool pool, int mbps, int duplex) {
        VirtioNetPmd p = started(dev, pool, mbps, duplex);
        LinkStatus l = p.link();
        p.stop();
        return l;
    }

    /** A driver that probed and started over {@code dev} after the hypervisor set the config to {@code mbps}, {@code duplex}. */
    private static VirtioNetPmd started(VirtioNetBackend dev, Mempool pool, int mbps, int duplex) {
        dev.setSpeedDuplex(mbps, duplex);
        VirtioNetPmd p = VirtioNetPmd.probe("probe", dev, pool.region(), true);
        p.configure(1, 1, EthConf.defaults());
        p.rxQueueSetup(0, 64, pool);
        p.txQueueSetup(0, 64);
        p.start();
        return p;
    }
}
