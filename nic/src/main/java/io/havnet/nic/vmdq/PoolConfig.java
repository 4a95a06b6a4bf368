package io.havnet.nic.vmdq;

import io.havnet.nic.sriov.LinkState;

import java.util.Set;

/**
 * A pool's settings, immutable and swapped whole (the TX engine reads one volatile reference
 * per burst). For a VF pool these are the PF's admin settings (as {@code ip link set ... vf N})
 * merged with what the VF asked through the mailbox.
 *
 * @param mac            the pool's primary MAC (0 = none yet)
 * @param adminMac       true when the MAC was set by the administrator (the VF may not change it unless trusted)
 * @param vlans          VLANs the pool joined (through the mailbox), anti-spoof checks TX tags against them
 * @param portVlanTci    administrator's port VLAN + QoS as a TCI, -1 for none: inserted on TX, stripped on RX
 * @param spoofCheck     drop TX frames whose source MAC (or VLAN) is not the pool's
 * @param trusted        the VF may change its MAC and use promiscuous modes
 * @param maxTxRateMbps  transmit rate limit, 0 = none
 * @param linkState      administrative link state
 * @param maxFrame       largest frame the pool accepts on RX (LPE), FCS excluded
 * @param vlanStrip      strip VLAN tags on RX into the descriptor
 */
public record PoolConfig(long mac, boolean adminMac, Set<Integer> vlans, int portVlanTci, boolean spoofCheck,
                         boolean trusted, long maxTxRateMbps, LinkState linkState, int maxFrame, boolean vlanStrip) {
    public static final int DEFAULT_MAX_FRAME = 1518;
    /** 82599 maximum frame size (9.5 KiB jumbo). */
    public static final int MAX_FRAME_LIMIT = 9728;

    public static PoolConfig defaults() {
        return new PoolConfig(0, false, Set.of(), -1, true, false, 0, LinkState.AUTO, DEFAULT_MAX_FRAME, false);
    }

    public PoolConfig withMac(long m, boolean admin) {
        return new PoolConfig(m, admin, vlans, portVlanTci, spoofCheck, trusted, maxTxRateMbps, linkState, maxFrame, vlanStrip);
    }

    public PoolConfig withVlans(Set<Integer> v) {
        return new PoolConfig(mac, adminMac, Set.copyOf(v), portVlanTci, spoofCheck, trusted, maxTxRateMbps, linkState,
                maxFrame, vlanStrip);
    }

    public PoolConfig withPortVlan(int tci) {
        return new PoolConfig(mac, adminMac, vlans, tci, spoofCheck, trusted, maxTxRateMbps, linkState, maxFrame, vlanStrip);
    }

    public PoolConfig withSpoofCheck(boolean on) {
        return new PoolConfig(mac, adminMac, vlans, portVlanTci, on, trusted, maxTxRateMbps, linkState, maxFrame, vlanStrip);
    }

    public PoolConfig withTrust(boolean on) {
        return new PoolConfig(mac, adminMac, vlans, portVlanTci, spoofCheck, on, maxTxRateMbps, linkState, maxFrame, vlanStrip);
    }

    public PoolConfig withMaxTxRate(long mbps) {
        return new PoolConfig(mac, adminMac, vlans, portVlanTci, spoofCheck, trusted, mbps, linkState, maxFrame, vlanStrip);
    }

    public PoolConfig withLinkState(LinkState s) {
        return new PoolConfig(mac, adminMac, vlans, portVlanTci, spoofCheck, trusted, maxTxRateMbps, s, maxFrame, vlanStrip);
    }

    public PoolConfig withMaxFrame(int f) {
        return new PoolConfig(mac, adminMac, vlans, portVlanTci, spoofCheck, trusted, maxTxRateMbps, linkState, f, vlanStrip);
    }

    public PoolConfig withVlanStrip(boolean on) {
        return new PoolConfig(mac, adminMac, vlans, portVlanTci, spoofCheck, trusted, maxTxRateMbps, linkState, maxFrame, on);
    }

    public boolean hasPortVlan() {
        return portVlanTci >= 0;
    }
}
