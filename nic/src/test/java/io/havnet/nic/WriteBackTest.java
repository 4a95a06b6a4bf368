package io.havnet.nic;

import io.havnet.dataplane.net.PacketBuilder;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * RX descriptor write-back: the NIC holds the write-backs of one pass and writes them together
 * at the pass's end. What a driver relies on: every frame of a pass is visible once the pass is
 * over (none waits for a later frame), whole, in ring order — also when a pass completes more
 * descriptors than the write-back buffer holds.
 */
class WriteBackTest {
    private static final long PEER = 0x02AA00000001L;

    private static byte[] frame(long dst, int size, int seq) {
        byte[] f = PacketBuilder.ethernet(dst, PEER).ipv4("10.0.0.1", "10.0.0.2").udp(1000 + seq, 2).padTo(size).build();
        f[size - 1] = (byte) seq;
        return f;
    }

    @Test
    void everyFrameOfAPassIsVisibleWhenThePassEnds() {
        try (NicTestBed t = new NicTestBed(2)) {
            NicTestBed.Guest a = t.guest(0, 1);
            NicTestBed.Guest b = t.guest(1, 1);
            byte[][] frames = new byte[40][];
            for (int i = 0; i < frames.length; i++) {
                frames[i] = frame((i % 2 == 0 ? a : b).dev.macAddress().value(), 60, i);
            }
            t.fromWire(frames);
            t.nic.rxEngine().doWork(); // one pass: one wire burst of 32, 16 for each VF
            List<byte[]> gotA = NicTestBed.received(a.dev, 0);
            List<byte[]> gotB = NicTestBed.received(b.dev, 0);
            assertEquals(16, gotA.size(), "the pass's frames for VF 0, none held back");
            assertEquals(16, gotB.size());
            for (int i = 0; i < 16; i++) {
                assertArrayEquals(frames[2 * i], gotA.get(i));
                assertArrayEquals(frames[2 * i + 1], gotB.get(i));
            }
            t.nic.rxEngine().doWork(); // the other 8
            assertEquals(4, NicTestBed.received(a.dev, 0).size());
            assertEquals(4, NicTestBed.received(b.dev, 0).size());
            t.assertConserved();
        }
    }

    @Test
    void aPassOfMoreDescriptorsThanTheBufferHoldsWritesAllBackInRingOrder() {
        try (NicTestBed t = new NicTestBed(1)) {
            NicTestBed.Guest a = t.guest(0, 1);
            assertTrue(a.dev.setMaxFrame(9000));
            long ma = a.dev.macAddress().value();
            // 24 frames of 9000 bytes over 2 KiB buffers: 5 descriptors each, 120 in one pass
            byte[][] frames = new byte[24][];
            for (int i = 0; i < frames.length; i++) {
                frames[i] = frame(ma, 8996, i);
            }
            t.fromWire(frames);
            t.nic.rxEngine().doWork();
            List<byte[]> got = NicTestBed.received(a.dev, 0);
            assertEquals(frames.length, got.size());
            for (int i = 0; i < frames.length; i++) {
                assertArrayEquals(frames[i], got.get(i), "frame " + i + " whole and in order");
            }
            t.run();
            t.assertConserved();
        }
    }
}
