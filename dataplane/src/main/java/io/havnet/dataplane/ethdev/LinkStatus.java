package io.havnet.dataplane.ethdev;

/**
 * A port's link ({@code rte_eth_link}), plus the reason when it is down because something
 * failed (a truncated capture, a vanished interface).
 */
public record LinkStatus(boolean up, int speedMbps, boolean fullDuplex, String downReason) {
    /** {@code speedMbps} of a link whose speed the driver cannot know ({@code RTE_ETH_SPEED_NUM_UNKNOWN}). */
    public static final int SPEED_UNKNOWN = -1;

    public static LinkStatus up(int speedMbps) {
        return new LinkStatus(true, speedMbps, true, null);
    }

    /** A link that is down: no speed, half duplex (a zeroed {@code rte_eth_link}), and why when something failed. */
    public static LinkStatus down(String reason) {
        return new LinkStatus(false, 0, false, reason);
    }

    @Override
    public String toString() {
        return up ? "up " + (speedMbps == SPEED_UNKNOWN ? "unknown speed" : speedMbps + " Mbps") + " " + (fullDuplex ? "full-duplex" : "half-duplex")
                : "down" + (downReason == null ? "" : " (" + downReason + ")");
    }
}
