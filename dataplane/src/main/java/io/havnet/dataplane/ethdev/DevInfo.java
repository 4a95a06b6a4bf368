package io.havnet.dataplane.ethdev;

/**
 * What a port can do ({@code rte_eth_dev_info}): driver, queue limits, offload capabilities,
 * largest frame, descriptor limits.
 *
 * @param driverName      e.g. "net_ring", "net_null", "net_pcap", "net_ixgbe_vf"
 * @param maxRxQueues     receive queues the port can have
 * @param maxTxQueues     transmit queues the port can have
 * @param rxOffloadCapa   {@link Offloads} RX bits supported
 * @param txOffloadCapa   {@link Offloads} TX bits supported
 * @param maxRxPktLen     largest frame the port receives, without FCS
 * @param minDesc         smallest queue size in descriptors
 * @param maxDesc         largest queue size in descriptors
 * @param flowTypeRssOffloads {@link io.havnet.dataplane.net.Rss} fields the port can hash
 *                        ({@code flow_type_rss_offloads}); 0 for a port without RSS
 */
public record DevInfo(String driverName, int maxRxQueues, int maxTxQueues, long rxOffloadCapa,
                      long txOffloadCapa, int maxRxPktLen, int minDesc, int maxDesc, int flowTypeRssOffloads) {
    public DevInfo {
        if (maxRxQueues < 0 || maxTxQueues < 0 || minDesc < 1 || maxDesc < minDesc) {
            throw new IllegalArgumentException("bad device limits for " + driverName);
        }
    }

    /** A port without RSS. */
    public DevInfo(String driverName, int maxRxQueues, int maxTxQueues, long rxOffloadCapa,
                   long txOffloadCapa, int maxRxPktLen, int minDesc, int maxDesc) {
        this(driverName, maxRxQueues, maxTxQueues, rxOffloadCapa, txOffloadCapa, maxRxPktLen, minDesc, maxDesc, 0);
    }
}
