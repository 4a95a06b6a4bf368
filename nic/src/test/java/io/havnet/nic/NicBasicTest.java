package io.havnet.nic;

import io.havnet.dataplane.net.MacAddress;
import io.havnet.dataplane.net.PacketBuilder;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class NicBasicTest {
    static final long PEER = 0x02AA00000001L;

    @Test
    void aFrameForAVfsMacReachesTheGuestAndItsReplyReachesTheWire() {
        try (NicTestBed t = new NicTestBed(2)) {
            NicTestBed.Guest g = t.guest(0, 1);
            long vfMac = g.dev.macAddress().value();
            byte[] f = PacketBuilder.ethernet(vfMac, PEER).ipv4("10.0.0.1", "10.0.0.2").udp(1, 2).padTo(60).build();
            t.fromWire(f);
            t.run();
            List<byte[]> got = NicTestBed.received(g.dev, 0);
            assertEquals(1, got.size(), () -> t.nic.counters().rx().snapshot() + " " + t.nic.pool(0).rxCounters().snapshot()
                    + " link " + g.dev.link() + " enabled " + t.nic.filters().isEnabled(0));
            assertArrayEquals(f, got.getFirst());

            byte[] reply = PacketBuilder.ethernet(PEER, vfMac).ipv4("10.0.0.2", "10.0.0.1").udp(2, 1).padTo(60).build();
            assertEquals(1, NicTestBed.send(g.dev, g.pool, reply));
            t.run();
            List<byte[]> out = t.wireOut();
            assertEquals(1, out.size());
            assertArrayEquals(reply, out.getFirst());
            t.assertConserved();
            assertEquals(MacAddress.local(0x5F_0000_0000L | (t.nic.portMac() & 0xFF_FFFF) << 8).value(), vfMac);
        }
    }
}
