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
 * VXLAN encapsulation (RFC 7348): each Ethernet frame gets an outer Ethernet, IPv4 (DF set, TTL 64),
 * UDP (to 4789; checksum 0 as §5 allows over IPv4; source port from a hash of the inner flow, in
 * 49152-65535, so ECMP and RSS spread the flows) and VXLAN header (I flag, VNI). A frame tagged
 * with a VID that the VLAN map names loses its tag and goes into that VID's VNI; any other frame
 * goes into the default VNI.
 */
public final class VxlanEncap extends NfAgent {
    public static final int OUTER = Net.ETHER_HDR_LEN + Net.IPV4_MIN_HDR_LEN + Net.UDP_HDR_LEN + Net.VXLAN_HDR_LEN;

    static final List<CounterDef> OWN = List.of(
            new CounterDef("encapsulated", "frames", "frames wrapped in VXLAN"),
            new CounterDef("mapped", "frames", "frames whose VLAN tag chose the VNI (tag removed)"),
            new CounterDef("malformed", "frames", "frames shorter than an Ethernet header, dropped"),
            new CounterDef("no_headroom", "frames", "frames without 50 bytes of headroom, dropped"));

    private final int vni;
    private final int local;
    private final int remote;
    private final long localMac;
    private final long remoteMac;
    private final int[] vidToVni = new int[4096];
    private int ipId;

    /**
     * @param vlanToVni VID → VNI (may be empty)
     */
    public VxlanEncap(EthDev rx, EthDev tx, int burst, int vni, int local, int remote, long localMac, long remoteMac,
                      Map<Integer, Integer> vlanToVni) {
        super("vxlan-encap", rx, 0, tx, 0, burst, OWN, List.of("malformed", "no_headroom"));
        checkVni(vni);
        this.vni = vni;
        this.local = local;
        this.remote = remote;
        this.localMac = localMac;
        this.remoteMac = remoteMac;
        java.util.Arrays.fill(vidToVni, -1);
        vlanToVni.forEach((vid, n) -> {
            if (vid < 1 || vid > 4094) {
                throw new IllegalArgumentException("VLAN map: vid " + vid + " is out of range [1, 4094]");
            }
            checkVni(n);
            vidToVni[vid] = n;
        });
    }

    static void checkVni(int vni) {
        if (vni < 0 || vni > 0xFFFFFF) {
            throw new IllegalArgumentException("VNI " + vni + " is out of range [0, 16777215]");
        }
    }

    @Override
    protected int process(int m) {
        if (Mbuf.dataLen(m) < Net.ETHER_HDR_LEN) {
            return FIRST + 2;
        }
        MemorySegment s = Mbuf.segment(m);
        long off = Mbuf.dataOffset(m);
        int id = vni;
        int type = Short.toUnsignedInt(s.get(Net.BE16, off + 12));
        if (type == Net.ETHER_TYPE_VLAN && Mbuf.dataLen(m) >= 18) {
            int v = vidToVni[s.get(Net.BE16, off + 14) & 0xFFF];
            if (v >= 0) {
                VlanTags.strip(m);
                off = Mbuf.dataOffset(m);
                id = v;
                counters.add(FIRST + 1, 1);
            }
        }
        int hash = flowHash(s, off, Mbuf.dataLen(m));
        if (Mbuf.headroom(m) < OUTER) {
            return FIRST + 3;
        }
        int inner = Mbuf.pktLen(m);
        long o = Mbuf.prepend(m, OUTER);
        s.set(Net.BE64, o, remoteMac << 16 | localMac >>> 32);
        s.set(Net.BE32, o + 8, (int) localMac);
        s.set(Net.BE16, o + 12, (short) Net.ETHER_TYPE_IPV4);
        long ip = o + 14;
        s.set(Net.BE32, ip, 0x45000000 | (Net.IPV4_MIN_HDR_LEN + Net.UDP_HDR_LEN + Net.VXLAN_HDR_LEN + inner));
        s.set(Net.BE32, ip + 4, (ipId++ & 0xFFFF) << 16 | 0x4000);
        s.set(Net.BE32, ip + 8, 64 << 24 | Net.IPPROTO_UDP << 16);
        s.set(Net.BE32, ip + 12, local);
        s.set(Net.BE32, ip + 16, remote);
        s.set(Net.BE16, ip + 10, (short) Checksum.ipv4Header(s, ip, 20));
        long udp = ip + 20;
        s.set(Net.BE32, udp, (0xC000 | (hash & 0x3FFF)) << 16 | Net.VXLAN_PORT);
        s.set(Net.BE32, udp + 4, (Net.UDP_HDR_LEN + Net.VXLAN_HDR_LEN + inner) << 16);
        s.set(Net.BE32, udp + 8, 0x08000000);
        s.set(Net.BE32, udp + 12, id << 8);
        counters.add(FIRST, 1);
        return FORWARD;
    }

    /** A hash of the inner frame's addresses and, for IPv4, its 5-tuple. */
    static int flowHash(MemorySegment s, long off, int len) {
        long h = s.get(Net.BE64, off) * 0x9E3779B97F4A7C15L ^ s.get(Net.BE32, off + 8);
        int type = Short.toUnsignedInt(s.get(Net.BE16, off + 12));
        if (type == Net.ETHER_TYPE_IPV4 && len >= 34) {
            long ip = off + 14;
            int ihl = (s.get(Net.U8, ip) & 0xF) * 4;
            h = (h ^ s.get(Net.BE64, ip + 12)) * 0x9E3779B97F4A7C15L;
            int proto = s.get(Net.U8, ip + 9) & 0xFF;
            h ^= proto;
            if ((proto == Net.IPPROTO_UDP || proto == Net.IPPROTO_TCP) && len >= 14 + ihl + 4) {
                h = (h ^ s.get(Net.BE32, ip + ihl)) * 0x9E3779B97F4A7C15L;
            }
        }
        h ^= h >>> 29;
        return (int) (h ^ h >>> 32);
    }
}
