package io.havnet.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.havnet.dataplane.pmd.RingEthDev;
import io.havnet.hypervisor.Host;
import io.havnet.nic.mailbox.MailboxMessage;
import io.havnet.nic.regs.RegisterFile;
import io.havnet.nic.regs.Registers;

/**
 * A hostile VF driver's mailbox: any 16 words, any message id, sent by an untrusted VF. The PF
 * answers each with ACK or NACK (never an exception), and its answer to a trusted VF's ordinary
 * request stays correct whatever the hostile one did.
 */
public class MailboxFuzz {
    private static Host host;
    private static RegisterFile hostile;

    public static void fuzzerTestOneInput(FuzzedDataProvider in) {
        if (host == null) {
            host = Host.builder(RingEthDev.pair("fz-wire", "fz-far", 1, 64)[0]).memory(512L << 20).vfs(2).build();
            hostile = host.nic().vfRegisters(1);
            host.pf().setVfTrust(0, true);
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
        int reply = host.nic().vfRegisters(1).read(Registers.VFMBMEM);
        if ((reply & (MailboxMessage.ACK | MailboxMessage.NACK)) == 0
                && (host.nic().vfRegisters(1).read(Registers.VFMAILBOX) & Registers.VFMAILBOX_PFSTS) != 0) {
            throw new IllegalStateException(String.format("the PF answered 0x%08x: neither ACK nor NACK", reply));
        }
        hostile.write(Registers.VFMAILBOX, Registers.VFMAILBOX_ACK);
    }

    @FuzzTest(maxDuration = "10s")
    void requests(FuzzedDataProvider in) {
        fuzzerTestOneInput(in);
    }
}
