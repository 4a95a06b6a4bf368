package io.havnet.nic;

import io.havnet.dataplane.net.MacAddress;
import io.havnet.dataplane.net.PacketBuilder;
import io.havnet.nic.driver.VfMailboxClient;
import io.havnet.nic.l2.L2Filters;
import io.havnet.nic.mailbox.MailboxMessage;
import io.havnet.nic.sriov.VfInfo;
import org.junit.jupiter.api.Test;

import static io.havnet.nic.mailbox.MailboxMessage.*;
import static org.junit.jupiter.api.Assertions.*;

class MailboxAndResetTest {
    static final long PEER = 0x02AA00000001L;

    static boolean acked(int[] r) {
        return VfMailboxClient.acked(r);
    }

    @Test
    void pfPolicyFollowsIxgbe() {
        try (NicTestBed t = new NicTestBed(2)) {
            VfMailboxClient vf0 = new VfMailboxClient(t.nic.vfRegisters(0), t.runner::runOnce, 1000);
            long other = 0x020000C0FFEEL;
            // nothing but RESET before a reset
            int[] r = vf0.call(SET_MAC_ADDR, macWord1(other), macWord2(other));
            assertFalse(acked(r));
            assertEquals(0, r[0] & CTS, "not clear to send yet");
            r = vf0.call(RESET);
            assertTrue(acked(r));
            assertEquals(RESET, r[0] & ID_MASK);
            long mac = macFromWords(r[1], r[2]);
            assertTrue(new MacAddress(mac).isUnicast());
            assertTrue(t.pf.clearToSend(0));

            // no admin MAC: the VF may pick its own
            assertTrue(acked(vf0.call(SET_MAC_ADDR, macWord1(other), macWord2(other))));
            assertEquals(other, t.pf.vfInfo(0).mac());
            // an admin MAC binds an untrusted VF...
            MacAddress admin = MacAddress.parse("02:00:00:00:00:33");
            t.pf.setVfMac(0, admin);
            assertFalse(acked(vf0.call(SET_MAC_ADDR, macWord1(other), macWord2(other))));
            assertEquals(admin.value(), t.pf.vfInfo(0).mac());
            assertTrue(acked(vf0.call(SET_MAC_ADDR, macWord1(admin.value()), macWord2(admin.value()))), "its own admin MAC is fine");
            // ...but not a trusted one
            t.pf.setVfTrust(0, true);
            assertTrue(acked(vf0.call(SET_MAC_ADDR, macWord1(other), macWord2(other))));
            assertFalse(acked(vf0.call(SET_MAC_ADDR, macWord1(MacAddress.BROADCAST.value()), macWord2(MacAddress.BROADCAST.value()))),
                    "never a multicast MAC");

            // VLANs: allowed without a port VLAN, refused with one
            assertTrue(acked(vf0.call(SET_VLAN | 1 << MSGINFO_SHIFT, 55)));
            assertTrue(t.nic.filters().vlansOf(0).contains(55));
            t.pf.setVfVlan(0, 10, 1);
            assertFalse(acked(vf0.call(SET_VLAN | 1 << MSGINFO_SHIFT, 66)));
            assertEquals(java.util.List.of(10), t.nic.filters().vlansOf(0));

            // API negotiation and queues
            assertTrue(acked(vf0.call(API_NEGOTIATE, API_13)));
            assertFalse(acked(vf0.call(API_NEGOTIATE, 99)));
            r = vf0.call(GET_QUEUES);
            assertTrue(acked(r));
            assertEquals(t.nic.queuesPerPool(), r[VF_RX_QUEUES]);
            assertEquals(1, r[VF_TRANS_VLAN], "a port VLAN is transparent to the VF");
            assertFalse(acked(vf0.call(SET_LPE, 100_000)));
            assertTrue(acked(vf0.call(SET_LPE, 9000)));
            assertFalse(acked(vf0.call(0x77)), "unknown messages are NACKed");
        }
    }

    @Test
    void aMailboxFloodIsRateLimitedAndOtherVfsAreStillServed() {
        try (NicTestBed t = new NicTestBed(2)) {
            VfMailboxClient vf0 = new VfMailboxClient(t.nic.vfRegisters(0), t.runner::runOnce, 1000);
            VfMailboxClient vf1 = new VfMailboxClient(t.nic.vfRegisters(1), t.runner::runOnce, 1000);
            assertTrue(acked(vf0.call(RESET)));
            assertTrue(acked(vf1.call(RESET)));
            int nacked = 0;
            for (int i = 0; i < 500; i++) { // no time passes: the flood exceeds the burst
                if (!acked(vf0.call(GET_QUEUES))) {
                    nacked++;
                }
                if (i % 50 == 0) {
                    assertTrue(acked(vf1.call(GET_QUEUES)), "VF 1 is served during VF 0's flood");
                }
            }
            assertTrue(nacked > 400, "nacked " + nacked);
            assertEquals(nacked, t.pf.mailboxRefused(0));
            t.clock.advance(1_000_000_000L);
            assertTrue(acked(vf0.call(GET_QUEUES)), "after a second the VF is served again");
        }
    }

