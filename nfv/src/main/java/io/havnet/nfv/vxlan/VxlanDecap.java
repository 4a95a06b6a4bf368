package io.havnet.nfv.vxlan;

import io.havnet.dataplane.ethdev.EthDev;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.net.Checksum;
import io.havnet.dataplane.net.Net;
import io.havnet.dataplane.net.VlanTags;
import io.havnet.dataplane.stats.CounterDef;
import io.havnet.nfv.NfAgent;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;

/**
 * VXLAN decapsulation (RFC 7348): accepts IPv4/UDP to port 4789 with the I flag set, addressed to
 * the local VTEP (when one is given) and carrying an accepted VNI (any when none are given);
 * removes the outer headers and, when the VNI maps to a VID, tags the inner frame with it.
 * Everything else is dropped with its reason.
 */
public final class VxlanDecap extends NfAgent {
    static final List<CounterDef> OWN = List.of(
            new CounterDef("decapsulated", "frames", "inner frames delivered"),
            new CounterDef("mapped", "frames", "inner frames tagged with their VNI's VID"),
            new CounterDef("not_vxlan", "frames", "frames that are not IPv4/UDP to port 4789, dropped"),
            new CounterDef("malformed", "frames", "truncated or inconsistent outer headers, dropped"),
            new CounterDef("bad_checksum", "frames", "outer IPv4 header checksum wrong, dropped"),
            new CounterDef("bad_flags", "frames", "VXLAN header without the I flag, dropped"),
            new CounterDef("wrong_destination", "frames", "outer destination is not the local VTEP, dropped"),
            new CounterDef("unknown_vni", "frames", "VNI not accepted here, dropped"),
            new CounterDef("no_headroom", "frames", "no room to put back the VNI's VLAN tag, dropped"));
    private static final int DECAP = FIRST;
    private static final int MAPPED = FIRST + 1;
    private static final int NOT_VXLAN = FIRST + 2;
    private static final int MALFORMED = FIRST + 3;
    private static final int BAD_CHECKSUM = FIRST + 4;
    private static final int BAD_FLAGS = FIRST + 5;
    private static final int WRONG_DST = FIRST + 6;
    private static final int UNKNOWN_VNI = FIRST + 7;
    private static final int NO_HEADROOM = FIRST + 8;

    private final int local;
    private final java.util.BitSet vnis;
    private final Map<Integer, Integer> vniToVlan;
    private final int[] vniKeys;
    private final int[] vlanValues;

    /**
     * @param local     local VTEP address; 0 accepts any destination
     * @param vnis      accepted VNIs; empty accepts any
     * @param vniToVlan VNI → VID to tag the inner frame with
     */
    public VxlanDecap(EthDev rx, EthDev tx, int burst, int local, java.util.Set<Integer> vnis,
                      Map<Integer, Integer> vniToVlan) {
        super("vxlan-decap", rx, 0, tx, 0, burst, OWN,
                List.of("not_vxlan", "malformed", "bad_checksum", "bad_flags", "wrong_destination", "unknown_vni",
                        "no_headroom"));
        this.local = local;
        this.vnis = new java.util.BitSet();
        for (int v : vnis) {
            VxlanEncap.checkVni(v);
            this.vnis.set(v);
        }
        this.vniToVlan = Map.copyOf(vniToVlan);
        this.vniKeys = new int[vniToVlan.size()];
        this.vlanValues = new int[vniToVlan.size()];
        int i = 0;
        for (Map.Entry<Integer, Integer> e : this.vniToVlan.entrySet()) {
            VxlanEncap.checkVni(e.getKey());
            if (e.getValue() < 1 || e.getValue() > 4094) {
                throw new IllegalArgumentException("VLAN map: vid " + e.getValue() + " is out of range [1, 4094]");
            }
            vniKeys[i] = e.getKey();
            vlanValues[i++] = e.getValue();
        }
    }

    @Override
    protected int process(int m) {
        int len = Mbuf.dataLen(m);
        MemorySegment s = Mbuf.segment(m);
        long off = Mbuf.dataOffset(m);
        if (len < Net.ETHER_HDR_LEN + Net.IPV4_MIN_HDR_LEN) {
            return len < Net.ETHER_HDR_LEN ? MALFORMED : NOT_VXLAN;
        }
        if (Short.toUnsignedInt(s.get(Net.BE16, off + 12)) != Net.ETHER_TYPE_IPV4) {
            return NOT_VXLAN;
        }
        long ip = off + 14;
        int vihl = s.get(Net.U8, ip) & 0xFF;
        int ihl = (vihl & 0xF) * 4;
        if (vihl >>> 4 != 4 || ihl < 20 || len < 14 + ihl) {
            return MALFORMED;
        }
        if ((s.get(Net.U8, ip + 9) & 0xFF) != Net.IPPROTO_UDP) {
            return NOT_VXLAN;
        }
        int total = Short.toUnsignedInt(s.get(Net.BE16, ip + 2));
        if ((Short.toUnsignedInt(s.get(Net.BE16, ip + 6)) & 0x3FFF) != 0) {
            return NOT_VXLAN; // a fragment: not reassembled here
        }
        if (len < 14 + ihl + Net.UDP_HDR_LEN) {
            return MALFORMED;
        }
        long udp = ip + ihl;
        if (Short.toUnsignedInt(s.get(Net.BE16, udp + 2)) != Net.VXLAN_PORT) {
            return NOT_VXLAN;
        }
        int outer = 14 + ihl + Net.UDP_HDR_LEN + Net.VXLAN_HDR_LEN;
        int udpLen = Short.toUnsignedInt(s.get(Net.BE16, udp + 4));
        if (total < ihl + udpLen || 14 + total > len || udpLen < Net.UDP_HDR_LEN + Net.VXLAN_HDR_LEN + Net.ETHER_HDR_LEN) {
            return MALFORMED;
        }
        if (Checksum.ipv4Header(s, ip, ihl) != 0) {
            return BAD_CHECKSUM;
        }
        if (local != 0 && s.get(Net.BE32, ip + 16) != local) {
            return WRONG_DST;
        }
        long vx = udp + 8;
        if ((s.get(Net.BE32, vx) & 0x08000000) == 0) {
            return BAD_FLAGS;
        }
        int vni = s.get(Net.BE32, vx + 4) >>> 8;
        if (!vnis.isEmpty() && !vnis.get(vni)) {
            return UNKNOWN_VNI;
        }
        int innerLen = udpLen - Net.UDP_HDR_LEN - Net.VXLAN_HDR_LEN;
        Mbuf.adj(m, outer);
        int extra = Mbuf.pktLen(m) - innerLen;
        if (extra > 0) {
            Mbuf.trim(m, extra); // Ethernet padding after the outer packet
        }
        for (int i = 0; i < vniKeys.length; i++) {
            if (vniKeys[i] == vni) {
                if (!VlanTags.insert(m, Net.ETHER_TYPE_VLAN, vlanValues[i])) {
                    return NO_HEADROOM;
                }
                counters.add(MAPPED, 1);
                break;
            }
        }
        counters.add(DECAP, 1);
        return FORWARD;
    }
}
