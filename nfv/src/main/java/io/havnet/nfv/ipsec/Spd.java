package io.havnet.nfv.ipsec;

import java.util.List;

/**
 * The security policy database of one direction: policies in parallel primitive arrays, matched
 * in order (the configuration guarantees they do not overlap, so at most one matches).
 */
public final class Spd {
    private final int n;
    private final int[] src;
    private final int[] srcMask;
    private final int[] dst;
    private final int[] dstMask;
    private final int[] proto;
    private final int[] ports;
    private final Policy.Action[] actions;
    private final int[] spis;
    private final Policy[] policies;

    public Spd(List<Policy> all, Policy.Dir dir) {
        List<Policy> l = all.stream().filter(p -> p.dir() == dir).toList();
        n = l.size();
        src = new int[n];
        srcMask = new int[n];
        dst = new int[n];
        dstMask = new int[n];
        proto = new int[n];
        ports = new int[4 * n];
        actions = new Policy.Action[n];
        spis = new int[n];
        policies = l.toArray(new Policy[0]);
        for (int i = 0; i < n; i++) {
            Policy p = l.get(i);
            srcMask[i] = Policy.mask(p.srcLen());
            src[i] = p.src() & srcMask[i];
            dstMask[i] = Policy.mask(p.dstLen());
            dst[i] = p.dst() & dstMask[i];
            proto[i] = p.proto();
            ports[4 * i] = p.sportLo();
            ports[4 * i + 1] = p.sportHi();
            ports[4 * i + 2] = p.dportLo();
            ports[4 * i + 3] = p.dportHi();
            actions[i] = p.action();
            spis[i] = p.spi();
        }
    }

    public int size() {
        return n;
    }

    /** Index of the policy matching the selectors, or -1. */
    public int match(int s, int d, int p, int sp, int dp) {
        for (int i = 0; i < n; i++) {
            if ((s & srcMask[i]) == src[i] && (d & dstMask[i]) == dst[i] && (proto[i] < 0 || proto[i] == p)
                    && sp >= ports[4 * i] && sp <= ports[4 * i + 1] && dp >= ports[4 * i + 2] && dp <= ports[4 * i + 3]) {
                return i;
            }
        }
        return -1;
    }

    public Policy.Action action(int i) {
        return actions[i];
    }

    public int spi(int i) {
        return spis[i];
    }

    public Policy policy(int i) {
        return policies[i];
    }
}
