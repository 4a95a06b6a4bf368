package io.havnet.hypervisor.virtio;

/**
 * virtio 1.2 constants: feature bits, device status, split-virtqueue layout (§2.7) and the
 * virtio-net header (§5.1.6). All fields of a split virtqueue are little-endian.
 * <pre>
 *  descriptor table (16 bytes per entry, align 16):  addr u64 | len u32 | flags u16 | next u16
 *  available ring (align 2): flags u16 | idx u16 | ring[N] u16 | used_event u16
 *  used ring (align 4):      flags u16 | idx u16 | ring[N] { id u32, len u32 } | avail_event u16
 *  virtio_net_hdr (12 bytes with VERSION_1): flags u8 | gso_type u8 | hdr_len u16 | gso_size u16
 *                                            | csum_start u16 | csum_offset u16 | num_buffers u16
 * </pre>
 */
public final class Virtio {
    // feature bits
    public static final int F_NET_CSUM = 0;
    public static final int F_NET_MAC = 5;
    public static final int F_NET_MRG_RXBUF = 15;
    public static final int F_NET_STATUS = 16;
    public static final int F_RING_EVENT_IDX = 29;
    public static final int F_VERSION_1 = 32;
    /** The device config carries the link's speed and duplex (bit 63; config fields valid with VERSION_1 only). */
    public static final int F_NET_SPEED_DUPLEX = 63;

    // device config of virtio-net with SPEED_DUPLEX (§5.1.4): speed le32 in Mbit/s, duplex u8
    /** {@code speed}: unknown. Any value above 0x7fffffff is read as unknown. */
    public static final int SPEED_UNKNOWN = 0xFFFFFFFF;
    public static final int DUPLEX_HALF = 0x00;
    public static final int DUPLEX_FULL = 0x01;
    /** {@code duplex}: unknown. Any value but 0x00 and 0x01 is read as unknown. */
    public static final int DUPLEX_UNKNOWN = 0xFF;

    // device status (§2.1)
    public static final int STATUS_ACKNOWLEDGE = 1;
    public static final int STATUS_DRIVER = 2;
    public static final int STATUS_DRIVER_OK = 4;
    public static final int STATUS_FEATURES_OK = 8;
    public static final int STATUS_NEEDS_RESET = 64;
    public static final int STATUS_FAILED = 128;

    // descriptor flags
    public static final int DESC_F_NEXT = 1;
    public static final int DESC_F_WRITE = 2;
    public static final int DESC_F_INDIRECT = 4;

    // ring flags
    public static final int AVAIL_F_NO_INTERRUPT = 1;
    public static final int USED_F_NO_NOTIFY = 1;

    public static final int DESC_SIZE = 16;
    public static final int DESC_ADDR = 0;
    public static final int DESC_LEN = 8;
    public static final int DESC_FLAGS = 12;
    public static final int DESC_NEXT = 14;

    public static final int RING_FLAGS = 0;
    public static final int RING_IDX = 2;
    public static final int RING_ENTRIES = 4;

    /** Bytes of the virtio-net header with VERSION_1 or MRG_RXBUF. */
    public static final int NET_HDR_LEN = 12;
    public static final int NET_HDR_NUM_BUFFERS = 10;

    /** Queue indexes of virtio-net. */
    public static final int RX_QUEUE = 0;
    public static final int TX_QUEUE = 1;

    public static final int MAX_QUEUE_SIZE = 32768;

    private Virtio() {}

    public static long descTableBytes(int n) {
        return (long) DESC_SIZE * n;
    }

    public static long availBytes(int n) {
        return 6 + 2L * n;
    }

    public static long usedBytes(int n) {
        return 6 + 8L * n;
    }

    /** Offset of used_event inside the available ring. */
    public static long usedEventOffset(int n) {
        return RING_ENTRIES + 2L * n;
    }

    /** Offset of avail_event inside the used ring. */
    public static long availEventOffset(int n) {
        return RING_ENTRIES + 8L * n;
    }

    /**
     * §2.7.10: should the other side be notified? {@code eventIdx} is what it asked for,
     * {@code newIdx} and {@code oldIdx} the index after and before this batch (16-bit arithmetic).
     */
    public static boolean needEvent(int eventIdx, int newIdx, int oldIdx) {
        return ((newIdx - eventIdx - 1) & 0xFFFF) < ((newIdx - oldIdx) & 0xFFFF);
    }
}
