package io.havnet.nic.sriov;

import io.havnet.dataplane.net.MacAddress;

/**
 * One VF's administrative settings and counters, what {@code ip -s link show DEV} prints per VF.
 */
public record VfInfo(int vf, String pciAddress, long mac, int vlan, int qos, boolean spoofCheck, boolean trusted,
                     long maxTxRateMbps, LinkState linkState, boolean linkUp, String disabledReason,
                     long rxPackets, long rxBytes, long rxDropped, long rxBroadcast, long rxMulticast,
                     long txPackets, long txBytes, long txDropped, long txSpoofed, long mddEvents) {

    /** The VF line of {@code ip link show}. */
    public String ipLinkLine() {
        StringBuilder b = new StringBuilder();
        b.append("vf ").append(vf).append("     link/ether ").append(MacAddress.toString(mac))
                .append(" brd ff:ff:ff:ff:ff:ff");
        if (vlan > 0) {
            b.append(", vlan ").append(vlan);
            if (qos > 0) {
                b.append(", qos ").append(qos);
            }
        }
        b.append(", spoof checking ").append(spoofCheck ? "on" : "off");
        b.append(", link-state ").append(linkState.label());
        b.append(", trust ").append(trusted ? "on" : "off");
        if (maxTxRateMbps > 0) {
            b.append(", max_tx_rate ").append(maxTxRateMbps).append("Mbps");
        }
        if (disabledReason != null) {
            b.append(", DISABLED (").append(disabledReason).append(')');
        }
        return b.toString();
    }

    /** The statistics lines of {@code ip -s link show}. */
    public String statsLines() {
        return String.format("    RX: bytes  packets  mcast   bcast   dropped%n    %-6d %-8d %-7d %-7d %d%n"
                        + "    TX: bytes  packets   dropped  spoofed%n    %-6d %-9d %-8d %d",
                rxBytes, rxPackets, rxMulticast, rxBroadcast, rxDropped, txBytes, txPackets, txDropped, txSpoofed);
    }
}
