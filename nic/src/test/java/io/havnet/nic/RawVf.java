package io.havnet.nic;

import io.havnet.nic.desc.AdvRxDescriptor;
import io.havnet.nic.desc.AdvTxDescriptor;
import io.havnet.nic.driver.VfMailboxClient;
import io.havnet.nic.mailbox.MailboxMessage;
import io.havnet.nic.regs.RegisterFile;
import io.havnet.nic.regs.Registers;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A hand-written (and, when the test wants, hostile) VF driver: rings at fixed guest-physical
 * addresses, descriptors written byte by byte, registers poked directly.
 */
final class RawVf {
    static final long RX_RING_GPA = 0x10000;
    static final long TX_RING_GPA = 0x20000;
    static final int RING = 64;

    final RegisterFile regs;
    final MemorySegment ram;   // the guest RAM as the guest sees it (offset = GPA)
    final VfMailboxClient mbx;
    int txTail;

    RawVf(NicTestBed t, NicTestBed.Guest g) {
        this.regs = t.nic.vfRegisters(g.vf);
        this.ram = g.ram.segment();
        this.mbx = new VfMailboxClient(regs, t.runner::runOnce, 10_000);
    }

    /** RESET through the mailbox; returns the reply. */
    int[] reset() {
        return mbx.call(MailboxMessage.RESET);
    }

    /** Enables RX queue 0 with the ring at {@code ringGpa}; posts {@code buffers} (GPAs), RDT after them. */
    void startRx(long ringGpa, long... buffers) {
        for (int i = 0; i < buffers.length; i++) {
            ram.set(ValueLayout.JAVA_LONG_UNALIGNED, ringGpa + 16L * i + AdvRxDescriptor.PKT_ADDR, buffers[i]);
            ram.set(ValueLayout.JAVA_LONG_UNALIGNED, ringGpa + 16L * i + AdvRxDescriptor.HDR_ADDR, 0L);
        }
        regs.write(Registers.VFRDBAL(0), (int) ringGpa);
        regs.write(Registers.VFRDBAH(0), (int) (ringGpa >>> 32));
        regs.write(Registers.VFRDLEN(0), RING * 16);
        regs.write(Registers.VFSRRCTL(0), 2);
        regs.write(Registers.VFRXDCTL(0), Registers.RXDCTL_ENABLE);
        regs.write(Registers.VFRDT(0), buffers.length);
    }

    void startTx(long ringGpa) {
        regs.write(Registers.VFTDBAL(0), (int) ringGpa);
        regs.write(Registers.VFTDBAH(0), (int) (ringGpa >>> 32));
        regs.write(Registers.VFTDLEN(0), RING * 16);
        regs.write(Registers.VFTXDCTL(0), Registers.TXDCTL_ENABLE);
        txTail = 0;
    }

    /** Writes one data descriptor (EOP|RS) and rings the doorbell. */
    void send(long bufferGpa, int cmdTypeLen) {
        long d = TX_RING_GPA + 16L * txTail;
        ram.set(ValueLayout.JAVA_LONG_UNALIGNED, d, bufferGpa);
        ram.set(ValueLayout.JAVA_INT_UNALIGNED, d + 8, cmdTypeLen);
        ram.set(ValueLayout.JAVA_INT_UNALIGNED, d + 12, 0);
        txTail = (txTail + 1) % RING;
        regs.write(Registers.VFTDT(0), txTail);
    }

    /** A well-formed data descriptor's cmd_type_len for {@code len} bytes. */
    static int data(int len) {
        return len | AdvTxDescriptor.DTYP_DATA | AdvTxDescriptor.DCMD_DEXT | AdvTxDescriptor.DCMD_IFCS
                | AdvTxDescriptor.DCMD_EOP | AdvTxDescriptor.DCMD_RS;
    }

    /** The status word of RX descriptor {@code i}. */
    int rxStatus(int i) {
        return ram.get(ValueLayout.JAVA_INT_UNALIGNED, RX_RING_GPA + 16L * i + AdvRxDescriptor.STATUS_ERROR);
    }
}
