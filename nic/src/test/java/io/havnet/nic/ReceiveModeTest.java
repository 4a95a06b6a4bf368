package io.havnet.nic;

import io.havnet.dataplane.net.PacketBuilder;
import io.havnet.nic.driver.VfMailboxClient;
import io.havnet.nic.mailbox.MailboxMessage;
import io.havnet.nic.regs.RegisterFile;
import io.havnet.nic.regs.Registers;
import org.junit.jupiter.api.Test;

import static io.havnet.nic.mailbox.MailboxMessage.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A VF's receive mode (UPDATE_XCAST_MODE, ixgbe's policy): what its pool receives in each mode,
 * who may ask for what, and what a reset or a withdrawn trust leaves.
 */
class ReceiveModeTest {
    static final long PEER = 0x02AA00000001L;
    static final long STRANGER = 0x0200DEADBEEFL;  // a unicast address no pool holds
    static final long GROUP = 0x01005E000001L;     // a multicast group nobody subscribed
    static final long SUBSCRIBED = 0x01005E000002L;

    static byte[] to(long dst) {
        return PacketBuilder.ethernet(dst, PEER).ipv4("1.1.1.1", "2.2.2.2").udp(1, 2).padTo(60).build();
    }

    /** Which of: to the VF itself, to a stranger, to an unsubscribed group, to a subscribed group, the VF receives. */
    static String receives(NicTestBed t, NicTestBed.Guest g) {
        StringBuilder b = new StringBuilder();
        long[] dsts = {g.dev.macAddress().value(), STRANGER, GROUP, SUBSCRIBED};
        String[] names = {"own", "stranger", "group", "subscribed"};
        for (int i = 0; i < dsts.length; i++) {
            t.fromWire(to(dsts[i]));
            t.run();
            if (!NicTestBed.received(g.dev, 0).isEmpty()) {
                b.append(b.isEmpty() ? "" : " ").append(names[i]);
            }
        }
        t.wireOut();
        return b.toString();
    }

