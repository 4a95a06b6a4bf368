package io.havnet.nic.driver;

import io.havnet.dataplane.ethdev.LinkStatus;
import io.havnet.dataplane.memory.MemoryRegion;
import io.havnet.dataplane.net.MacAddress;
import io.havnet.nic.mailbox.MailboxMessage;
import io.havnet.nic.regs.RegisterFile;
import io.havnet.nic.regs.Registers;

/**
 * The VF poll-mode driver ({@code net_ixgbe_vf}), as a guest runs it: the VF's BAR is mapped into
 * the VM, its descriptor rings and buffers live in guest memory and carry guest-physical
 * addresses (the IOMMU maps them), and everything that needs the PF goes through the mailbox.
 *
 * <p>Bring-up follows ixgbevf: RESET (the PF answers with the VF's MAC), API_NEGOTIATE,
 * GET_QUEUES. A reset of the VF under the driver (FLR, VM reset) shows in VFMAILBOX: RSTI
 * while the device resets the VF's queues, RSTD once it is done. From RSTI on the driver stops
 * using the rings and reports link down; at RSTD — not before, the device may still be writing
 * into them — it frees every buffer it holds, counting what was received but never read and
 * what it queued for sending that the device did not account for; {@link #recover()} brings it back.
 *
 * <p>The PF may also ask for a reset: a PF_CONTROL_MSG without CTS (ixgbe pings a VF whose trust
 * it withdrew), or a reply without CTS. The rings keep working, but the PF accepts nothing but
 * RESET until the driver resets: {@link #link()} reports the link down with that reason and
 * {@link #needsRecovery()} holds, as DPDK's VF driver raises {@code RTE_ETH_EVENT_INTR_RESET} and
 * reports the link down; {@link #recover()} resets and asks again for the receive mode the port
 * had, keeping what the PF grants now.
 */
public final class VfEthDev extends IxgbeEthDev {
    private static final LinkStatus DOWN = LinkStatus.down(null);
    private static final LinkStatus RESET = LinkStatus.down("VF was reset: call recover()");
    private static final LinkStatus RESET_ASKED = LinkStatus.down("the PF asked the VF to reset (PF_CONTROL_MSG"
            + " without CTS: its trust or configuration changed): call recover()");

    private final VfMailboxClient mbx;
    private int apiVersion = MailboxMessage.API_10;
    private boolean resetSeen;
    /** The buffers held when the reset was seen have been given back. */
    private boolean releasedAfterReset;

    private VfEthDev(String name, int queues, MacAddress mac, RegisterFile regs, MemoryRegion guestMemory,
                     VfMailboxClient mbx) {
        super(name, info("net_ixgbe_vf", queues), mac, regs, guestMemory);
        this.mbx = mbx;
    }

    /**
     * Probes the VF: resets it through the mailbox, learns its MAC and queue count.
     *
     * @param regs        the VF's BAR0 (mapped into the VM)
     * @param guestMemory guest RAM for descriptor rings (its IOVAs are GPAs)
     * @param pump        what to run while waiting for the PF (see {@link VfMailboxClient})
     * @throws IllegalStateException when the PF does not ACK the reset
     */
    public static VfEthDev probe(String name, RegisterFile regs, MemoryRegion guestMemory, Runnable pump) {
        VfMailboxClient mbx = new VfMailboxClient(regs, pump, 100_000);
        regs.write(Registers.VFMAILBOX, Registers.VFMAILBOX_RSTD); // acknowledge any reset indication
        int[] r = mbx.call(MailboxMessage.RESET);
        if (!VfMailboxClient.acked(r)) {
            throw new IllegalStateException(name + ": the PF refused the VF reset");
        }
        MacAddress mac = new MacAddress(MailboxMessage.macFromWords(r[1], r[2]));
        int api = MailboxMessage.API_10;
        int queues = 1;
        int[] a = mbx.call(MailboxMessage.API_NEGOTIATE, MailboxMessage.API_13);
        if (VfMailboxClient.acked(a)) {
            api = MailboxMessage.API_13;
            int[] g = mbx.call(MailboxMessage.GET_QUEUES);
            if (VfMailboxClient.acked(g)) {
                queues = Math.max(1, Math.min(g[MailboxMessage.VF_RX_QUEUES], g[MailboxMessage.VF_TX_QUEUES]));
            }
        }
        VfEthDev d = new VfEthDev(name, queues, mac, regs, guestMemory, mbx);
        d.apiVersion = api;
        return d;
    }

    public int apiVersion() {
        return apiVersion;
    }

