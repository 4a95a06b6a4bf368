package io.havnet.nic.driver;

import io.havnet.nic.mailbox.MailboxMessage;
import io.havnet.nic.regs.RegisterFile;
import io.havnet.nic.regs.Registers;

/**
 * The VF driver's side of the mailbox (ixgbevf's mbx ops): write the request into VFMBMEM, set
 * VFMAILBOX.REQ, wait for PFSTS, read the reply, acknowledge. Waiting runs a pump (in a
 * deterministic test: one round of the PF service and the NIC; on threads: a spin) at most
 * {@code maxPumps} times and for at least two seconds, then fails with a clear timeout instead of hanging.
 */
public final class VfMailboxClient {
    private final RegisterFile regs;
    private final Runnable pump;
    private final int maxPumps;
    /** The PF withdrew clear-to-send: the last word from it had no CTS. */
    private boolean resetAsked;
    /** The least time a call waits, however fast the pump returns (the PF's lcore may be descheduled). */
    static final long TIMEOUT_NANOS = 2_000_000_000L;

    public VfMailboxClient(RegisterFile regs, Runnable pump, int maxPumps) {
        this.regs = regs;
        this.pump = pump;
        this.maxPumps = maxPumps;
    }

    /**
     * Sends {@code msg} and returns the PF's reply (word 0 carries ACK or NACK).
     *
     * @throws IllegalStateException when the PF does not answer in time
     */
    public int[] call(int... msg) {
        if (msg.length > MailboxMessage.WORDS) {
            throw new IllegalArgumentException("a mailbox message has at most 16 words");
        }
        pollPf(); // a message the PF posted unasked is read before the request overwrites it
        regs.write(Registers.VFMAILBOX, Registers.VFMAILBOX_VFU);
        for (int i = 0; i < MailboxMessage.WORDS; i++) {
            regs.write(Registers.VFMBMEM + 4 * i, i < msg.length ? msg[i] : 0);
        }
        regs.write(Registers.VFMAILBOX, Registers.VFMAILBOX_REQ);
        if (!await(() -> (regs.read(Registers.VFMAILBOX) & Registers.VFMAILBOX_PFSTS) != 0)) {
            throw new IllegalStateException("mailbox: no reply from the PF to " + MailboxMessage.name(msg[0])
                    + " (is the PF driver's mailbox service running?)");
        }
        int[] reply = new int[MailboxMessage.WORDS];
        for (int i = 0; i < reply.length; i++) {
            reply[i] = regs.read(Registers.VFMBMEM + 4 * i);
        }
        regs.write(Registers.VFMAILBOX, Registers.VFMAILBOX_ACK);
        resetAsked = (reply[0] & MailboxMessage.CTS) == 0; // every reply says whether the PF still lets us talk
        return reply;
    }

    /**
     * Reads a message the PF posted without being asked (PFSTS while no request of ours waits:
     * PF_CONTROL_MSG, ixgbe's ping) and acknowledges it. Returns its word 0, or -1 when there is none.
     */
    public int pollPf() {
        if ((regs.read(Registers.VFMAILBOX) & Registers.VFMAILBOX_PFSTS) == 0) {
            return -1;
        }
        int w0 = regs.read(Registers.VFMBMEM);
        regs.write(Registers.VFMAILBOX, Registers.VFMAILBOX_ACK);
        if ((w0 & MailboxMessage.ID_MASK) == MailboxMessage.PF_CONTROL_MSG) {
            resetAsked = (w0 & MailboxMessage.CTS) == 0;
        }
        return w0;
    }

    /**
     * True when the PF has withdrawn clear-to-send (a ping or a reply without CTS): the driver must
     * reset (RESET) before the PF accepts anything else.
     */
    public boolean resetAsked() {
        return resetAsked;
    }

    /**
     * Pumps until {@code done} holds, for at most {@code maxPumps} pumps and at least the timeout;
     * returns whether it holds.
     */
    public boolean await(java.util.function.BooleanSupplier done) {
        long deadline = System.nanoTime() + TIMEOUT_NANOS;
        for (int p = 0; p < maxPumps || System.nanoTime() < deadline; p++) {
            if (done.getAsBoolean()) {
                return true;
            }
            pump.run();
        }
        return done.getAsBoolean();
    }

    public static boolean acked(int[] reply) {
        return (reply[0] & MailboxMessage.ACK) != 0;
    }
}
