package io.havnet.nfv.vlan;

import io.havnet.dataplane.ethdev.EthDev;
import io.havnet.dataplane.ethdev.Offloads;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.mbuf.OlFlags;
import io.havnet.dataplane.net.Net;
import io.havnet.dataplane.net.VlanTags;
import io.havnet.dataplane.stats.CounterDef;
import io.havnet.nfv.NfAgent;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * VLAN marking (IEEE 802.1Q, 802.1ad): push a C-tag (0x8100) or S-tag (0x88a8, QinQ when the frame
 * already carries a C-tag), pop the outermost tag, translate one VID to another, or re-mark
 * PCP/DEI. When the TX port has VLAN insertion enabled, an untagged frame's C-tag is handed to
 * the NIC ({@code TX_VLAN} and the mbuf's TCI) instead of written; a tag the RX port stripped
 * ({@code RX_VLAN_STRIPPED}) is popped by clearing the mbuf's flags.
 */
public final class VlanFunction extends NfAgent {
    public enum Mode { PUSH, POP, TRANSLATE, MARK }

    static final List<CounterDef> OWN = List.of(
            new CounterDef("pushed", "frames", "tags written in software"),
            new CounterDef("offloaded", "frames", "tags handed to the NIC (TX VLAN insertion)"),
            new CounterDef("popped", "frames", "tags removed"),
            new CounterDef("translated", "frames", "VIDs rewritten"),
            new CounterDef("marked", "frames", "PCP/DEI rewritten"),
            new CounterDef("untagged", "frames", "frames without a tag, passed unchanged (pop, translate, mark)"),
            new CounterDef("unmatched", "frames", "tagged frames with another VID, passed unchanged (translate)"),
            new CounterDef("malformed", "frames", "frames too short for their Ethernet or VLAN header, dropped"),
            new CounterDef("no_headroom", "frames", "frames without 4 bytes of headroom for a tag, dropped"));

    private final Mode mode;
    private final int tpid;
    private final int vid;
    private final int pcp;
    private final int dei;
    private final int fromVid;
    private final boolean txOffload;
    private final int pushed = FIRST;
    private final int offloaded = FIRST + 1;
    private final int popped = FIRST + 2;
    private final int translated = FIRST + 3;
    private final int marked = FIRST + 4;
    private final int untagged = FIRST + 5;
    private final int unmatched = FIRST + 6;
    private final int malformed = FIRST + 7;
    private final int noHeadroom = FIRST + 8;

    private VlanFunction(Mode mode, EthDev rx, EthDev tx, int burst, int tpid, int vid, int pcp, int dei, int fromVid) {
        super("vlan-" + mode.name().toLowerCase(), rx, 0, tx, 0, burst, OWN, List.of("malformed", "no_headroom"));
        if (tpid != Net.ETHER_TYPE_VLAN && tpid != Net.ETHER_TYPE_QINQ) {
            throw new IllegalArgumentException("tpid must be 0x8100 or 0x88a8");
        }
        check("vid", vid, 0, 4094);
        check("pcp", pcp, 0, 7);
        check("dei", dei, 0, 1);
        check("from vid", fromVid, 0, 4094);
        this.mode = mode;
        this.tpid = tpid;
        this.vid = vid;
        this.pcp = pcp;
        this.dei = dei;
        this.fromVid = fromVid;
        this.txOffload = mode == Mode.PUSH && tpid == Net.ETHER_TYPE_VLAN
                && (tx.conf().txOffloads() & Offloads.TX_VLAN_INSERT) != 0;
    }

    private static void check(String what, int v, int min, int max) {
        if (v < min || v > max) {
            throw new IllegalArgumentException(what + " " + v + " is out of range [" + min + ", " + max + "]");
        }
    }

    /** Pushes a tag: {@code tpid} 0x8100 (C-tag) or 0x88a8 (S-tag). */
    public static VlanFunction push(EthDev rx, EthDev tx, int burst, int tpid, int vid, int pcp, int dei) {
        return new VlanFunction(Mode.PUSH, rx, tx, burst, tpid, vid, pcp, dei, 0);
    }

    /** Pops the outermost tag. */
    public static VlanFunction pop(EthDev rx, EthDev tx, int burst) {
        return new VlanFunction(Mode.POP, rx, tx, burst, Net.ETHER_TYPE_VLAN, 0, 0, 0, 0);
    }

    /** Rewrites VID {@code from} to {@code to} in the outermost tag. */
    public static VlanFunction translate(EthDev rx, EthDev tx, int burst, int from, int to) {
        return new VlanFunction(Mode.TRANSLATE, rx, tx, burst, Net.ETHER_TYPE_VLAN, to, 0, 0, from);
    }

    /** Rewrites PCP and DEI of the outermost tag. */
    public static VlanFunction mark(EthDev rx, EthDev tx, int burst, int pcp, int dei) {
        return new VlanFunction(Mode.MARK, rx, tx, burst, Net.ETHER_TYPE_VLAN, 0, pcp, dei, 0);
    }

    public Mode mode() {
        return mode;
    }

    @Override
    protected int process(int m) {
        int len = Mbuf.dataLen(m);
        if (len < Net.ETHER_HDR_LEN) {
            return malformed;
        }
        MemorySegment s = Mbuf.segment(m);
        long off = Mbuf.dataOffset(m);
        int type = Short.toUnsignedInt(s.get(Net.BE16, off + 12));
        boolean tagged = type == Net.ETHER_TYPE_VLAN || type == Net.ETHER_TYPE_QINQ;
        if (tagged && len < Net.ETHER_HDR_LEN + Net.VLAN_HDR_LEN) {
            return malformed;
        }
        int tci = dei << 12 | pcp << 13 | vid;
        switch (mode) {
            case PUSH -> {
                if (txOffload && !tagged && (Mbuf.olFlags(m) & OlFlags.TX_VLAN) == 0) {
                    Mbuf.setVlanTci(m, tci);
                    Mbuf.addOlFlags(m, OlFlags.TX_VLAN);
                    counters.add(offloaded, 1);
                    return FORWARD;
                }
                if (!VlanTags.insert(m, tpid, tci)) {
                    return noHeadroom;
                }
                counters.add(pushed, 1);
                return FORWARD;
            }
            case POP -> {
                long fl = Mbuf.olFlags(m);
                if ((fl & OlFlags.RX_VLAN_STRIPPED) != 0) {
                    Mbuf.setOlFlags(m, fl & ~(OlFlags.RX_VLAN_STRIPPED | OlFlags.RX_VLAN));
                    Mbuf.setVlanTci(m, 0);
                    counters.add(popped, 1);
                    return FORWARD;
                }
                if (!tagged) {
                    counters.add(untagged, 1);
                    return FORWARD;
                }
                VlanTags.strip(m);
                counters.add(popped, 1);
                return FORWARD;
            }
            case TRANSLATE -> {
                if (!tagged) {
                    counters.add(untagged, 1);
                    return FORWARD;
                }
                int old = Short.toUnsignedInt(s.get(Net.BE16, off + 14));
                if ((old & 0xFFF) != fromVid) {
                    counters.add(unmatched, 1);
                    return FORWARD;
                }
                s.set(Net.BE16, off + 14, (short) (old & 0xF000 | vid));
                counters.add(translated, 1);
                return FORWARD;
            }
            case MARK -> {
                if (!tagged) {
                    counters.add(untagged, 1);
                    return FORWARD;
                }
                int old = Short.toUnsignedInt(s.get(Net.BE16, off + 14));
                s.set(Net.BE16, off + 14, (short) (pcp << 13 | dei << 12 | old & 0xFFF));
                counters.add(marked, 1);
                return FORWARD;
            }
            default -> throw new IllegalStateException();
        }
    }
}
