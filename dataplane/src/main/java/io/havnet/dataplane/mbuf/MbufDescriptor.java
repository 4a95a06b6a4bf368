package io.havnet.dataplane.mbuf;

/**
 * Layout of an mbuf element in its mempool, after DPDK's {@code struct rte_mbuf}.
 *
 * <pre>
 *  0                 128               256                          256 + data room
 *  +-----------------+-----------------+----------------------------+
 *  | metadata        | headroom        | data room (2048 B default) |
 *  +-----------------+-----------------+----------------------------+
 *                    ^ buffer start: buf_addr / buf_iova; data begins at buffer + data_off
 *
 *  metadata, first cache line (everything RX writes and a forwarder reads):
 *   0 buf_addr    u64   process virtual address of the buffer
 *   8 buf_iova    u64   the address a device DMAs to
 *  16 refcnt      u32   atomic only when shared (> 1)
 *  20 data_off    u16   start of data inside the buffer
 *  22 nb_segs     u16   segments in the chain (first segment only)
 *  24 port        u16   input port id
 *  26 vlan_tci    u16   VLAN tag stripped by RX, or to insert on TX
 *  28 data_len    u16   bytes of data in this segment
 *  30 buf_len     u16   headroom + data room
 *  32 ol_flags    u64   offload flags ({@link OlFlags})
 *  40 packet_type u32   {@code io.havnet.dataplane.net.PacketType}
 *  44 pkt_len     u32   bytes in the whole chain (first segment only)
 *  48 rss_hash    u32   Toeplitz hash computed on RX
 *  52 next        i32   handle of the next segment, -1 at the end
 *  56 timestamp   u64   ns, stamped by the source (latency measurement)
 *  second cache line (TX offloads and application data):
 *  64 tx_offload  u64   l2_len:7 | l3_len:9 | l4_len:8 (bits 0..23)
 *  72 vlan_tci_outer u16  outer (802.1ad) tag
 *  74 reserved    u16
 *  76 sa_index    u32   security association for inline IPsec offload
 *  80 user_tag    u64   free for the application
 *  88..127        reserved
 * </pre>
 * Hot RX fields share the first line so a burst touches one line per mbuf, as in DPDK.
 */
public final class MbufDescriptor {
    public static final int BUF_ADDR = 0;
    public static final int BUF_IOVA = 8;
    public static final int REFCNT = 16;
    public static final int DATA_OFF = 20;
    public static final int NB_SEGS = 22;
    public static final int PORT = 24;
    public static final int VLAN_TCI = 26;
    public static final int DATA_LEN = 28;
    public static final int BUF_LEN = 30;
    public static final int OL_FLAGS = 32;
    public static final int PACKET_TYPE = 40;
    public static final int PKT_LEN = 44;
    public static final int RSS_HASH = 48;
    public static final int NEXT = 52;
    public static final int TIMESTAMP = 56;
    public static final int TX_OFFLOAD = 64;
    public static final int VLAN_TCI_OUTER = 72;
    public static final int SA_INDEX = 76;
    public static final int USER_TAG = 80;

    /** Bytes of metadata before the buffer. */
    public static final int METADATA_SIZE = 128;
    /** Default headroom ({@code RTE_PKTMBUF_HEADROOM}). */
    public static final int HEADROOM = 128;
    /** Default data room. */
    public static final int DEFAULT_DATA_ROOM = 2048;
    /** Largest buffer a 16-bit buf_len can describe. */
    public static final int MAX_BUF_LEN = 65535;

    private MbufDescriptor() {}
}