    /**
     * Asks the PF for an inline IPsec SA in the NIC (ixgbevf's IPSEC_ADD): a TX SA encrypts frames
     * sent with {@code TX_SEC_OFFLOAD} and this index in the mbuf; an RX SA decrypts ESP arriving for
     * ({@code spi}, {@code dst}). Returns the NIC's SA index.
     *
     * @throws IllegalStateException when the PF refuses (the VF is not trusted, the table is full)
     */
    public int addInlineSa(boolean rx, int spi, int dst, byte[] key, byte[] salt) {
        if ((key.length != 16 && key.length != 32) || salt.length != 4) {
            throw new IllegalArgumentException("inline IPsec takes a 16- or 32-byte AES key and a 4-byte salt");
        }
        int[] msg = new int[13];
        msg[0] = MailboxMessage.IPSEC_ADD;
        msg[1] = (rx ? MailboxMessage.IPSEC_FLAG_RX : 0) | (key.length == 32 ? MailboxMessage.IPSEC_FLAG_AES256 : 0);
        msg[2] = spi;
        msg[3] = dst;
        for (int i = 0; i < key.length; i++) {
            msg[4 + i / 4] |= (key[i] & 0xFF) << (24 - 8 * (i % 4));
        }
        msg[12] = (salt[0] & 0xFF) << 24 | (salt[1] & 0xFF) << 16 | (salt[2] & 0xFF) << 8 | salt[3] & 0xFF;
        int[] r = mbx.call(msg);
        if (!VfMailboxClient.acked(r)) {
            throw new IllegalStateException(name() + ": the PF refused IPSEC_ADD (" + switch (r[1]) {
                case PfDriver.IPSEC_NOT_TRUSTED -> "the VF is not trusted: ip link set DEV vf N trust on";
                case PfDriver.IPSEC_TABLE_FULL -> "no SA left for this VF";
                case PfDriver.IPSEC_DUPLICATE -> "an SA for this SPI and destination exists";
                default -> "reason " + r[1];
            } + ")");
        }
        return r[1];
    }

    /** Removes an inline SA this VF added. */
    public void deleteInlineSa(boolean rx, int index) {
        int[] r = mbx.call(MailboxMessage.IPSEC_DEL, rx ? MailboxMessage.IPSEC_FLAG_RX : 0, index);
        if (!VfMailboxClient.acked(r)) {
            throw new IllegalStateException(name() + ": the PF has no " + (rx ? "RX" : "TX") + " SA " + index + " for this VF");
        }
    }

    @Override
    protected int rdbal(int q) {
        return Registers.VFRDBAL(q);
    }

    @Override
    protected int rdbah(int q) {
        return Registers.VFRDBAH(q);
    }

    @Override
    protected int rdlen(int q) {
        return Registers.VFRDLEN(q);
    }

    @Override
    protected int srrctl(int q) {
        return Registers.VFSRRCTL(q);
    }

    @Override
    protected int rdt(int q) {
        return Registers.VFRDT(q);
    }

    @Override
    protected int rxdctl(int q) {
        return Registers.VFRXDCTL(q);
    }

    @Override
    protected int tdbal(int q) {
        return Registers.VFTDBAL(q);
    }

    @Override
    protected int tdbah(int q) {
        return Registers.VFTDBAH(q);
    }

    @Override
    protected int tdlen(int q) {
        return Registers.VFTDLEN(q);
    }

    @Override
    protected int tdt(int q) {
        return Registers.VFTDT(q);
    }

    @Override
    protected int tdh(int q) {
        return Registers.VFTDH(q);
    }

    @Override
    protected int txdctl(int q) {
        return Registers.VFTXDCTL(q);
    }

    @Override
    protected int reta(int n) {
        return Registers.VFRETA(n);
    }

    @Override
    protected int mrqc() {
        return Registers.VFMRQC;
    }

    @Override
    public LinkStatus link() {
        if (resetSeen || resetIndicated()) {
            return RESET;
        }
        mbx.pollPf();
        if (mbx.resetAsked()) {
            return RESET_ASKED;
        }
        int links = regs.read(Registers.VFLINKS); // as ixgbevf's check_link: LINK_UP, then the speed bits
        return isStarted() && (links & Registers.LINKS_UP) != 0 ? LinkStatus.up(Registers.linksMbps(links)) : DOWN;
    }

    private boolean resetIndicated() {
        return (regs.read(Registers.VFMAILBOX) & (Registers.VFMAILBOX_RSTI | Registers.VFMAILBOX_RSTD)) != 0;
    }

