package io.havnet.nfv.l3;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * IPv4 longest-prefix match, DIR-24-8 as in DPDK's {@code rte_lpm}: a 2^24-entry table indexed by
 * the top 24 bits answers every prefix up to /24 in one read; longer prefixes hang 256-entry
 * groups off their /24 ("tbl8"), so a lookup is one or two reads. An entry is
 * {@code valid(1) | extended(1) | depth(6) | next hop or group (24)}.
 * Adding and deleting keep the rules, so deleting a prefix restores the next shorter one.
 * Lookups allocate nothing.
 */
public final class Lpm {
    public static final int MAX_NEXT_HOP = (1 << 24) - 1;
    private static final int VALID = 1 << 31;
    private static final int EXT = 1 << 30;
    private static final int DEPTH_SHIFT = 24;
    private static final int VALUE = 0xFFFFFF;

    private final int[] tbl24 = new int[1 << 24];
    private int[] tbl8 = new int[256 * 256];
    private final int maxGroups;
    private int groups;
    private int[] freeGroups = new int[16];
    private int freeCount;
    private final Map<Long, Integer> rules = new HashMap<>();

    /** @param maxGroups how many /25-/32 groups may exist (each 256 entries, 1 KiB) */
    public Lpm(int maxGroups) {
        if (maxGroups < 1 || maxGroups > 1 << 16) {
            throw new IllegalArgumentException("tbl8 groups must be in [1, 65536]");
        }
        this.maxGroups = maxGroups;
    }

    public Lpm() {
        this(4096);
    }

    private static long key(int prefix, int len) {
        return (prefix & 0xFFFFFFFFL) << 8 | len;
    }

    private static int mask(int len) {
        return len == 0 ? 0 : -1 << (32 - len);
    }

    /** Number of rules. */
    public int size() {
        return rules.size();
    }

    /** Adds (or replaces) {@code prefix/len → nextHop}. */
    public void add(int prefix, int len, int nextHop) {
        if (len < 0 || len > 32) {
            throw new IllegalArgumentException("prefix length " + len + " is out of range [0, 32]");
        }
        if (nextHop < 0 || nextHop > MAX_NEXT_HOP) {
            throw new IllegalArgumentException("next hop " + nextHop + " is out of range [0, " + MAX_NEXT_HOP + "]");
        }
        prefix &= mask(len);
        if (len > 24 && groupOf(prefix >>> 8) < 0 && groups == maxGroups && freeCount == 0) {
            throw new IllegalStateException("LPM: all " + maxGroups + " tbl8 groups are in use");
        }
        rules.put(key(prefix, len), nextHop);
        write(prefix, len, VALID | len << DEPTH_SHIFT | nextHop, len);
    }

    /** Deletes {@code prefix/len}; the next shorter covering rule takes its place. False if absent. */
    public boolean delete(int prefix, int len) {
        if (len < 0 || len > 32) {
            return false;
        }
        prefix &= mask(len);
        if (rules.remove(key(prefix, len)) == null) {
            return false;
        }
        int replacement = 0;
        for (int d = len - 1; d >= 0; d--) {
            Integer nh = rules.get(key(prefix & mask(d), d));
            if (nh != null) {
                replacement = VALID | d << DEPTH_SHIFT | nh;
                break;
            }
        }
        replace(prefix, len, replacement);
        return true;
    }

    /** The next hop for {@code addr}, or -1 when no rule covers it. */
    public int lookup(int addr) {
        int e = tbl24[addr >>> 8];
        if ((e & EXT) != 0) {
            e = tbl8[(e & VALUE) << 8 | addr & 0xFF];
        }
        return e < 0 ? e & VALUE : -1;
    }

    /** {@code out[i] = lookup(addrs[i])} for {@code i < n}. */
    public void lookupBulk(int[] addrs, int[] out, int n) {
        for (int i = 0; i < n; i++) {
            out[i] = lookup(addrs[i]);
        }
    }

