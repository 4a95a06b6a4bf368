package io.havnet.dataplane.pmd;

/**
 * The classic libpcap file format (draft-ietf-opsawg-pcap).
 * <pre>
 *  global header (24 bytes):
 *   0 magic        0xa1b2c3d4 (µs timestamps) or 0xa1b23c4d (ns), in the writer's byte order
 *   4 version      2.4
 *   8 thiszone     0     12 sigfigs 0
 *  16 snaplen      largest captured length
 *  20 linktype     1 = Ethernet
 *  record header (16 bytes):
 *   0 ts_sec   4 ts_usec or ts_nsec   8 incl_len (bytes stored)   12 orig_len (bytes on the wire)
 * </pre>
 */
public final class PcapFormat {
    public static final int MAGIC_MICROS = 0xa1b2c3d4;
    public static final int MAGIC_NANOS = 0xa1b23c4d;
    public static final int GLOBAL_HEADER_LEN = 24;
    public static final int RECORD_HEADER_LEN = 16;
    public static final int LINKTYPE_ETHERNET = 1;
    public static final int DEFAULT_SNAPLEN = 65535;
    /** Larger records than this are treated as corruption (libpcap's own limit is 256 KiB). */
    public static final int MAX_RECORD = 262144;

    private PcapFormat() {}
}
