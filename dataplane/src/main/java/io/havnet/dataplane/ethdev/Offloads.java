package io.havnet.dataplane.ethdev;

import java.util.ArrayList;
import java.util.List;

/** Port offload capabilities and settings, after DPDK's {@code RTE_ETH_RX/TX_OFFLOAD_*}. */
public final class Offloads {
    public static final long RX_VLAN_STRIP = 1L;
    public static final long RX_IPV4_CKSUM = 1L << 1;
    public static final long RX_UDP_CKSUM = 1L << 2;
    public static final long RX_TCP_CKSUM = 1L << 3;
    public static final long RX_QINQ_STRIP = 1L << 5;
    public static final long RX_VLAN_FILTER = 1L << 9;
    public static final long RX_SCATTER = 1L << 13;
    public static final long RX_TIMESTAMP = 1L << 14;
    public static final long RX_SECURITY = 1L << 15;
    public static final long RX_RSS_HASH = 1L << 19;

    public static final long TX_VLAN_INSERT = 1L;
    public static final long TX_IPV4_CKSUM = 1L << 1;
    public static final long TX_UDP_CKSUM = 1L << 2;
    public static final long TX_TCP_CKSUM = 1L << 3;
    public static final long TX_QINQ_INSERT = 1L << 8;
    public static final long TX_MULTI_SEGS = 1L << 15;
    public static final long TX_SECURITY = 1L << 17;

    private Offloads() {}

    /** Names of the RX offload bits set in {@code bits}. */
    public static List<String> rxNames(long bits) {
        List<String> n = new ArrayList<>();
        add(n, bits, RX_VLAN_STRIP, "vlan_strip");
        add(n, bits, RX_IPV4_CKSUM, "ipv4_cksum");
        add(n, bits, RX_UDP_CKSUM, "udp_cksum");
        add(n, bits, RX_TCP_CKSUM, "tcp_cksum");
        add(n, bits, RX_QINQ_STRIP, "qinq_strip");
        add(n, bits, RX_VLAN_FILTER, "vlan_filter");
        add(n, bits, RX_SCATTER, "scatter");
        add(n, bits, RX_TIMESTAMP, "timestamp");
        add(n, bits, RX_SECURITY, "security");
        add(n, bits, RX_RSS_HASH, "rss_hash");
        return n;
    }

    /** Names of the TX offload bits set in {@code bits}. */
    public static List<String> txNames(long bits) {
        List<String> n = new ArrayList<>();
        add(n, bits, TX_VLAN_INSERT, "vlan_insert");
        add(n, bits, TX_IPV4_CKSUM, "ipv4_cksum");
        add(n, bits, TX_UDP_CKSUM, "udp_cksum");
        add(n, bits, TX_TCP_CKSUM, "tcp_cksum");
        add(n, bits, TX_QINQ_INSERT, "qinq_insert");
        add(n, bits, TX_MULTI_SEGS, "multi_segs");
        add(n, bits, TX_SECURITY, "security");
        return n;
    }

    private static void add(List<String> n, long bits, long bit, String name) {
        if ((bits & bit) != 0) {
            n.add(name);
        }
    }
}
