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
 *   <li>PF → VF unasked ({@link #post}, ixgbe's ping): the same without .ACK, so the VF tells it
 *       from a reply. The VF takes the buffer lock (VFMAILBOX.VFU) before it writes a request, and
 *       the PF posts nothing while the VF holds it or a request waits; a request the VF writes over
 *       an unread PF message overwrites it (VFMBMEM is one buffer), as ixgbevf's write flushes it.</li>
 * </ul>
 * The PF's and the VF's sides run on different threads; each step is one synchronized method.
 */
public final class Mailbox {
    private final int vf;
    private final RegisterFile vfRegs;
    private final RegisterFile pfRegs;
    private final Runnable notifyPf;
    private volatile boolean requestPending;
    /** VFMAILBOX.VFU: the VF is writing a request into the buffer. */
    private boolean vfLocked;
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
    public synchronized void onVfWrite(int value) {
        vfLocked = (value & Registers.VFMAILBOX_VFU) != 0 && (value & Registers.VFMAILBOX_REQ) == 0;
        if ((value & Registers.VFMAILBOX_REQ) != 0) {
            int src = Registers.VFMBMEM;
            int dst = Registers.PFMBMEM(vf);
            for (int i = 0; i < MailboxMessage.WORDS; i++) {
                pfRegs.set(dst + 4 * i, vfRegs.read(src + 4 * i));
            }
            vfRegs.clearBits(Registers.VFMAILBOX, Registers.VFMAILBOX_REQ | Registers.VFMAILBOX_PFACK
                    | Registers.VFMAILBOX_PFSTS);
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
    public synchronized void onPfWrite(int value) {
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
    public synchronized boolean takeRequest(int[] words) {
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

    /**
     * A message from the PF that answers nothing ({@code word0}, the other words 0): posted when
     * the mailbox is free — no request waiting for the PF, no message the VF has not read.
     *
     * @return false when it was not posted
     */
    public synchronized boolean post(int word0) {
        if (requestPending || vfLocked || (vfRegs.read(Registers.VFMAILBOX) & Registers.VFMAILBOX_PFSTS) != 0) {
            return false;
        }
        int dst = Registers.PFMBMEM(vf);
        for (int i = 0; i < MailboxMessage.WORDS; i++) {
            pfRegs.set(dst + 4 * i, i == 0 ? word0 : 0);
        }
        onPfWrite(Registers.PFMAILBOX_STS);
        return true;
    }

    /** Requests received since start. */
    public long requests() {
        return requests;
    }

    /** A VF reset clears the mailbox state: nothing pending, reset-done reported to the VF. */
    public synchronized void reset(boolean done) {
        requestPending = false;
        vfLocked = false;
        vfRegs.set(Registers.VFMAILBOX, done ? Registers.VFMAILBOX_RSTD : Registers.VFMAILBOX_RSTI);
    }
}
