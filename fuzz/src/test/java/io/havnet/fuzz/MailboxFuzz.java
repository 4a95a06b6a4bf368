package io.havnet.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.havnet.dataplane.pmd.RingEthDev;
import io.havnet.hypervisor.Host;
import io.havnet.nic.mailbox.MailboxMessage;
import io.havnet.nic.regs.RegisterFile;
import io.havnet.nic.regs.Registers;

/**
 * A hostile VF driver's mailbox: any 16 words, any message id, any VFMAILBOX bits (its buffer lock
 * held or dropped at random), while the administrator grants and withdraws its trust (each
 * withdrawal a PF ping). What the PF puts in its mailbox is a reply with ACK or NACK or a
 * PF_CONTROL_MSG, never an exception, and a well-behaved VF next to it is answered correctly
 * throughout.
 */
public class MailboxFuzz {
    private static Host host;
    private static RegisterFile hostile;
    private static io.havnet.nic.driver.VfMailboxClient neighbour;
    private static long inputs;

    public static void fuzzerTestOneInput(FuzzedDataProvider in) {
        if (host == null) {
            host = Host.builder(RingEthDev.pair("fz-wire", "fz-far", 1, 64)[0]).memory(512L << 20).vfs(2).build();
            hostile = host.nic().vfRegisters(1);
            host.pf().setVfTrust(0, true);
            neighbour = new io.havnet.nic.driver.VfMailboxClient(host.nic().vfRegisters(0), host.pf()::serviceMailboxes, 1000);
        }
        int admin = in.consumeInt(0, 7);
        if (admin == 0) {
            host.pf().setVfTrust(1, in.consumeBoolean());
            checkMailbox(); // a ping, if the mailbox was free
        } else if (admin == 1) {
            hostile.write(Registers.VFMAILBOX, in.consumeInt(0, 255)); // any control bits: VFU, ACK, RSTD, ...
        } else if (admin == 2) {
            host.pf().newOwner(1); // the request allowance full again, as for a VF handed to a new VM
        }
        int n = in.consumeInt(0, 16);
        for (int i = 0; i < MailboxMessage.WORDS; i++) {
            hostile.write(Registers.VFMBMEM + 4 * i, i < n ? in.consumeInt() : 0);
        }
        if (in.consumeBoolean()) {
            hostile.write(Registers.VFMBMEM, in.pickValue(new int[] {MailboxMessage.RESET, MailboxMessage.SET_MAC_ADDR,
                    MailboxMessage.SET_VLAN, MailboxMessage.SET_MULTICAST, MailboxMessage.SET_LPE, MailboxMessage.API_NEGOTIATE,
                    MailboxMessage.GET_QUEUES, MailboxMessage.IPSEC_ADD, MailboxMessage.IPSEC_DEL})
                    | in.consumeInt(0, 255) << MailboxMessage.MSGINFO_SHIFT);
        }
        hostile.write(Registers.VFMAILBOX, Registers.VFMAILBOX_REQ);
        host.pf().serviceMailboxes();
        checkMailbox();
        host.pf().serviceMailboxes(); // a ping that waited for the mailbox goes now, if it is free
        checkMailbox();
        if (in.consumeBoolean()) {
            hostile.write(Registers.VFMAILBOX, Registers.VFMAILBOX_ACK);
        }
        if (++inputs % 256 == 0) {
            host.pf().newOwner(0); // its own allowance is not what is checked here, however fast the fuzzer runs
            int[] r = neighbour.call(MailboxMessage.RESET);
            if (r[0] != (MailboxMessage.RESET | MailboxMessage.ACK | MailboxMessage.CTS)) {
                throw new IllegalStateException(String.format("the well-behaved VF's RESET got 0x%08x", r[0]));
            }
        }
    }

    /** What the PF put in the hostile VF's mailbox, if anything: a reply (ACK or NACK) or a ping. */
    private static void checkMailbox() {
        if ((hostile.read(Registers.VFMAILBOX) & Registers.VFMAILBOX_PFSTS) == 0) {
            return;
        }
        int w = hostile.read(Registers.VFMBMEM);
        boolean reply = (w & (MailboxMessage.ACK | MailboxMessage.NACK)) != 0;
        boolean ping = (w & ~MailboxMessage.CTS) == MailboxMessage.PF_CONTROL_MSG;
        if (!reply && !ping) {
            throw new IllegalStateException(String.format("the PF posted 0x%08x: neither a reply nor a ping", w));
        }
    }

    @FuzzTest(maxDuration = "10s")
    void requests(FuzzedDataProvider in) {
        fuzzerTestOneInput(in);
    }
}