    /** RSTD without RSTI: the device has finished resetting the VF's queues. */
    private boolean resetDone() {
        int v = regs.read(Registers.VFMAILBOX);
        return (v & Registers.VFMAILBOX_RSTD) != 0 && (v & Registers.VFMAILBOX_RSTI) == 0;
    }

    @Override
    protected boolean healthy() {
        if (!resetSeen) {
            if (!resetIndicated()) {
                return true;
            }
            resetSeen = true; // the VF is being reset under us: hands off the rings
            releasedAfterReset = false;
        }
        if (!releasedAfterReset && resetDone()) {
            releaseAfterReset();
        }
        return false;
    }

    /**
     * The device is done with the rings: every buffer goes back. Received frames never read count
     * as RX drops; queued frames count as TX drops from TDH on, where the device left the point up
     * to which it sent or counted them itself.
     */
    private void releaseAfterReset() {
        releaseAll();
        releasedAfterReset = true;
    }

    /**
     * Closing during a reset: the buffers go back once the device has finished it (a reset that
     * never completes keeps them: the device may still write into them).
     */
    @Override
    protected void doClose() {
        if (healthy()) {
            super.doClose();
        } else if (!releasedAfterReset && mbx.await(this::resetDone)) {
            releaseAfterReset();
        }
    }

    /** True once a reset was noticed and {@link #recover()} has not run yet. */
    public boolean needsRecovery() {
        healthy();
        mbx.pollPf();
        return resetSeen || mbx.resetAsked();
    }

    /**
     * After a reset: waits for the device to finish it (RSTD), gives every buffer back, resets
     * through the mailbox again and restarts the queues.
     *
     * @throws IllegalStateException when the reset does not complete or the PF refuses the VF
     */
    public void recover() {
        healthy();
        if (resetSeen && !mbx.await(this::resetDone)) {
            throw new IllegalStateException(name() + ": the VF reset did not complete");
        }
        if (resetSeen && !releasedAfterReset) {
            releaseAfterReset();
        }
        int[] r = mbx.call(MailboxMessage.RESET);
        if (!VfMailboxClient.acked(r)) {
            throw new IllegalStateException(name() + ": the PF refused the VF reset");
        }
        setMacAddressLocal(new MacAddress(MailboxMessage.macFromWords(r[1], r[2])));
        // a reset takes the PF back to API 1.0 and the multicast table: ask again, as ixgbevf's reset does
        if (apiVersion != MailboxMessage.API_10 && !VfMailboxClient.acked(mbx.call(MailboxMessage.API_NEGOTIATE, apiVersion))) {
            apiVersion = MailboxMessage.API_10;
        }
        restoreRxMode();
        regs.write(Registers.VFMAILBOX, Registers.VFMAILBOX_RSTD);
        resetSeen = false;
        if (isStarted()) {
            stop();
            start();
        }
    }

    /** After a reset: asks the PF for the receive mode the port had, keeping what it grants now. */
    private void restoreRxMode() {
        int asked = modeFor(promiscuous(), allMulticast());
        if (asked == MailboxMessage.XCAST_MODE_MULTI) {
            return; // what a reset leaves
        }
        int granted;
        try {
            granted = xcastMode(asked);
        } catch (IllegalStateException refused) {
            granted = MailboxMessage.XCAST_MODE_MULTI;
        }
        super.setPromiscuous(granted == MailboxMessage.XCAST_MODE_PROMISC);
        super.setAllMulticast(allMulticast() && granted >= MailboxMessage.XCAST_MODE_ALLMULTI);
    }

    private void setMacAddressLocal(MacAddress m) {
        super.setMacAddress(m);
    }

    /** SET_MAC_ADDR through the mailbox; IllegalStateException when the PF refuses (admin MAC, untrusted). */
    @Override
    public void setMacAddress(MacAddress m) {
        int[] r = mbx.call(MailboxMessage.SET_MAC_ADDR, MailboxMessage.macWord1(m.value()), MailboxMessage.macWord2(m.value()));
        if (!VfMailboxClient.acked(r)) {
            throw new IllegalStateException(name() + ": the PF refused MAC " + m
                    + " (an administrator set this VF's MAC and the VF is not trusted)");
        }
        super.setMacAddress(m);
    }

    /**
     * Promiscuous mode, asked of the PF (UPDATE_XCAST_MODE, as DPDK's ixgbevf driver): on, every
     * unicast and multicast address and every VLAN; off, back to all-multicast if that is on, else
     * to the multicast table. {@link #promiscuous()} says what the PF granted.
     *
     * @throws IllegalStateException when the PF refuses (mailbox API before 1.3) or grants less
     *                               (the VF is not trusted)
     */
    @Override
    public void setPromiscuous(boolean on) {
        int asked = modeFor(on, allMulticast());
        int granted = xcastMode(asked);
        super.setPromiscuous(granted == MailboxMessage.XCAST_MODE_PROMISC);
        if (granted < asked) {
            throw notGranted(asked, granted);
        }
    }

