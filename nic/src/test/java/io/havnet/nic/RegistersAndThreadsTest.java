package io.havnet.nic;

import io.havnet.dataplane.agent.IdleStrategy;
import io.havnet.dataplane.agent.Lcore;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.net.PacketBuilder;
import io.havnet.nfv.fwd.FwdEngine;
import io.havnet.nfv.fwd.MacSwapFwd;
import io.havnet.nic.regs.Registers;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class RegistersAndThreadsTest {
    static final long PEER = 0x02AA00000001L;

    @Test
    void descriptorsAreSentOnlyWhenTheTailRegisterIsWritten() {
        try (NicTestBed t = new NicTestBed(1)) {
            NicTestBed.Guest a = t.guest(0, 1);
            RawVf raw = new RawVf(t, a);
            raw.startTx(RawVf.TX_RING_GPA);
            byte[] f = PacketBuilder.ethernet(PEER, a.dev.macAddress().value()).ipv4("1.1.1.1", "2.2.2.2").udp(1, 2)
                    .padTo(60).build();
            long buf = 0x30000;
            java.lang.foreign.MemorySegment.copy(java.lang.foreign.MemorySegment.ofArray(f), 0, raw.ram, buf, f.length);
            // write the descriptor but not the doorbell
            long d = RawVf.TX_RING_GPA;
            raw.ram.set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, d, buf);
            raw.ram.set(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, d + 8, RawVf.data(60));
            t.run();
            assertEquals(0, t.wireOut().size(), "no tail write, no fetch");
            assertEquals(0, raw.regs.read(Registers.VFTDH(0)));
            raw.regs.write(Registers.VFTDT(0), 1);
            t.run();
            assertEquals(1, t.wireOut().size(), "the tail write is the doorbell");
            assertEquals(1, raw.regs.read(Registers.VFTDH(0)), "the device advanced TDH");
            int sta = raw.ram.get(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, d + 12);
            assertEquals(1, sta & 1, "DD written back (RS was set)");
            // a queue whose ring length is not a multiple of 128 bytes stays disabled
            raw.regs.write(Registers.VFTXDCTL(0), 0);
            raw.regs.write(Registers.VFTDLEN(0), 100);
            raw.regs.write(Registers.VFTXDCTL(0), Registers.TXDCTL_ENABLE);
            assertFalse(t.nic.txQueue(t.nic.pool(0).firstQueue()).enabled());
            t.nic.resetVf(0);
            t.run();
        }
    }

    @Test
    void engineAndGuestOnTheirOwnThreadsLoseNothing() throws Exception {
        try (NicTestBed t = new NicTestBed(1)) {
            NicTestBed.Guest g = t.guest(0, 1);
            MacSwapFwd guest = new MacSwapFwd(g.dev, 0, g.dev, 0, 32);
            Lcore nicCore = Lcore.builder().name("nic").agent(t.nic.rxEngine()).agent(t.nic.txEngine())
                    .idle(IdleStrategy.yielding()).start();
            Lcore vcpu = Lcore.builder().name("vcpu").agent(guest).idle(IdleStrategy.yielding()).start();
            int sent = 0;
            int back = 0;
            byte[] f = PacketBuilder.ethernet(g.dev.macAddress().value(), PEER).ipv4("1.1.1.1", "2.2.2.2").udp(1, 2)
                    .padTo(60).build();
            long deadline = System.nanoTime() + 20_000_000_000L;
            int[] a = new int[32];
            while ((sent < 20_000 || back < sent) && System.nanoTime() < deadline) {
                if (sent < 20_000 && sent - back < 64) { // 127 descriptors, up to 31 held back by the driver
                    t.fromWire(f, f, f, f);
                    sent += 4;
                }
                int n = t.peer.rxBurst(0, a, 0, 32);
                back += n;
                Mbuf.freeBulk(a, 0, n);
                Thread.onSpinWait();
            }
            vcpu.close();
            nicCore.close();
            assertEquals(sent, back, () -> "frames lost: " + t.nic.counters().rx().snapshot());
            assertEquals(sent, guest.counters().get(FwdEngine.TX_PACKETS));
            t.assertConserved();
        }
    }
}
