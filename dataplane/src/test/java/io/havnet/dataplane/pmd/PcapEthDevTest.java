package io.havnet.dataplane.pmd;

import io.havnet.dataplane.clock.ManualClock;
import io.havnet.dataplane.ethdev.EthConf;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.mbuf.MbufPool;
import io.havnet.dataplane.memory.HugePagePolicy;
import io.havnet.dataplane.memory.MemoryRegion;
import io.havnet.dataplane.mempool.Mempool;
import io.havnet.dataplane.net.PacketBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class PcapEthDevTest {
    @TempDir
    Path dir;
    private MemoryRegion region;
    private Mempool pool;

    @BeforeEach
    void setUp() {
        region = MemoryRegion.allocate("pcap-test", 16 << 20, HugePagePolicy.NEVER);
        pool = MbufPool.builder("pcap", region).count(512).cacheSize(0).build();
    }

    @AfterEach
    void tearDown() {
        assertEquals(0, pool.inUse(), () -> "leaked: " + pool.leakReport());
        pool.close();
        region.close();
    }

    static byte[] frame(int i, int size) {
        return PacketBuilder.ethernet(0x020000000002L, 0x020000000001L).ipv4(0x0A000001, 0x0A000000 + i, 64)
                .udp(1000 + i, 2000).padTo(size).build();
    }

    /** Writes frames with timestamps {@code ts[i]} ns through the writer. */
    Path write(String name, boolean nanos, long[] ts, byte[]... frames) {
        Path p = dir.resolve(name);
        try (PcapWriter w = PcapWriter.create(p, nanos, 65535)) {
            for (int i = 0; i < frames.length; i++) {
                w.write(ts[i], java.lang.foreign.MemorySegment.ofArray(frames[i]), 0, frames[i].length);
            }
        }
        return p;
    }

    PcapEthDev open(PcapEthDev.Builder b) {
        PcapEthDev d = b.build();
        d.configure(1, 1, EthConf.defaults());
        d.rxQueueSetup(0, 256, pool);
        d.txQueueSetup(0, 256);
        d.start();
        return d;
    }

    List<byte[]> drain(PcapEthDev d, int max) {
        List<byte[]> out = new ArrayList<>();
        int[] a = new int[32];
        int n;
        while (out.size() < max && (n = d.rxBurst(0, a, 0, 32)) > 0) {
            for (int i = 0; i < n; i++) {
                out.add(Mbuf.toBytes(a[i]));
            }
            Mbuf.freeBulk(a, 0, n);
        }
        return out;
    }

    @Test
    void microsecondAndNanosecondFilesRoundTripThroughRxAndTx() {
        for (boolean nanos : new boolean[] {false, true}) {
            byte[][] frames = {frame(1, 60), frame(2, 200), frame(3, 1514)};
            long[] ts = {1_700_000_000_123_456_789L, 1_700_000_000_223_456_789L, 1_700_000_001_000_000_001L};
            Path in = write("in-" + nanos + ".pcap", nanos, ts, frames);
            Path out = dir.resolve("out-" + nanos + ".pcap");
            try (PcapEthDev d = open(PcapEthDev.builder("pcap-rt").rx(in).tx(out).nanosecond(nanos))) {
                int[] a = new int[8];
                assertEquals(3, d.rxBurst(0, a, 0, 8));
                long expect0 = nanos ? ts[0] : ts[0] / 1000 * 1000;
                assertEquals(expect0, Mbuf.timestamp(a[0]), "RX stamps the capture time");
                assertEquals(3, d.txBurst(0, a, 0, 3));
                assertTrue(d.rxDone());
                d.stop();
            }
            try (PcapReader r = PcapReader.open(out)) {
                assertEquals(nanos, r.nanosecond());
                for (int i = 0; i < 3; i++) {
                    assertEquals(PcapReader.RECORD, r.next());
                    byte[] got = new byte[r.recordCaplen()];
                    java.lang.foreign.MemorySegment.copy(r.segment(), java.lang.foreign.ValueLayout.JAVA_BYTE,
                            r.recordOffset(), got, 0, got.length);
                    assertArrayEquals(frames[i], got);
                    assertEquals(nanos ? ts[i] : ts[i] / 1000 * 1000, r.recordTimestampNanos(),
                            "TX keeps the capture timestamp");
                }
                assertEquals(PcapReader.END, r.next());
            }
        }
    }

    @Test
    void bigEndianFilesAreRead() throws IOException {
        byte[] f = frame(1, 64);
        ByteBuffer b = ByteBuffer.allocate(24 + 16 + f.length).order(ByteOrder.BIG_ENDIAN);
        b.putInt(PcapFormat.MAGIC_MICROS).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(65535)
                .putInt(1);
        b.putInt(10).putInt(500_000).putInt(f.length).putInt(f.length).put(f);
        Path p = dir.resolve("be.pcap");
        Files.write(p, b.array());
        try (PcapReader r = PcapReader.open(p)) {
            assertEquals(PcapReader.RECORD, r.next());
            assertEquals(10_500_000_000L, r.recordTimestampNanos());
            assertEquals(f.length, r.recordCaplen());
        }
    }

    @Test
    void jumboFramesArriveAsSegmentChains() {
        byte[] jumbo = frame(9, 9000);
        Path in = write("jumbo.pcap", false, new long[] {1000}, jumbo);
        Path out = dir.resolve("jumbo-out.pcap");
        try (PcapEthDev d = open(PcapEthDev.builder("pcap-jumbo").rx(in).tx(out))) {
            int[] a = new int[4];
            assertEquals(1, d.rxBurst(0, a, 0, 4));
            assertEquals(5, Mbuf.nbSegs(a[0]));
            assertArrayEquals(jumbo, Mbuf.toBytes(a[0]));
            assertEquals(1, d.txBurst(0, a, 0, 1));
        }
        try (PcapReader r = PcapReader.open(out)) {
            assertEquals(PcapReader.RECORD, r.next());
            assertEquals(9000, r.recordCaplen(), "TX gathers all segments");
        }
    }

    @Test
    void recordedPaceReleasesFramesAtTheirCaptureOffsets() {
        long base = 5_000_000_000L;
        Path in = write("paced.pcap", true, new long[] {base, base + 1_000_000, base + 3_000_000},
                frame(1, 60), frame(2, 60), frame(3, 60));
        ManualClock clock = new ManualClock(42);
        try (PcapEthDev d = open(PcapEthDev.builder("pcap-paced").rx(in).recordedPace().clock(clock))) {
            assertEquals(1, drain(d, 10).size(), "the first frame goes at once");
            clock.advance(999_999);
            assertEquals(0, drain(d, 10).size(), "1 ms gap not yet elapsed");
            clock.advance(1);
            assertEquals(1, drain(d, 10).size());
            clock.advance(2_000_000);
            assertEquals(1, drain(d, 10).size());
            assertTrue(d.rxDone());
        }
    }

    @Test
    void givenRateAndLoopsReplayTheFileSeveralTimes() {
        Path in = write("loop.pcap", false, new long[] {0, 1, 2}, frame(1, 60), frame(2, 60), frame(3, 60));
        ManualClock clock = new ManualClock();
        try (PcapEthDev d = open(PcapEthDev.builder("pcap-rate").rx(in).rate(1000).loops(3).clock(clock))) {
            int total = 0;
            for (int ms = 0; ms < 20; ms++) {
                int n = drain(d, 100).size();
                assertTrue(n <= 1, "at 1000 frames/s at most one frame per ms, got " + n);
                total += n;
                clock.advance(1_000_000);
            }
            assertEquals(9, total, "3 frames x 3 passes");
            assertTrue(d.rxDone());
            assertEquals(9, d.stats().ipackets());
        }
    }

    @Test
    void aFileTruncatedMidRecordCountsOneErrorAndTakesTheLinkDown() throws IOException {
        Path good = write("full.pcap", false, new long[] {1, 2, 3}, frame(1, 100), frame(2, 100), frame(3, 100));
        byte[] all = Files.readAllBytes(good);
        Path cut = dir.resolve("cut.pcap");
        Files.write(cut, Arrays.copyOf(all, all.length - 50));
        try (PcapEthDev d = open(PcapEthDev.builder("pcap-cut").rx(cut))) {
            assertEquals(2, drain(d, 10).size(), "the two whole records are delivered");
            assertEquals(1, d.stats().ierrors());
            assertFalse(d.link().up());
            assertTrue(d.link().downReason().contains("truncated mid-record"), d.link().downReason());
            assertTrue(d.rxDone());
            assertEquals(0, drain(d, 10).size());
        }
    }

    @Test
    void foreignAndShortFilesAreRefusedWithOneLine() throws IOException {
        Path text = dir.resolve("notes.txt");
        Files.writeString(text, "this is not a capture file at all");
        PcapFormatException e = assertThrows(PcapFormatException.class, () -> PcapEthDev.builder("x").rx(text).build());
        assertTrue(e.getMessage().matches("pcap .*notes.txt: not a pcap file \\(magic 0x[0-9a-f]{8}\\)"), e.getMessage());

        Path ng = dir.resolve("x.pcapng");
        Files.write(ng, new byte[] {0x0A, 0x0D, 0x0D, 0x0A, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
        e = assertThrows(PcapFormatException.class, () -> PcapReader.open(ng));
        assertTrue(e.getMessage().contains("pcapng is not supported"), e.getMessage());

        Path shortFile = dir.resolve("short.pcap");
        Files.write(shortFile, new byte[10]);
        e = assertThrows(PcapFormatException.class, () -> PcapReader.open(shortFile));
        assertTrue(e.getMessage().endsWith("truncated global header (10 of 24 bytes)"), e.getMessage());

        e = assertThrows(PcapFormatException.class, () -> PcapReader.open(dir.resolve("missing.pcap")));
        assertTrue(e.getMessage().endsWith("missing.pcap: no such file"), e.getMessage());
    }

    @Test
    void aCorruptRecordLengthIsAnErrorNotAnAllocation() throws IOException {
        Path good = write("c.pcap", false, new long[] {1}, frame(1, 60));
        byte[] all = Files.readAllBytes(good);
        ByteBuffer.wrap(all).order(ByteOrder.nativeOrder()).putInt(24 + 8, 0x7FFFFFFF);
        Path bad = dir.resolve("corrupt.pcap");
        Files.write(bad, all);
        try (PcapEthDev d = open(PcapEthDev.builder("pcap-corrupt").rx(bad))) {
            assertEquals(0, drain(d, 10).size());
            assertEquals(1, d.stats().ierrors());
            assertTrue(d.link().downReason().contains("corrupt record"), d.link().downReason());
        }
    }

    @Test
    void rxWaitsInsteadOfDroppingWhenMbufsRunOut() {
        byte[][] frames = new byte[20][];
        long[] ts = new long[20];
        for (int i = 0; i < 20; i++) {
            frames[i] = frame(i, 60);
            ts[i] = i;
        }
        Path in = write("many.pcap", false, ts, frames);
        try (PcapEthDev d = open(PcapEthDev.builder("pcap-nombuf").rx(in))) {
            int[] hold = new int[pool.size() - 5];
            assertEquals(hold.length, pool.getBulk(hold, 0, hold.length));
            int[] a = new int[32];
            assertEquals(5, d.rxBurst(0, a, 0, 32), "five mbufs left, five frames delivered");
            Mbuf.freeBulk(a, 0, 5);
            pool.putBulk(hold, 0, hold.length);
            assertEquals(15, drain(d, 100).size(), "nothing was lost while the pool was empty");
        }
    }
}
