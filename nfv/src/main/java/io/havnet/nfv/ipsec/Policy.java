package io.havnet.nfv.ipsec;

import io.havnet.dataplane.net.Net;

/**
 * A security policy (RFC 4301 SPD entry): selectors — source and destination prefix, protocol
 * (-1 any), port ranges — and what to do: protect with an SA, bypass, or discard. {@code out}
 * policies choose what the encapsulating side protects; {@code in} policies check what the
 * decapsulating side accepts.
 */
public record Policy(Dir dir, int src, int srcLen, int dst, int dstLen, int proto, int sportLo, int sportHi, int dportLo,
                     int dportHi, Action action, int spi) {
    public enum Dir { OUT, IN }

    public enum Action { PROTECT, BYPASS, DISCARD }

    static int mask(int len) {
        return len == 0 ? 0 : -1 << (32 - len);
    }

    public boolean matches(int s, int d, int p, int sp, int dp) {
        return (s & mask(srcLen)) == src && (d & mask(dstLen)) == dst && (proto < 0 || proto == p)
                && sp >= sportLo && sp <= sportHi && dp >= dportLo && dp <= dportHi;
    }

    /** True when some packet matches both (the selectors intersect). */
    public boolean overlaps(Policy o) {
        return dir == o.dir && prefixesOverlap(src, srcLen, o.src, o.srcLen) && prefixesOverlap(dst, dstLen, o.dst, o.dstLen)
                && (proto < 0 || o.proto < 0 || proto == o.proto)
                && sportLo <= o.sportHi && o.sportLo <= sportHi && dportLo <= o.dportHi && o.dportLo <= dportHi;
    }

    private static boolean prefixesOverlap(int a, int al, int b, int bl) {
        int m = mask(Math.min(al, bl));
        return (a & m) == (b & m);
    }

    @Override
    public String toString() {
        return dir.name().toLowerCase() + " " + Net.ipv4ToString(src) + "/" + srcLen + " -> " + Net.ipv4ToString(dst) + "/"
                + dstLen + (proto < 0 ? "" : " proto " + proto) + " " + action.name().toLowerCase()
                + (action == Action.PROTECT ? String.format(" spi 0x%x", spi) : "");
    }
}
