package io.havnet.nic.l2;

import io.havnet.dataplane.net.MacAddress;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * The receive filter state the PF driver programs — MAC filters (RAR/MPSAR), VLAN filters
 * (VLVF/VLVFB), multicast tables, per-pool accept modes (VMOLR), the default pool — with the
 * 82599's limits: 128 MAC entries, 64 VLAN filter entries. Every change publishes a new
 * {@link L2Table} snapshot. Control path: synchronized, allocation allowed.
 */
public final class L2Filters {
    /** Receive address registers. */
    public static final int MAX_MAC_FILTERS = 128;
    /** VLAN pool filter entries. */
    public static final int MAX_VLAN_FILTERS = 64;

    private final int pools;
    private final List<long[]> macs = new ArrayList<>();       // {mac, poolMask}
    private final int[] vlvfVid = new int[MAX_VLAN_FILTERS];    // -1 = free
    private final long[] vlvfMask = new long[MAX_VLAN_FILTERS];
    private final BitSet[] mta;
    private long untagged;
    private long broadcast;
    private long allmulti;
    private long promisc;
    private long vlanPromisc;
    /** Pools whose multicast table is not consulted (VMOLR.ROMPE clear). */
    private long mtaOff;
    private long enabled;
    private int defaultPool = -1;
    private volatile L2Table table;

    public L2Filters(int pools) {
        if (pools < 1 || pools > 64) {
            throw new IllegalArgumentException("pools must be 1..64");
        }
        this.pools = pools;
        this.mta = new BitSet[pools];
        for (int i = 0; i < pools; i++) {
            mta[i] = new BitSet(4096);
        }
        java.util.Arrays.fill(vlvfVid, -1);
        publish();
    }

    /** The current snapshot (one volatile read). */
    public L2Table table() {
        return table;
    }

    private void checkPool(int pool) {
        if (pool < 0 || pool >= pools) {
            throw new IllegalArgumentException("pool " + pool + " does not exist (0.." + (pools - 1) + ")");
        }
    }

    /** Adds {@code mac} to {@code pool}'s unicast filters; IllegalStateException when all 128 are used. */
    public synchronized void addMac(int pool, long mac) {
        checkPool(pool);
        if (MacAddress.isMulticast(mac)) {
            throw new IllegalArgumentException("a unicast filter needs a unicast MAC, got " + MacAddress.toString(mac));
        }
        for (long[] e : macs) {
            if (e[0] == mac) {
                e[1] |= 1L << pool;
                publish();
                return;
            }
        }
        if (macs.size() == MAX_MAC_FILTERS) {
            throw new IllegalStateException("MAC filter table full: the 82599 has " + MAX_MAC_FILTERS
                    + " receive address registers");
        }
        macs.add(new long[] {mac, 1L << pool});
        publish();
    }

    /** Removes {@code mac} from {@code pool}'s filters (no-op if absent). */
    public synchronized void removeMac(int pool, long mac) {
        checkPool(pool);
        macs.removeIf(e -> e[0] == mac && (e[1] &= ~(1L << pool)) == 0);
        publish();
    }

    /** Removes every unicast filter of {@code pool}. */
    public synchronized void clearMacs(int pool) {
        checkPool(pool);
        macs.removeIf(e -> (e[1] &= ~(1L << pool)) == 0);
        publish();
    }

    /** Makes {@code pool} a member of VLAN {@code vid}; IllegalStateException when all 64 VLVF entries are used. */
    public synchronized void addVlan(int pool, int vid) {
        checkPool(pool);
        checkVid(vid);
        int free = -1;
        for (int i = 0; i < MAX_VLAN_FILTERS; i++) {
            if (vlvfVid[i] == vid) {
                vlvfMask[i] |= 1L << pool;
                publish();
                return;
            }
            if (vlvfVid[i] < 0 && free < 0) {
                free = i;
            }
        }
        if (free < 0) {
            throw new IllegalStateException("VLAN filter table full: the 82599 has " + MAX_VLAN_FILTERS
                    + " VLAN pool filters");
        }
        vlvfVid[free] = vid;
        vlvfMask[free] = 1L << pool;
        publish();
    }

    public synchronized void removeVlan(int pool, int vid) {
        checkPool(pool);
        for (int i = 0; i < MAX_VLAN_FILTERS; i++) {
            if (vlvfVid[i] == vid) {
                vlvfMask[i] &= ~(1L << pool);
                if (vlvfMask[i] == 0) {
                    vlvfVid[i] = -1;
                }
            }
        }
        publish();
    }

