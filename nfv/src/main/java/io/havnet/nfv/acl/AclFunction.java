package io.havnet.nfv.acl;

import io.havnet.dataplane.ethdev.EthDev;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.net.Net;
import io.havnet.dataplane.stats.CounterDef;
import io.havnet.nfv.NfAgent;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * An access list over IPv4 5-tuples: the rules, highest priority first, live in parallel
 * primitive arrays scanned in order; the first match decides, its hit counter counts. Denied
 * frames are dropped and counted in {@code denied}.
 */
public final class AclFunction extends NfAgent {
    static final List<CounterDef> OWN = List.of(
            new CounterDef("allowed", "frames", "frames a rule or the default allowed"),
            new CounterDef("denied", "frames", "frames a rule or the default denied, dropped"),
            new CounterDef("defaulted", "frames", "frames no rule matched (the default action applied)"),
            new CounterDef("not_ipv4", "frames", "frames that are not IPv4 (the default action applied)"),
            new CounterDef("malformed", "frames", "truncated IPv4 headers, dropped"));
    private static final int ALLOWED = FIRST;
    private static final int DENIED = FIRST + 1;
    private static final int DEFAULTED = FIRST + 2;
    private static final int NOT_IPV4 = FIRST + 3;
    private static final int MALFORMED = FIRST + 4;

    private final AclRules rules;
    private final int n;
    private final int[] src;
    private final int[] srcMask;
    private final int[] dst;
    private final int[] dstMask;
    private final int[] proto;
    private final int[] ports; // sportLo, sportHi, dportLo, dportHi per rule
    private final boolean[] allow;
    private final long[] hits;

    public AclFunction(EthDev rx, EthDev tx, int burst, AclRules rules) {
        super("acl", rx, 0, tx, 0, burst, OWN, List.of("denied", "malformed"));
        this.rules = rules;
        this.n = rules.rules().size();
        src = new int[n];
        srcMask = new int[n];
        dst = new int[n];
        dstMask = new int[n];
        proto = new int[n];
        ports = new int[4 * n];
        allow = new boolean[n];
        hits = new long[n];
        for (int i = 0; i < n; i++) {
            AclRules.Rule r = rules.rules().get(i);
            srcMask[i] = r.srcLen() == 0 ? 0 : -1 << (32 - r.srcLen());
            src[i] = r.src() & srcMask[i];
            dstMask[i] = r.dstLen() == 0 ? 0 : -1 << (32 - r.dstLen());
            dst[i] = r.dst() & dstMask[i];
            proto[i] = r.proto();
            ports[4 * i] = r.sportLo();
            ports[4 * i + 1] = r.sportHi();
            ports[4 * i + 2] = r.dportLo();
            ports[4 * i + 3] = r.dportHi();
            allow[i] = r.allow();
        }
    }

    /** Index of the first rule matching the 5-tuple, or -1. */
    public int classify(int s, int d, int p, int sp, int dp) {
        for (int i = 0; i < n; i++) {
            if ((s & srcMask[i]) == src[i] && (d & dstMask[i]) == dst[i] && (proto[i] < 0 || proto[i] == p)
                    && sp >= ports[4 * i] && sp <= ports[4 * i + 1] && dp >= ports[4 * i + 2] && dp <= ports[4 * i + 3]) {
                return i;
            }
        }
        return -1;
    }

    @Override
    protected int process(int m) {
        int len = Mbuf.dataLen(m);
        MemorySegment s = Mbuf.segment(m);
        long off = Mbuf.dataOffset(m);
        if (len < Net.ETHER_HDR_LEN || Short.toUnsignedInt(s.get(Net.BE16, off + 12)) != Net.ETHER_TYPE_IPV4) {
            if (len < Net.ETHER_HDR_LEN) {
                return MALFORMED;
            }
            counters.add(NOT_IPV4, 1);
            return byDefault();
        }
        long ip = off + 14;
        if (len < 34) {
            return MALFORMED;
        }
        int ihl = (s.get(Net.U8, ip) & 0xF) * 4;
        if (ihl < 20 || len < 14 + ihl) {
            return MALFORMED;
        }
        int p = s.get(Net.U8, ip + 9) & 0xFF;
        int sp = 0;
        int dp = 0;
        boolean first = (Short.toUnsignedInt(s.get(Net.BE16, ip + 6)) & 0x1FFF) == 0;
        if ((p == Net.IPPROTO_TCP || p == Net.IPPROTO_UDP) && first) {
            if (len < 14 + ihl + 4) {
                return MALFORMED;
            }
            int w = s.get(Net.BE32, ip + ihl);
            sp = w >>> 16;
            dp = w & 0xFFFF;
        }
        int r = classify(s.get(Net.BE32, ip + 12), s.get(Net.BE32, ip + 16), p, sp, dp);
        if (r < 0) {
            counters.add(DEFAULTED, 1);
            return byDefault();
        }
        hits[r]++;
        if (allow[r]) {
            counters.add(ALLOWED, 1);
            return FORWARD;
        }
        return DENIED;
    }

    private int byDefault() {
        if (rules.defaultAllow()) {
            counters.add(ALLOWED, 1);
            return FORWARD;
        }
        return DENIED;
    }

    /** Hits per rule, in {@link AclRules#rules()} order (highest priority first). */
    public long[] hits() {
        return hits.clone();
    }

    public AclRules rules() {
        return rules;
    }
}
