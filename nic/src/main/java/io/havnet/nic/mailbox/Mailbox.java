package io.havnet.nic.mailbox;

import io.havnet.nic.regs.RegisterFile;
import io.havnet.nic.regs.Registers;

/**
 * The hardware mailbox between the PF and one VF (82599 datasheet §7.10.2.2): 16 dwords of
 * memory seen by the VF as VFMBMEM and by the PF as PFMBMEM[n], and the two control registers.
 * <ul>
 *   <li>VF → PF: the VF writes the message into VFMBMEM and sets VFMAILBOX.REQ; the device copies
 *       it to the PF's view and raises a request for the PF (MBVFICR).</li>
 *   <li>PF → VF: the PF writes the reply into PFMBMEM[n] and sets PFMAILBOX[n].STS (and .ACK to
 *       acknowledge the request); the device copies it to the VF's view and sets VFMAILBOX.PFSTS
 *       (and .PFACK); the VF reads it and writes VFMAILBOX.ACK.</li>
 * </ul>
 */
public final class Mailbox {
    private final int vf;
    private final RegisterFile vfRegs;
    private final RegisterFile pfRegs;
    private final Runnable notifyPf;
    private volatile boolean requestPending;
    private long requests;

    public Mailbox(int vf, RegisterFile vfRegs, RegisterFile pfRegs, Runnable notifyPf) {
        this.vf = vf;
        this.vfRegs = vfRegs;
        this.pfRegs = pfRegs;
        this.notifyPf = notifyPf;
    }

    public int vf() {
        return vf;
    }

    /** VFMAILBOX was written by the VF. */
    public void onVfWrite(int value) {
        if ((value & Registers.VFMAILBOX_REQ) != 0) {
            int src = Registers.VFMBMEM;
            int dst = Registers.PFMBMEM(vf);
            for (int i = 0; i < MailboxMessage.WORDS; i++) {
                pfRegs.set(dst + 4 * i, vfRegs.read(src + 4 * i));
            }
            vfRegs.clearBits(Registers.VFMAILBOX, Registers.VFMAILBOX_REQ | Registers.VFMAILBOX_PFACK);
            requests++;
            requestPending = true;
            notifyPf.run();
        }
        if ((value & Registers.VFMAILBOX_ACK) != 0) {
            vfRegs.clearBits(Registers.VFMAILBOX, Registers.VFMAILBOX_PFSTS | Registers.VFMAILBOX_ACK);
        }
        if ((value & Registers.VFMAILBOX_RSTD) != 0) {
            // the VF driver saw the reset and re-initializes: clear the reset indications
            vfRegs.clearBits(Registers.VFMAILBOX, Registers.VFMAILBOX_RSTD | Registers.VFMAILBOX_RSTI);
        }
    }

    /** PFMAILBOX[vf] was written by the PF. */
    public void onPfWrite(int value) {
        if ((value & Registers.PFMAILBOX_STS) != 0) {
            int src = Registers.PFMBMEM(vf);
            for (int i = 0; i < MailboxMessage.WORDS; i++) {
                vfRegs.set(Registers.VFMBMEM + 4 * i, pfRegs.read(src + 4 * i));
            }
            int bits = Registers.VFMAILBOX_PFSTS | ((value & Registers.PFMAILBOX_ACK) != 0 ? Registers.VFMAILBOX_PFACK : 0);
            vfRegs.setBits(Registers.VFMAILBOX, bits);
            pfRegs.set(Registers.PFMAILBOX(vf), 0);
        }
    }

    /** True when a VF request waits for the PF; {@link #takeRequest} clears it. */
    public boolean requestPending() {
        return requestPending;
    }

    /** Reads the pending request into {@code words}; false when there is none. */
    public boolean takeRequest(int[] words) {
        if (!requestPending) {
            return false;
        }
        requestPending = false;
        int src = Registers.PFMBMEM(vf);
        for (int i = 0; i < MailboxMessage.WORDS; i++) {
            words[i] = pfRegs.read(src + 4 * i);
        }
        return true;
    }

    /** Requests received since start. */
    public long requests() {
        return requests;
    }

    /** A VF reset clears the mailbox state: nothing pending, reset-done reported to the VF. */
    public void reset(boolean done) {
        requestPending = false;
        vfRegs.set(Registers.VFMAILBOX, done ? Registers.VFMAILBOX_RSTD : Registers.VFMAILBOX_RSTI);
    }
}
