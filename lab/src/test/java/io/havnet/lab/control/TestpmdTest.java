package io.havnet.lab.control;

import io.havnet.hypervisor.IoPath;
import io.havnet.lab.Demo;
import io.havnet.lab.Experiment;
import org.junit.jupiter.api.Test;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/** The testpmd shell over a live host, through its public API. */
class TestpmdTest {
    private static long lost(String out) {
        Matcher m = Pattern.compile("Tester-offered: (\\d+) +Tester-returned: (\\d+) +Lost: (\\d+)").matcher(out);
        assertTrue(m.find(), out);
        return Long.parseLong(m.group(3));
    }

    /** TX-packets of every port, summed, from {@code show port stats all}. */
    private static long txPackets(Testpmd t) {
        Matcher m = Pattern.compile("TX-packets: (\\d+)").matcher(t.execute("show port stats all"));
        long sum = 0;
        int ports = 0;
        while (m.find()) {
            sum += Long.parseLong(m.group(1));
            ports++;
        }
        assertTrue(ports > 0);
        return sum;
    }

    /** A VF reports the speed its port links at (VFLINKS): 1 Gbps on a port paced at 1,000 Mbit/s. */
    @Test
    void showPortInfoGivesEveryPortTheSpeedItsHostsPortLinksAt() throws Exception {
        try (Experiment e = new Experiment(Demo.scenario(Demo.Plan.quick().withLineRate(1000)))) {
            String info = new Testpmd(e).execute("show port info all");
            // a VF reads VFLINKS; a virtio guest (vswitch, vmdq) the device config's speed (SPEED_DUPLEX)
            Matcher m = Pattern.compile("path: (\\w+).*\n(?:.*\n)*?Link speed: (.*)\nLink duplex: (.*)\n").matcher(info);
            java.util.Set<String> paths = new java.util.TreeSet<>();
            while (m.find()) {
                assertEquals("1 Gbps", m.group(2), info);
                assertEquals("full-duplex", m.group(3), info);
                paths.add(m.group(1));
            }
            assertEquals(java.util.Set.of("sriov", "vmdq", "vswitch"), paths, info);
        }
        assertEquals("100 Mbps", Testpmd.speed(100));
        assertEquals("2.5 Gbps", Testpmd.speed(2_500));
        assertEquals("10 Gbps", Testpmd.speed(10_000));
        assertEquals("Unknown", Testpmd.speed(io.havnet.dataplane.ethdev.LinkStatus.SPEED_UNKNOWN));
        assertEquals("None", Testpmd.speed(0));
    }

