package io.havnet.dataplane.pmd;

import io.havnet.dataplane.memory.OffHeap;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reads a classic pcap file, microsecond or nanosecond, either byte order. The file is mapped
 * into memory; {@link #next()} steps from record to record without allocating and leaves the
 * record's timestamp, lengths and data offset in fields.
 */
public final class PcapReader implements AutoCloseable {
    /** {@link #next()}: a record is ready. */
    public static final int RECORD = 0;
    /** {@link #next()}: the file ended cleanly after the last record. */
    public static final int END = 1;
    /** {@link #next()}: the file ends in the middle of a record; see {@link #problem()}. */
    public static final int TRUNCATED = 2;
    /** {@link #next()}: a record header is impossible (length beyond any snaplen); see {@link #problem()}. */
    public static final int CORRUPT = 3;

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final ValueLayout.OfInt u32;
    private final boolean nanos;
    private final int snaplen;
    private final int linkType;
    private long pos = PcapFormat.GLOBAL_HEADER_LEN;
    private long recordTs;
    private long recordOffset;
    private int recordCaplen;
    private int recordOrigLen;
    private long records;
    private String problem;

    private PcapReader(Path path, Arena arena, MemorySegment file) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        int magicLe = file.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        int magicBe = file.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 0);
        ByteOrder order;
        if (magicLe == PcapFormat.MAGIC_MICROS || magicLe == PcapFormat.MAGIC_NANOS) {
            order = ByteOrder.LITTLE_ENDIAN;
            nanos = magicLe == PcapFormat.MAGIC_NANOS;
        } else if (magicBe == PcapFormat.MAGIC_MICROS || magicBe == PcapFormat.MAGIC_NANOS) {
            order = ByteOrder.BIG_ENDIAN;
            nanos = magicBe == PcapFormat.MAGIC_NANOS;
        } else {
            arena.close();
            String hint = magicLe == 0x0A0D0D0A ? " (pcapng is not supported; convert with: editcap -F pcap IN OUT)" : "";
            throw new PcapFormatException(String.format("pcap %s: not a pcap file (magic 0x%08x)%s", path,
                    magicBe, hint));
        }
        this.u32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(order);
        int major = Short.toUnsignedInt(file.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(order), 4));
        this.snaplen = file.get(u32, 16);
        this.linkType = file.get(u32, 20) & 0x0FFFFFFF;
        if (major != 2) {
            arena.close();
            throw new PcapFormatException("pcap " + path + ": unsupported version " + major + " (expected 2.4)");
        }
        if (linkType != PcapFormat.LINKTYPE_ETHERNET) {
            arena.close();
            throw new PcapFormatException("pcap " + path + ": link type " + linkType + " is not Ethernet (1)");
        }
    }

    /**
     * Opens and validates {@code path}.
     *
     * @throws PcapFormatException a one-line reason when the file is missing, short or foreign
     */
    public static PcapReader open(Path path) {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < PcapFormat.GLOBAL_HEADER_LEN) {
                arena.close();
                throw new PcapFormatException("pcap " + path + ": truncated global header (" + size + " of 24 bytes)");
            }
            MemorySegment seg = OffHeap.plain(ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena), arena);
            return new PcapReader(path, arena, seg);
        } catch (NoSuchFileException e) {
            arena.close();
            throw new PcapFormatException("pcap " + path + ": no such file");
        } catch (IOException e) {
            arena.close();
            throw new PcapFormatException("pcap " + path + ": " + e.getMessage());
        }
    }

    /** Steps to the next record: {@link #RECORD}, {@link #END}, {@link #TRUNCATED} or {@link #CORRUPT}. */
    public int next() {
        long size = file.byteSize();
        if (pos == size) {
            return END;
        }
        if (pos + PcapFormat.RECORD_HEADER_LEN > size) {
            problem = "pcap " + path + ": truncated record header at offset " + pos + " (record " + (records + 1) + ")";
            return TRUNCATED;
        }
        long sec = Integer.toUnsignedLong(file.get(u32, pos));
        long frac = Integer.toUnsignedLong(file.get(u32, pos + 4));
        int incl = file.get(u32, pos + 8);
        int orig = file.get(u32, pos + 12);
        if (incl < 0 || incl > PcapFormat.MAX_RECORD) {
            problem = "pcap " + path + ": corrupt record at offset " + pos + " (incl_len " + Integer.toUnsignedString(incl)
                    + ")";
            return CORRUPT;
        }
        if (pos + PcapFormat.RECORD_HEADER_LEN + incl > size) {
            problem = "pcap " + path + ": truncated mid-record at offset " + pos + " (record " + (records + 1) + ": "
                    + incl + " bytes announced, " + (size - pos - PcapFormat.RECORD_HEADER_LEN) + " present)";
            return TRUNCATED;
        }
        recordTs = sec * 1_000_000_000L + (nanos ? frac : frac * 1000);
        recordOffset = pos + PcapFormat.RECORD_HEADER_LEN;
        recordCaplen = incl;
        recordOrigLen = orig;
        pos = recordOffset + incl;
        records++;
        return RECORD;
    }

    /** Back to the first record. */
    public void rewind() {
        pos = PcapFormat.GLOBAL_HEADER_LEN;
        records = 0;
    }

    /** The mapped file; record data is at {@link #recordOffset()}. */
    public MemorySegment segment() {
        return file;
    }

    public long recordTimestampNanos() {
        return recordTs;
    }

    public long recordOffset() {
        return recordOffset;
    }

    public int recordCaplen() {
        return recordCaplen;
    }

    public int recordOrigLen() {
        return recordOrigLen;
    }

    /** Records returned since open or the last rewind. */
    public long records() {
        return records;
    }

    public boolean nanosecond() {
        return nanos;
    }

    public int snaplen() {
        return snaplen;
    }

    public Path path() {
        return path;
    }

    /** Why the last {@link #next()} returned TRUNCATED or CORRUPT. */
    public String problem() {
        return problem;
    }

    @Override
    public void close() {
        arena.close();
    }
}
