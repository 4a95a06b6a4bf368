package io.havnet.dataplane.ethdev;

/**
 * Port configuration ({@code rte_eth_conf}): offloads asked for, MTU, RSS fields.
 *
 * @param rxOffloads {@link Offloads} RX bits to enable (must be within the capabilities)
 * @param txOffloads {@link Offloads} TX bits to enable
 * @param mtu        largest L3 payload; frames up to mtu + 18 (+4 per VLAN tag) are accepted
 * @param rssHf      {@link io.havnet.dataplane.net.Rss} fields hashed to spread flows over RX queues
 *                   ({@code rss_hf}); 0: RSS off — no hash reported, every frame on RX queue 0
 */
public record EthConf(long rxOffloads, long txOffloads, int mtu, int rssHf) {
    public static final int DEFAULT_MTU = 1500;

    public static EthConf defaults() {
        return new EthConf(0, 0, DEFAULT_MTU, 0);
    }

    public EthConf withRxOffloads(long bits) {
        return new EthConf(bits, txOffloads, mtu, rssHf);
    }

    public EthConf withTxOffloads(long bits) {
        return new EthConf(rxOffloads, bits, mtu, rssHf);
    }

    public EthConf withMtu(int m) {
        return new EthConf(rxOffloads, txOffloads, m, rssHf);
    }

    public EthConf withRss(int hf) {
        return new EthConf(rxOffloads, txOffloads, mtu, hf);
    }
}
