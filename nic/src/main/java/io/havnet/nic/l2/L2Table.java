package io.havnet.nic.l2;

import io.havnet.dataplane.net.MacAddress;

/**
 * One immutable snapshot of the receive filters: which pools a frame goes to, given its
 * destination MAC and VLAN. Built by {@link L2Filters} on every configuration change and
 * published with a volatile write, so the RX engine reads a consistent table without locks.
 *
 * <p>The rules (82599 datasheet §7.10.3 "Rx packet switching"):
 * <ul>
 *   <li>unicast: pools whose MAC filters hold the address, plus unicast-promiscuous pools; if
 *       none matched, the default pool (if any);</li>
 *   <li>broadcast: every pool that accepts broadcast (BAM);</li>
 *   <li>multicast: pools whose multicast table has the address's 12-bit hash, plus all-multicast
 *       pools;</li>
 *   <li>then the VLAN: a tagged frame only reaches pools that joined its VLAN (VLVF) or accept
 *       any VLAN; an untagged one only pools that accept untagged frames (AUPE);</li>
 *   <li>pools that are disabled (reset, link forced down, malicious driver) receive nothing.</li>
 * </ul>
 */
public final class L2Table {
    private final MacTable unicast;
    private final long[] vlanMasks;
    private final long[] mtaMasks;
    private final long untaggedMask;
    private final long broadcastMask;
    private final long allmultiMask;
    private final long promiscMask;
    private final long vlanPromiscMask;
    private final long enabledMask;
    private final int defaultPool;

    L2Table(MacTable unicast, long[] vlanMasks, long[] mtaMasks, long untaggedMask, long broadcastMask,
            long allmultiMask, long promiscMask, long vlanPromiscMask, long enabledMask, int defaultPool) {
        this.unicast = unicast;
        this.vlanMasks = vlanMasks;
        this.mtaMasks = mtaMasks;
        this.untaggedMask = untaggedMask;
        this.broadcastMask = broadcastMask;
        this.allmultiMask = allmultiMask;
        this.promiscMask = promiscMask;
        this.vlanPromiscMask = vlanPromiscMask;
        this.enabledMask = enabledMask;
        this.defaultPool = defaultPool;
    }

    /** The 82599 multicast table hash with MO = 00: bits 47:36 of the address (ixgbe's mta_vector). */
    public static int mtaHash(long mac) {
        int b4 = (int) (mac >>> 8) & 0xFF;
        int b5 = (int) mac & 0xFF;
        return (b4 >>> 4 | b5 << 4) & 0xFFF;
    }

    /**
     * Pools a frame is switched to, before the enabled check ({@link #enabled(long)}).
     *
     * @param vid the VLAN id of a tagged frame, or -1 for an untagged one
     */
    public long match(long dstMac, int vid) {
        long m;
        if (MacAddress.isBroadcast(dstMac)) {
            m = broadcastMask;
        } else if (MacAddress.isMulticast(dstMac)) {
            m = mtaMasks[mtaHash(dstMac)] | allmultiMask;
        } else {
            m = unicast.get(dstMac);
            if (m == 0 && defaultPool >= 0) {
                m = 1L << defaultPool;
            }
            m |= promiscMask;
        }
        long vlanOk = vid < 0 ? untaggedMask : vlanMasks[vid] | vlanPromiscMask;
        return m & vlanOk;
    }

    /**
     * Where the VEB sends a frame a local pool transmitted: unicast goes to pools whose filters
     * hold the destination exactly (never to the default or promiscuous pools — unknown unicast
     * leaves on the wire); broadcast and multicast follow the receive rules.
     */
    public long matchVeb(long dstMac, int vid) {
        long m;
        if (MacAddress.isBroadcast(dstMac)) {
            m = broadcastMask;
        } else if (MacAddress.isMulticast(dstMac)) {
            m = mtaMasks[mtaHash(dstMac)] | allmultiMask;
        } else {
            m = unicast.get(dstMac);
        }
        long vlanOk = vid < 0 ? untaggedMask : vlanMasks[vid] | vlanPromiscMask;
        return m & vlanOk;
    }

    /** The pools of {@code mask} that may receive now. */
    public long enabled(long mask) {
        return mask & enabledMask;
    }

    /** Pools whose unicast filters hold {@code mac} exactly (no default, no promiscuous), for the VEB. */
    public long exactUnicast(long mac) {
        return unicast.get(mac);
    }

    public int defaultPool() {
        return defaultPool;
    }
}