    @Test
    void aTrustedVfReceivesWhatItsModeSaysAndAnUntrustedOneItsTableOnly() {
        try (NicTestBed t = new NicTestBed(2)) {
            NicTestBed.Guest g = t.guest(0, 1);
            assertTrue(g.dev.setMulticast(SUBSCRIBED));
            assertEquals("own subscribed", receives(t, g), "after a reset: its MAC, broadcast and its multicast table");
            assertFalse(g.dev.promiscuous());

            // untrusted: the PF grants the multicast table, nothing more, and the driver says so
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> g.dev.setPromiscuous(true));
            assertEquals("vf0: the PF granted multicast by table, not promiscuous mode: the VF is not trusted "
                    + "(ip link set DEV vf N trust on)", e.getMessage());
            assertFalse(g.dev.promiscuous());
            assertThrows(IllegalStateException.class, () -> g.dev.setAllMulticast(true));
            assertFalse(g.dev.allMulticast());
            assertEquals(XCAST_MODE_MULTI, t.pf.xcastMode(0));
            assertEquals("own subscribed", receives(t, g));

            t.pf.setVfTrust(0, true);
            g.dev.setAllMulticast(true);
            assertTrue(g.dev.allMulticast());
            assertEquals("own group subscribed", receives(t, g));
            g.dev.setPromiscuous(true);
            assertTrue(g.dev.promiscuous());
            assertEquals("own stranger group subscribed", receives(t, g));
            g.dev.setPromiscuous(false);
            assertEquals(XCAST_MODE_ALLMULTI, t.pf.xcastMode(0), "back to all-multicast, which is still on");
            g.dev.setAllMulticast(false);
            assertEquals("own subscribed", receives(t, g));

            // trust withdrawn: the PF takes the VF back to its table at once and pings its driver to reset
            g.dev.setPromiscuous(true);
            t.pf.setVfTrust(0, false);
            assertEquals(XCAST_MODE_MULTI, t.pf.xcastMode(0));
            assertEquals("own subscribed", receives(t, g), "receiving goes on until the driver resets");
            assertTrue(g.dev.needsRecovery(), "PF_CONTROL_MSG without CTS");
            assertFalse(g.dev.link().up());
            assertEquals("the PF asked the VF to reset (PF_CONTROL_MSG without CTS: its trust or configuration changed):"
                    + " call recover()", g.dev.link().downReason());
            assertFalse(t.pf.clearToSend(0));
            assertFalse(g.dev.setMulticast(SUBSCRIBED), "NACK until it resets");
            g.dev.recover();
            assertFalse(g.dev.needsRecovery());
            assertTrue(g.dev.link().up());
            assertFalse(g.dev.promiscuous(), "asked again after the reset and refused: the driver says what it has");
            assertEquals(XCAST_MODE_MULTI, t.pf.xcastMode(0));
            assertEquals("own subscribed", receives(t, g));
            // NONE (DPDK's driver asks for it when promiscuous mode goes off): not even the table
            VfMailboxClient raw = new VfMailboxClient(t.nic.vfRegisters(0), t.runner::runOnce, 1000);
            assertEquals(XCAST_MODE_NONE, raw.call(UPDATE_XCAST_MODE, XCAST_MODE_NONE)[1]);
            assertEquals("own", receives(t, g));
            t.assertConserved();
        }
    }

    /**
     * The ping never overwrites what the VF has not read: a reply still unread holds it back until the
     * VF acknowledges, a request the VF is writing (buffer lock held) too; a request that goes first
     * is answered without CTS, which tells the VF as much; a RESET ends it all.
     */
    @Test
    void thePingWaitsForAFreeMailboxAndARequestThatGoesFirstIsToldByItsReply() {
        try (NicTestBed t = new NicTestBed(2)) {
            var regs = t.nic.vfRegisters(0);
            VfMailboxClient vf = new VfMailboxClient(regs, t.runner::runOnce, 1000);
            assertTrue(VfMailboxClient.acked(vf.call(RESET)));
            assertFalse(vf.resetAsked());
            t.pf.setVfTrust(0, true);
            assertEquals(-1, vf.pollPf(), "granting trust asks nothing of the driver");

            // a reply the VF has not read yet: the ping waits behind it
            request(regs, API_NEGOTIATE, API_13);
            t.run();
            assertNotEquals(0, regs.read(Registers.VFMAILBOX) & Registers.VFMAILBOX_PFSTS);
            t.pf.setVfTrust(0, false);
            int reply = vf.pollPf();
            assertEquals(API_NEGOTIATE | ACK | CTS, reply, "the reply, untouched, composed before the trust went");
            t.run(); // the mailbox service posts the ping now that the mailbox is free
            assertEquals(PF_CONTROL_MSG, vf.pollPf());
            assertTrue(vf.resetAsked());
            assertFalse(VfMailboxClient.acked(vf.call(API_NEGOTIATE, API_13)), "nothing but RESET before a reset");
            assertTrue(vf.resetAsked(), "a reply without CTS says it again");
            assertTrue(VfMailboxClient.acked(vf.call(RESET)));
            assertFalse(vf.resetAsked());

            // the VF holds the buffer lock, writing a request: the ping waits; the reply tells
            t.pf.setVfTrust(0, true);
            regs.write(Registers.VFMAILBOX, Registers.VFMAILBOX_VFU);
            regs.write(Registers.VFMBMEM, API_NEGOTIATE);
            regs.write(Registers.VFMBMEM + 4, API_13);
            t.pf.setVfTrust(0, false); // between the request's words and REQ
            regs.write(Registers.VFMAILBOX, Registers.VFMAILBOX_REQ);
            t.run();
            assertEquals(API_NEGOTIATE | NACK, vf.pollPf(), "its request reached the PF intact, and no CTS came back");
            assertTrue(VfMailboxClient.acked(vf.call(RESET)));
            t.run();
            assertEquals(-1, vf.pollPf(), "the reset made the waiting ping moot: none follows");
            assertFalse(vf.resetAsked());
            // the other VF was served all along
            VfMailboxClient other = new VfMailboxClient(t.nic.vfRegisters(1), t.runner::runOnce, 1000);
            assertTrue(VfMailboxClient.acked(other.call(RESET)));
        }
    }

    /** Writes a request as the VF driver does, without waiting for the reply. */
    private static void request(RegisterFile regs, int... msg) {
        regs.write(Registers.VFMAILBOX, Registers.VFMAILBOX_VFU);
        for (int i = 0; i < msg.length; i++) {
            regs.write(Registers.VFMBMEM + 4 * i, msg[i]);
        }
        regs.write(Registers.VFMAILBOX, Registers.VFMAILBOX_REQ);
    }

    @Test
    void aPromiscuousVfStillSeesOnlyItsPortVlanAndTheOtherVfsTrafficIsNotTakenFromThem() {
        try (NicTestBed t = new NicTestBed(2)) {
            NicTestBed.Guest a = t.guest(0, 1);
            NicTestBed.Guest b = t.guest(1, 1);
            t.pf.setVfTrust(0, true);
            a.dev.setPromiscuous(true);
            // a frame for VF 1 reaches VF 1 and, promiscuous, VF 0 too
            t.fromWire(to(b.dev.macAddress().value()));
            t.run();
            assertEquals(1, NicTestBed.received(b.dev, 0).size());
            assertEquals(1, NicTestBed.received(a.dev, 0).size());
            // a port VLAN keeps confining it: a frame tagged for another VLAN does not reach it
            t.pf.setVfVlan(0, 10, 0);
            byte[] tagged = PacketBuilder.ethernet(STRANGER, PEER).vlan(20).ipv4("1.1.1.1", "2.2.2.2").udp(1, 2)
                    .padTo(64).build();
            t.fromWire(tagged);
            t.run();
            assertEquals(0, NicTestBed.received(a.dev, 0).size(), "VLAN 20 is not VF 0's port VLAN 10");
            t.wireOut();
            t.assertConserved();
        }
    }

    @Test
    void theMailboxFollowsIxgbesPolicyForReceiveModes() {
        try (NicTestBed t = new NicTestBed(1)) {
            VfMailboxClient vf = new VfMailboxClient(t.nic.vfRegisters(0), t.runner::runOnce, 1000);
            assertTrue(VfMailboxClient.acked(vf.call(RESET)));
            t.pf.setVfTrust(0, true);
            assertFalse(VfMailboxClient.acked(vf.call(UPDATE_XCAST_MODE, XCAST_MODE_ALLMULTI)), "API 1.0: NACK");
            assertTrue(VfMailboxClient.acked(vf.call(API_NEGOTIATE, API_12)));
            assertFalse(VfMailboxClient.acked(vf.call(UPDATE_XCAST_MODE, XCAST_MODE_PROMISC)),
                    "promiscuous came with API 1.3");
            int[] r = vf.call(UPDATE_XCAST_MODE, XCAST_MODE_ALLMULTI);
            assertTrue(VfMailboxClient.acked(r));
            assertEquals(XCAST_MODE_ALLMULTI, r[1]);
            assertTrue(VfMailboxClient.acked(vf.call(API_NEGOTIATE, API_13)));
            r = vf.call(UPDATE_XCAST_MODE, XCAST_MODE_PROMISC);
            assertEquals(XCAST_MODE_PROMISC, r[1]);
            assertFalse(VfMailboxClient.acked(vf.call(UPDATE_XCAST_MODE, 7)), "an unknown mode");
            r = vf.call(UPDATE_XCAST_MODE, XCAST_MODE_NONE);
            assertEquals(XCAST_MODE_NONE, r[1], "none: broadcast only");
            assertEquals(XCAST_MODE_NONE, t.pf.xcastMode(0));
            // a reset takes the VF back to API 1.0 and its multicast table
            r = vf.call(UPDATE_XCAST_MODE, XCAST_MODE_PROMISC);
            assertTrue(VfMailboxClient.acked(vf.call(RESET)));
            assertEquals(XCAST_MODE_MULTI, t.pf.xcastMode(0));
            assertFalse(VfMailboxClient.acked(vf.call(UPDATE_XCAST_MODE, XCAST_MODE_ALLMULTI)), "API 1.0 again");
            // so does an FLR
            assertTrue(VfMailboxClient.acked(vf.call(API_NEGOTIATE, API_13)));
            assertTrue(VfMailboxClient.acked(vf.call(UPDATE_XCAST_MODE, XCAST_MODE_PROMISC)));
            t.pf.resetVf(0);
            t.run();
            assertEquals(XCAST_MODE_MULTI, t.pf.xcastMode(0));
        }
    }

    @Test
    void aVfThatRecoversFromAResetAsksForItsModeAgain() {
        try (NicTestBed t = new NicTestBed(1)) {
            NicTestBed.Guest g = t.guest(0, 1);
            t.pf.setVfTrust(0, true);
            g.dev.setPromiscuous(true);
            t.pf.resetVf(0);
            t.run();
            g.dev.recover();
            assertEquals(MailboxMessage.API_13, g.dev.apiVersion());
            assertTrue(g.dev.promiscuous());
            assertEquals(XCAST_MODE_PROMISC, t.pf.xcastMode(0));
            assertEquals("own stranger group subscribed", receives(t, g), "every address, as before the reset");
        }
    }
}
