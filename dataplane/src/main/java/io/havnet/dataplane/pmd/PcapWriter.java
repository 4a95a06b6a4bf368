package io.havnet.dataplane.pmd;

import io.havnet.dataplane.mbuf.Mbuf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Writes a classic pcap file (native byte order, microsecond or nanosecond timestamps) through
 * an off-heap buffer, so writing a frame allocates nothing.
 */
public final class PcapWriter implements AutoCloseable {
    private static final int BUFFER = 1 << 20;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED;

    private final Path path;
    private final FileChannel channel;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment buf;
    private final ByteBuffer view;
    private final boolean nanos;
    private final int snaplen;
    private int used;
    private long records;

    private PcapWriter(Path path, FileChannel ch, boolean nanos, int snaplen) {
        this.path = path;
        this.channel = ch;
        this.nanos = nanos;
        this.snaplen = snaplen;
        this.buf = arena.allocate(BUFFER, 64);
        this.view = buf.asByteBuffer().order(ByteOrder.nativeOrder());
        buf.set(U32, 0, nanos ? PcapFormat.MAGIC_NANOS : PcapFormat.MAGIC_MICROS);
        buf.set(U16, 4, (short) 2);
        buf.set(U16, 6, (short) 4);
        buf.set(U32, 8, 0);
        buf.set(U32, 12, 0);
        buf.set(U32, 16, snaplen);
        buf.set(U32, 20, PcapFormat.LINKTYPE_ETHERNET);
        used = PcapFormat.GLOBAL_HEADER_LEN;
    }

    /** Creates (or truncates) {@code path}; a one-line {@link UncheckedIOException} if it cannot. */
    public static PcapWriter create(Path path, boolean nanosecond, int snaplen) {
        if (snaplen < 64 || snaplen > PcapFormat.MAX_RECORD) {
            throw new IllegalArgumentException("pcap snaplen " + snaplen + " out of range [64, 262144]");
        }
        try {
            FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
            return new PcapWriter(path, ch, nanosecond, snaplen);
        } catch (IOException e) {
            throw new UncheckedIOException("pcap " + path + ": cannot create: " + e.getMessage(), e);
        }
    }

    public static PcapWriter create(Path path) {
        return create(path, false, PcapFormat.DEFAULT_SNAPLEN);
    }

    /** Writes {@code len} bytes at {@code off} of {@code seg} as one frame stamped {@code tsNanos}. */
    public void write(long tsNanos, MemorySegment seg, long off, int len) {
        int cap = Math.min(len, snaplen);
        reserve(cap);
        header(tsNanos, cap, len);
        MemorySegment.copy(seg, off, buf, used, cap);
        used += cap;
        records++;
    }

    /** Writes mbuf chain {@code m} (all segments, up to the snaplen) as one frame. */
    public void write(long tsNanos, int m) {
        int len = Mbuf.pktLen(m);
        int cap = Math.min(len, snaplen);
        reserve(cap);
        header(tsNanos, cap, len);
        int left = cap;
        for (int s = m; s != Mbuf.NONE && left > 0; s = Mbuf.next(s)) {
            int k = Math.min(left, Mbuf.dataLen(s));
            MemorySegment.copy(Mbuf.segment(s), Mbuf.dataOffset(s), buf, used, k);
            used += k;
            left -= k;
        }
        records++;
    }

    private void header(long tsNanos, int cap, int len) {
        long sec = tsNanos / 1_000_000_000L;
        long frac = tsNanos % 1_000_000_000L;
        buf.set(U32, used, (int) sec);
        buf.set(U32, used + 4, (int) (nanos ? frac : frac / 1000));
        buf.set(U32, used + 8, cap);
        buf.set(U32, used + 12, len);
        used += PcapFormat.RECORD_HEADER_LEN;
    }

    private void reserve(int cap) {
        if (used + PcapFormat.RECORD_HEADER_LEN + cap > BUFFER) {
            flush();
        }
    }

    /** Writes the buffered records to the file. */
    public void flush() {
        try {
            view.clear().limit(used);
            while (view.hasRemaining()) {
                channel.write(view);
            }
            used = 0;
        } catch (IOException e) {
            used = 0;
            throw new UncheckedIOException("pcap " + path + ": write failed: " + e.getMessage(), e);
        }
    }

    public long records() {
        return records;
    }

    public Path path() {
        return path;
    }

    @Override
    public void close() {
        try {
            flush();
        } finally {
            try {
                channel.close();
            } catch (IOException e) {
                // the data was flushed; nothing more to say
            }
            arena.close();
        }
    }
}