    /** Removes {@code pool} from every VLAN. */
    public synchronized void clearVlans(int pool) {
        checkPool(pool);
        for (int i = 0; i < MAX_VLAN_FILTERS; i++) {
            vlvfMask[i] &= ~(1L << pool);
            if (vlvfMask[i] == 0) {
                vlvfVid[i] = -1;
            }
        }
        publish();
    }

    /** VLAN ids {@code pool} belongs to. */
    public synchronized List<Integer> vlansOf(int pool) {
        List<Integer> l = new ArrayList<>();
        for (int i = 0; i < MAX_VLAN_FILTERS; i++) {
            if (vlvfVid[i] >= 0 && (vlvfMask[i] & 1L << pool) != 0) {
                l.add(vlvfVid[i]);
            }
        }
        return l;
    }

    public synchronized int vlanFiltersInUse() {
        int n = 0;
        for (int v : vlvfVid) {
            if (v >= 0) {
                n++;
            }
        }
        return n;
    }

    public synchronized int macFiltersInUse() {
        return macs.size();
    }

    /** Replaces {@code pool}'s multicast table with the hashes of {@code groups}. */
    public synchronized void setMulticast(int pool, long[] groups) {
        checkPool(pool);
        mta[pool].clear();
        for (long g : groups) {
            mta[pool].set(L2Table.mtaHash(g));
        }
        publish();
    }

    /** Replaces {@code pool}'s multicast table with raw 12-bit hash values (the mailbox carries those). */
    public synchronized void setMulticastHashes(int pool, int[] hashes) {
        checkPool(pool);
        mta[pool].clear();
        for (int h : hashes) {
            mta[pool].set(h & 0xFFF);
        }
        publish();
    }

    /** Per-pool accept modes (VMOLR): untagged, broadcast, all-multicast, unicast-promiscuous, any-VLAN. */
    public synchronized void setModes(int pool, boolean acceptUntagged, boolean acceptBroadcast, boolean allMulticast,
                                      boolean unicastPromiscuous, boolean anyVlan) {
        checkPool(pool);
        long bit = 1L << pool;
        untagged = acceptUntagged ? untagged | bit : untagged & ~bit;
        broadcast = acceptBroadcast ? broadcast | bit : broadcast & ~bit;
        allmulti = allMulticast ? allmulti | bit : allmulti & ~bit;
        promisc = unicastPromiscuous ? promisc | bit : promisc & ~bit;
        vlanPromisc = anyVlan ? vlanPromisc | bit : vlanPromisc & ~bit;
        publish();
    }

    /**
     * Whether {@code pool} receives the multicast addresses of its table (VMOLR.ROMPE; on unless
     * turned off). Off, a pool takes multicast only in all-multicast mode.
     */
    public synchronized void setMulticastTableEnabled(int pool, boolean on) {
        checkPool(pool);
        mtaOff = on ? mtaOff & ~(1L << pool) : mtaOff | 1L << pool;
        publish();
    }

    /** Lets {@code pool} receive, or stops it (reset, link forced down, disabled by MDD). */
    public synchronized void setEnabled(int pool, boolean on) {
        checkPool(pool);
        enabled = on ? enabled | 1L << pool : enabled & ~(1L << pool);
        publish();
    }

    public synchronized boolean isEnabled(int pool) {
        return (enabled & 1L << pool) != 0;
    }

    /** Unmatched unicast goes to {@code pool} (-1: dropped as no_pool). */
    public synchronized void setDefaultPool(int pool) {
        if (pool != -1) {
            checkPool(pool);
        }
        defaultPool = pool;
        publish();
    }

    private static void checkVid(int vid) {
        if (vid < 0 || vid > 4095) {
            throw new IllegalArgumentException("VLAN id " + vid + " out of range [0, 4095]");
        }
    }

    private void publish() {
        long[] m = new long[macs.size()];
        long[] p = new long[macs.size()];
        for (int i = 0; i < macs.size(); i++) {
            m[i] = macs.get(i)[0];
            p[i] = macs.get(i)[1];
        }
        long[] vlanMasks = new long[4096];
        for (int i = 0; i < MAX_VLAN_FILTERS; i++) {
            if (vlvfVid[i] >= 0) {
                vlanMasks[vlvfVid[i]] |= vlvfMask[i];
            }
        }
        long[] mtaMasks = new long[4096];
        for (int pool = 0; pool < pools; pool++) {
            if ((mtaOff & 1L << pool) != 0) {
                continue;
            }
            BitSet b = mta[pool];
            for (int h = b.nextSetBit(0); h >= 0; h = b.nextSetBit(h + 1)) {
                mtaMasks[h] |= 1L << pool;
            }
        }
        table = new L2Table(new MacTable(m, p, m.length), vlanMasks, mtaMasks, untagged, broadcast, allmulti, promisc,
                vlanPromisc, enabled, defaultPool);
    }
}