    private int groupOf(int idx24) {
        int e = tbl24[idx24];
        return (e & EXT) != 0 ? e & VALUE : -1;
    }

    /** Sets every entry the prefix covers whose depth is not deeper than {@code len}. */
    private void write(int prefix, int len, int value, int depth) {
        if (len <= 24) {
            int first = prefix >>> 8;
            int count = 1 << (24 - len);
            for (int i = first; i < first + count; i++) {
                int e = tbl24[i];
                if ((e & EXT) != 0) {
                    int base = (e & VALUE) << 8;
                    for (int j = base; j < base + 256; j++) {
                        if (tbl8[j] >= 0 || depthOf(tbl8[j]) <= depth) {
                            tbl8[j] = value;
                        }
                    }
                } else if (e >= 0 || depthOf(e) <= depth) {
                    tbl24[i] = value;
                }
            }
            return;
        }
        int idx = prefix >>> 8;
        int g = groupOf(idx);
        if (g < 0) {
            g = allocGroup();
            int e = tbl24[idx];
            Arrays.fill(tbl8, g << 8, (g << 8) + 256, e < 0 ? e : 0);
            tbl24[idx] = VALID | EXT | g;
        }
        int base = g << 8 | prefix & 0xFF;
        int count = 1 << (32 - len);
        for (int j = base; j < base + count; j++) {
            if (tbl8[j] >= 0 || depthOf(tbl8[j]) <= depth) {
                tbl8[j] = value;
            }
        }
    }

    /** Entries the deleted rule owned (depth == len) become {@code replacement}. */
    private void replace(int prefix, int len, int replacement) {
        if (len <= 24) {
            int first = prefix >>> 8;
            int count = 1 << (24 - len);
            for (int i = first; i < first + count; i++) {
                int e = tbl24[i];
                if ((e & EXT) != 0) {
                    int base = (e & VALUE) << 8;
                    for (int j = base; j < base + 256; j++) {
                        if (tbl8[j] < 0 && depthOf(tbl8[j]) == len) {
                            tbl8[j] = replacement;
                        }
                    }
                    maybeCollapse(i);
                } else if (e < 0 && depthOf(e) == len) {
                    tbl24[i] = replacement;
                }
            }
            return;
        }
        int idx = prefix >>> 8;
        int g = groupOf(idx);
        int base = g << 8 | prefix & 0xFF;
        for (int j = base; j < base + (1 << (32 - len)); j++) {
            if (tbl8[j] < 0 && depthOf(tbl8[j]) == len) {
                tbl8[j] = replacement;
            }
        }
        maybeCollapse(idx);
    }

    /** A group whose entries are all one value of depth ≤ 24 (or all empty) folds back into tbl24. */
    private void maybeCollapse(int idx24) {
        int g = groupOf(idx24);
        int base = g << 8;
        int first = tbl8[base];
        if (first < 0 && depthOf(first) > 24) {
            return;
        }
        for (int j = base + 1; j < base + 256; j++) {
            if (tbl8[j] != first) {
                return;
            }
        }
        tbl24[idx24] = first;
        if (freeCount == freeGroups.length) {
            freeGroups = Arrays.copyOf(freeGroups, freeCount * 2);
        }
        freeGroups[freeCount++] = g;
    }

    private int allocGroup() {
        if (freeCount > 0) {
            return freeGroups[--freeCount];
        }
        if (groups == maxGroups) {
            throw new IllegalStateException("LPM: all " + maxGroups + " tbl8 groups are in use");
        }
        if ((groups + 1) * 256 > tbl8.length) {
            tbl8 = Arrays.copyOf(tbl8, Math.min(maxGroups * 256, tbl8.length * 2));
        }
        return groups++;
    }

    private static int depthOf(int e) {
        return e >>> DEPTH_SHIFT & 0x3F;
    }

    /** tbl8 groups in use. */
    public int groupsInUse() {
        return groups - freeCount;
    }
}
