package io.havnet.dataplane.mbuf;

/** Offload flags carried in {@code ol_flags}, named after DPDK's {@code RTE_MBUF_F_*}. */
public final class OlFlags {
    /** RX: the frame carried a VLAN tag; {@code vlan_tci} holds it. */
    public static final long RX_VLAN = 1L;
    /** RX: {@code rss_hash} is valid. */
    public static final long RX_RSS_HASH = 1L << 1;
    /** RX: the VLAN tag was removed from the data (stripped). */
    public static final long RX_VLAN_STRIPPED = 1L << 6;
    public static final long RX_IP_CKSUM_BAD = 1L << 4;
    public static final long RX_IP_CKSUM_GOOD = 1L << 7;
    public static final long RX_L4_CKSUM_BAD = 1L << 3;
    public static final long RX_L4_CKSUM_GOOD = 1L << 8;
    /** RX: the outer (QinQ) tag was stripped; {@code vlan_tci_outer} holds it. */
    public static final long RX_QINQ_STRIPPED = 1L << 15;
    /** RX: inline IPsec processed this packet. */
    public static final long RX_SEC_OFFLOAD = 1L << 18;
    /** RX: inline IPsec failed (authentication). */
    public static final long RX_SEC_OFFLOAD_FAILED = 1L << 19;
    /** RX: the frame was longer than the queue's buffers allowed and was truncated. */
    public static final long RX_TRUNCATED = 1L << 20;

    /** TX: insert {@code vlan_tci} as an 802.1Q tag. */
    public static final long TX_VLAN = 1L << 57;
    /** TX: compute the IPv4 header checksum. */
    public static final long TX_IP_CKSUM = 1L << 54;
    public static final long TX_IPV4 = 1L << 55;
    public static final long TX_IPV6 = 1L << 56;
    public static final long TX_UDP_CKSUM = 3L << 52;
    public static final long TX_TCP_CKSUM = 1L << 52;
    /** TX: inline IPsec encrypts this packet with SA {@code sa_index}. */
    public static final long TX_SEC_OFFLOAD = 1L << 43;
    /** TX: insert {@code vlan_tci_outer} as an 802.1ad tag (outer of a QinQ pair). */
    public static final long TX_QINQ = 1L << 49;

    private OlFlags() {}
}