    @Test
    void setPromiscAsksEachPortsDeviceAndShowsWhatItGranted() throws Exception {
        try (Experiment e = new Experiment(Demo.scenario(Demo.Plan.quick()))) {
            Testpmd t = new Testpmd(e);
            int sriov = portOf(e, IoPath.SRIOV);
            int vswitch = portOf(e, IoPath.VSWITCH);
            String out = t.execute("set promisc all on");
            // virtio: no control virtqueue; an untrusted VF: the PF grants its multicast table only
            assertTrue(out.contains("Error during enabling promiscuous mode for port " + vswitch
                    + ": " + e.host().vms().get(vswitch).vnic().name() + ": no control virtqueue"), out);
            assertTrue(out.contains("port " + sriov + ": " + e.host().vms().get(sriov).vnic().name()
                    + ": the PF granted multicast by table, not promiscuous mode: the VF is not trusted"), out);
            assertTrue(t.execute("show port info " + sriov).contains("Promiscuous mode: disabled\nAllmulticast mode: disabled\n"));

            int vf = e.host().vms().get(sriov).vf();
            t.execute("set vf trust " + vf + " on");
            assertEquals("", t.execute("set promisc " + sriov + " on"));
            assertEquals("", t.execute("set allmulti " + sriov + " on"));
            assertTrue(t.execute("show port info " + sriov).contains("Promiscuous mode: enabled\nAllmulticast mode: enabled\n"));
            assertEquals(io.havnet.nic.mailbox.MailboxMessage.XCAST_MODE_PROMISC, e.host().pf().xcastMode(vf));
            t.execute("set promisc " + sriov + " off");
            assertEquals(io.havnet.nic.mailbox.MailboxMessage.XCAST_MODE_ALLMULTI, e.host().pf().xcastMode(vf));

            IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> t.execute("set promisc 0 maybe"));
            assertEquals("promisc: 'maybe' is neither on nor off", bad.getMessage());
        }
    }

    @Test
    void setLinkDownPullsEachVmsCableFromTheHostAndLinkUpPlugsItBack() throws Exception {
        try (Experiment e = new Experiment(Demo.scenario(Demo.Plan.quick()))) {
            Testpmd t = new Testpmd(e);
            assertEquals("", t.execute("set link-down port all"));
            String info = t.execute("show port info all");
            assertEquals(e.host().vms().size(), info.split("Link status: down\nLink speed: None\nLink duplex: half-duplex\n", -1).length - 1,
                    info);
            assertFalse(info.contains("Link status: up"), info);
            t.execute("set link-up port all");
            info = t.execute("show port info all");
            assertEquals(e.host().vms().size(), info.split("Link status: up\n", -1).length - 1, info);
            IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> t.execute("set link-down 0"));
            assertEquals("usage: set link-down port all|N", bad.getMessage());
        }
    }

    /**
     * Trust withdrawn from a promiscuous VF: the PF takes promiscuous mode away at once and asks the
     * driver to reset, so the port shows its link down; {@code port reset} brings it back with what the
     * PF grants now, and it forwards again. A virtio port does not reset this way and says so.
     */
    @Test
    void aVfWhoseTrustIsWithdrawnIsDownUntilPortResetAndThenShowsWhatItHas() throws Exception {
        try (Experiment e = new Experiment(Demo.scenario(Demo.Plan.quick()))) {
            Testpmd t = new Testpmd(e);
            int sriov = portOf(e, IoPath.SRIOV);
            int vf = e.host().vms().get(sriov).vf();
            t.execute("set vf trust " + vf + " on");
            assertEquals("", t.execute("set promisc " + sriov + " on"));
            t.execute("set vf trust " + vf + " off");
            assertEquals(io.havnet.nic.mailbox.MailboxMessage.XCAST_MODE_MULTI, e.host().pf().xcastMode(vf));
            String info = t.execute("show port info " + sriov);
            assertTrue(info.contains("Link status: down\n"), info);

            assertEquals("", t.execute("port reset " + sriov));
            info = t.execute("show port info " + sriov);
            assertTrue(info.contains("Link status: up\n"), info);
            assertTrue(info.contains("Promiscuous mode: disabled\n"), "asked again, refused: " + info);
            t.execute("start");
            Thread.sleep(300);
            assertEquals(0, lost(t.execute("stop")), "every port forwards again, the reset one too");

            int vswitch = portOf(e, IoPath.VSWITCH);
            assertEquals("Failed to reset port " + vswitch + ": " + e.host().vms().get(vswitch)
                    + ": only a VF port resets (this port's driver is net_virtio)\n", t.execute("port reset " + vswitch));
            IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> t.execute("port start 0"));
            assertEquals("usage: port reset all|N", bad.getMessage());
        }
    }

    private static int portOf(Experiment e, IoPath path) {
        for (int i = 0; i < e.host().vms().size(); i++) {
            if (e.host().vms().get(i).path() == path) {
                return i;
            }
        }
        throw new AssertionError("no " + path + " port");
    }

    @Test
    void stopStopsEveryVmsForwardingAndStartResumesIt() throws Exception {
        try (Experiment e = new Experiment(Demo.scenario(Demo.Plan.quick()))) {
            Testpmd t = new Testpmd(e);
            // txonly guests send without being offered anything: the ports' TX shows whether they run
            t.execute("set fwd txonly");
            t.execute("start");
            long a = txPackets(t);
            Thread.sleep(100);
            long b = txPackets(t);
            assertTrue(b > a, "txonly guests send while forwarding: " + a + " then " + b);
            t.execute("stop");
            long c = txPackets(t);
            Thread.sleep(200);
            assertEquals(c, txPackets(t), "after stop no VM sends (testpmd's stop ends every forwarding engine)");
            // set fwd while stopped changes the mode without starting it
            t.execute("set fwd flowgen");
            Thread.sleep(100);
            assertEquals(c, txPackets(t), "set fwd does not start forwarding");
            t.execute("start");
            Thread.sleep(100);
            assertTrue(txPackets(t) > c, "start resumes every VM's forwarding");
            t.execute("stop");
        }
    }

    @Test
    void aStopRightAfterStartDrainsAndNothingCirculatesAfterIt() throws Exception {
        try (Experiment e = new Experiment(Demo.scenario(Demo.Plan.quick()))) {
            Testpmd t = new Testpmd(e);
            // the drain can land while the tester is still priming its probes: it must win
            for (int i = 0; i < 300; i++) {
                t.execute("start");
                long t0 = System.nanoTime();
                String out = t.execute("stop");
                long took = System.nanoTime() - t0;
                assertEquals(0, lost(out), "round " + i + ": " + out);
                assertTrue(took < 1_000_000_000L, "round " + i + ": stop took " + took / 1_000_000 + " ms");
            }
            long offered = e.tester().offered();
            Thread.sleep(100);
            assertEquals(offered, e.tester().offered(), "no probe is sent after stop");
        }
    }

    @Test
    void probesLostInOneSessionDoNotCountAgainstTheNext() throws Exception {
        try (Experiment e = new Experiment(Demo.scenario(Demo.Plan.quick()))) {
            Testpmd t = new Testpmd(e);
            t.execute("start");
            Thread.sleep(100);
            t.execute("set vf link 0 disable"); // the VF's probes are dropped from now on
            Thread.sleep(100);
            String first = t.execute("stop");
            long lost = lost(first);
            assertTrue(lost > 0, "probes to a VF whose link is down are lost");
            Matcher d = Pattern.compile("Dropped on the host: \\{(.*)}").matcher(first);
            assertTrue(d.find(), "the loss is explained: " + first);
            long dropped = 0;
            for (String kv : d.group(1).split(", ")) {
                dropped += Long.parseLong(kv.substring(kv.indexOf('=') + 1));
            }
            assertEquals(lost, dropped, "every lost probe is a drop the host counted, with its reason: " + first);
            t.execute("set vf link 0 auto");
            t.execute("start");
            Thread.sleep(100);
            String out = t.execute("stop");
            assertEquals(0, lost(out), out);
            assertFalse(out.contains("Dropped on the host"), "nothing dropped, nothing to explain: " + out);
            assertTrue(e.tester().allReturned(), "this session's probes are all back, whatever an earlier one lost");
        }
    }

    @Test
    void stopEndsAsSoonAsEveryProbeIsBackEvenWhileGuestsSendTheirOwnStreams() throws Exception {
        try (Experiment e = new Experiment(Demo.scenario(Demo.Plan.quick()))) {
            Testpmd t = new Testpmd(e);
            t.execute("start");
            Thread.sleep(200);
            long t0 = System.nanoTime();
            String out = t.execute("stop");
            long closedLoop = System.nanoTime() - t0;
            assertEquals(0, lost(out), "the closed loop drains completely: " + out + t.execute("show port stats all"));
            assertTrue(closedLoop < 1_000_000_000L, "stop took " + closedLoop / 1_000_000 + " ms");

            // txonly guests stream to the wire without end; stop must not wait for them to fall quiet
            assertTrue(t.execute("set fwd txonly").contains("txonly"));
            t.execute("start");
            Thread.sleep(200);
            t0 = System.nanoTime();
            t.execute("stop");
            long streaming = System.nanoTime() - t0;
            assertTrue(streaming < 1_000_000_000L, "stop waited " + streaming / 1_000_000 + " ms for a stream that never ends");
        }
    }
}