    @Test
    void flrReturnsEveryBufferAndTheVfRecovers() {
        try (NicTestBed t = new NicTestBed(1)) {
            NicTestBed.Guest g = t.guest(0, 1);
            long mac = g.dev.macAddress().value();
            byte[] f = PacketBuilder.ethernet(mac, PEER).ipv4("1.1.1.1", "2.2.2.2").udp(1, 2).padTo(60).build();
            // frames waiting in the RX ring and frames queued for TX when the reset hits
            t.fromWire(f, f, f);
            t.run();
            byte[] out = PacketBuilder.ethernet(PEER, mac).ipv4("2.2.2.2", "1.1.1.1").udp(2, 1).padTo(60).build();
            assertEquals(2, NicTestBed.send(g.dev, g.pool, out, out));
            assertTrue(g.pool.inUse() > 0);
            t.pf.resetVf(0);
            t.run();
            assertTrue(g.dev.needsRecovery());
            assertFalse(g.dev.link().up());
            assertEquals(0, g.pool.inUse(), () -> "after a reset the driver holds nothing: " + g.pool.leakReport());
            assertEquals(2, t.nic.counters().tx().get(io.havnet.nic.engine.NicCounters.TX_DROP_RESET),
                    "the NIC counts the frames it never fetched: not lost silently");
            assertEquals(0, g.dev.txDroppedOnReset(), "and the driver does not count them again");
            assertEquals(3, g.dev.resetDrops().get(io.havnet.nic.driver.IxgbeEthDev.RX_DROPPED_ON_RESET),
                    "the received frames the guest had not taken are counted by its driver");
            assertTrue(t.nic.events().getLast().text().contains("reset done"));
            t.wireOut();
            g.dev.recover();
            assertTrue(g.dev.link().up());
            t.fromWire(f);
            t.run();
            assertEquals(1, NicTestBed.received(g.dev, 0).size(), "traffic flows again after recovery");
            t.assertConserved();
        }
    }

    @Test
    void filterTablesHaveThe82599Limits() {
        L2Filters f = new L2Filters(64);
        for (int i = 0; i < L2Filters.MAX_MAC_FILTERS; i++) {
            f.addMac(i % 64, 0x020000000000L + i);
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> f.addMac(0, 0x02FF00000000L));
        assertEquals("MAC filter table full: the 82599 has 128 receive address registers", e.getMessage());
        for (int v = 1; v <= L2Filters.MAX_VLAN_FILTERS; v++) {
            f.addVlan(0, v);
        }
        e = assertThrows(IllegalStateException.class, () -> f.addVlan(1, 4000));
        assertEquals("VLAN filter table full: the 82599 has 64 VLAN pool filters", e.getMessage());
        f.addVlan(1, 5); // joining an existing entry needs no new one
        assertThrows(IllegalArgumentException.class, () -> f.addVlan(0, 4096));
        assertThrows(IllegalArgumentException.class, () -> f.addMac(0, MacAddress.BROADCAST.value()));
    }

    @Test
    void ipLinkStyleAdminValuesAreCheckedAndShown() {
        try (NicTestBed t = new NicTestBed(2)) {
            t.pf.setVfMac(1, MacAddress.parse("02:00:00:00:00:03"));
            t.pf.setVfVlan(1, 10, 3);
            t.pf.setVfSpoofCheck(1, true);
            t.pf.setVfTrust(1, false);
            t.pf.setVfMaxTxRate(1, 500);
            t.pf.setVfLinkState(1, io.havnet.nic.sriov.LinkState.ENABLE);
            VfInfo i = t.pf.vfInfo(1);
            assertEquals("vf 1     link/ether 02:00:00:00:00:03 brd ff:ff:ff:ff:ff:ff, vlan 10, qos 3, spoof checking on,"
                    + " link-state enable, trust off, max_tx_rate 500Mbps", i.ipLinkLine());
            assertThrows(IllegalArgumentException.class, () -> t.pf.setVfVlan(1, 5000, 0));
            assertThrows(IllegalArgumentException.class, () -> t.pf.setVfMaxTxRate(1, -1));
            assertThrows(IllegalArgumentException.class, () -> t.pf.setVfMac(1, MacAddress.BROADCAST));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.pf.vfInfo(7));
            assertEquals("VF 7 does not exist (num_vfs 2)", e.getMessage());
        }
    }

}