    /**
     * All-multicast mode, asked of the PF as {@link #setPromiscuous} is; while promiscuous the VF
     * receives every multicast address already, and only the setting is kept (as DPDK's driver).
     *
     * @throws IllegalStateException when the PF refuses (mailbox API before 1.2) or grants less
     *                               (the VF is not trusted)
     */
    @Override
    public void setAllMulticast(boolean on) {
        if (promiscuous()) {
            super.setAllMulticast(on);
            return;
        }
        int asked = modeFor(false, on);
        int granted = xcastMode(asked);
        super.setAllMulticast(granted >= MailboxMessage.XCAST_MODE_ALLMULTI);
        if (granted < asked) {
            throw notGranted(asked, granted);
        }
    }

    /** The receive mode a port in these modes asks of the PF (its multicast table when neither). */
    private static int modeFor(boolean promiscuous, boolean allMulticast) {
        return promiscuous ? MailboxMessage.XCAST_MODE_PROMISC
                : allMulticast ? MailboxMessage.XCAST_MODE_ALLMULTI : MailboxMessage.XCAST_MODE_MULTI;
    }

    /** UPDATE_XCAST_MODE; returns the mode the PF granted. */
    private int xcastMode(int mode) {
        int need = mode == MailboxMessage.XCAST_MODE_PROMISC ? MailboxMessage.API_13 : MailboxMessage.API_12;
        if (apiVersion < need) {
            throw new IllegalStateException(name() + ": " + XCAST_NAMES[mode] + " needs mailbox API "
                    + (need == MailboxMessage.API_13 ? "1.3" : "1.2") + "; the PF negotiated an older one");
        }
        int[] r = mbx.call(MailboxMessage.UPDATE_XCAST_MODE, mode);
        if (!VfMailboxClient.acked(r)) {
            throw new IllegalStateException(name() + ": the PF refused " + XCAST_NAMES[mode]);
        }
        if (r[1] < MailboxMessage.XCAST_MODE_NONE || r[1] > mode) {
            throw new IllegalStateException(name() + ": the PF answered receive mode " + r[1] + " to " + XCAST_NAMES[mode]);
        }
        return r[1];
    }

    private IllegalStateException notGranted(int asked, int granted) {
        return new IllegalStateException(name() + ": the PF granted " + XCAST_NAMES[granted] + ", not "
                + XCAST_NAMES[asked] + ": the VF is not trusted (ip link set DEV vf N trust on)");
    }

    private static final String[] XCAST_NAMES = {"no multicast", "multicast by table", "all-multicast", "promiscuous mode"};

    /** SET_VLAN: joins or leaves VLAN {@code vid}; false when the PF refuses (port VLAN set by the admin). */
    public boolean vlanFilter(int vid, boolean on) {
        int[] r = mbx.call(MailboxMessage.SET_VLAN | (on ? 1 << MailboxMessage.MSGINFO_SHIFT : 0), vid);
        return VfMailboxClient.acked(r);
    }

    /** SET_LPE: the largest frame the VF wants to receive; false when refused. */
    public boolean setMaxFrame(int bytes) {
        return VfMailboxClient.acked(mbx.call(MailboxMessage.SET_LPE, bytes));
    }

    /** SET_MULTICAST: the groups to receive (at most 30, as ixgbevf). */
    public boolean setMulticast(long... groups) {
        if (groups.length > 30) {
            throw new IllegalArgumentException("at most 30 multicast groups per VF");
        }
        int[] msg = new int[1 + (groups.length + 1) / 2];
        msg[0] = MailboxMessage.SET_MULTICAST | groups.length << MailboxMessage.MSGINFO_SHIFT;
        for (int i = 0; i < groups.length; i++) {
            int h = io.havnet.nic.l2.L2Table.mtaHash(groups[i]);
            msg[1 + i / 2] |= i % 2 == 0 ? h : h << 16;
        }
        return VfMailboxClient.acked(mbx.call(msg));
    }

    /** Sends a raw mailbox message (tests, hostile-guest scenarios); returns the reply. */
    public int[] mailbox(int... msg) {
        return mbx.call(msg);
    }

    /** VFCTRL.RST: the VF resets itself. */
    public void resetSelf() {
        regs.write(Registers.VFCTRL, Registers.VFCTRL_RST);
    }
}
