package io.havnet.dataplane.mbuf;

import io.havnet.dataplane.Debug;
import io.havnet.dataplane.mempool.Mempool;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

import static io.havnet.dataplane.mbuf.MbufDescriptor.*;

/**
 * Flyweight access to mbufs by handle: every method takes the {@code int} handle of an mbuf
 * (see {@link Mempool}) and reads or writes its metadata in place, so the fast path never holds
 * a Java object per packet. Layout: {@link MbufDescriptor}.
 *
 * <p>Data of a segment lives in {@link #segment(int)} at {@link #dataOffset(int)}, for
 * {@link #dataLen(int)} bytes; the chain's total is {@link #pktLen(int)}.
 * Operations follow {@code rte_pktmbuf_*}: {@link #prepend}, {@link #append}, {@link #adj},
 * {@link #trim} return -1 (DPDK's NULL) when the room is not there and change nothing.
 */
public final class Mbuf {
    /** The null handle. */
    public static final int NONE = -1;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final boolean LITTLE_ENDIAN = java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.LITTLE_ENDIAN;
    private static final VarHandle REFCNT_VH = ValueLayout.JAVA_INT.varHandle();

    private Mbuf() {}

    // ---------------------------------------------------------------- location

    /** The memory of the pool that holds {@code m}. */
    public static MemorySegment segment(int m) {
        return pool(m).segment();
    }

    /** The pool {@code m} came from. */
    public static Mempool pool(int m) {
        Mempool p = Mempool.ofHandle(m);
        if (Debug.CHECKS && (p == null || !p.owns(m))) {
            throw new IllegalArgumentException(String.format("invalid mbuf handle 0x%08x", m));
        }
        return p;
    }

    /** Offset of {@code m}'s metadata in {@link #segment(int)}. */
    public static long base(int m) {
        return pool(m).offset(m);
    }

    /** Offset in {@link #segment(int)} of the first data byte of this segment. */
    public static long dataOffset(int m) {
        Mempool p = pool(m);
        long b = p.offset(m);
        return b + METADATA_SIZE + Short.toUnsignedInt(p.segment().get(SHORT, b + DATA_OFF));
    }

    /**
     * Loads the metadata line and the first data line of {@code n} mbufs from {@code a[off..)}
     * before a burst is processed (what {@code rte_prefetch0} does in DPDK's receive loops). The
     * loads of one loop do not depend on one another, so the core has all of them in flight at
     * once: a burst whose mbufs another core wrote pays about one cache-line transfer instead of
     * two per frame, one after the other. Returns a value made of the loaded words, for the caller
     * to keep (so the loads are not optimised away).
     */
    public static int prefetch(int[] a, int off, int n) {
        int end = off + n;
        int sum = 0;
        for (int i = off; i < end; i++) {
            int m = a[i];
            Mempool p = Mempool.ofHandle(m);
            sum += p.segment().get(SHORT, p.offset(m) + DATA_OFF);
        }
        return sum + firstDataBytes(a, off, n);
    }

    /** The sum of the first data byte of each of {@code n} mbufs from {@code a[off..)}. */
    private static int firstDataBytes(int[] a, int off, int n) {
        int sum = 0;
        for (int i = off; i < off + n; i++) {
            Mempool p = Mempool.ofHandle(a[i]); // one lookup: these are the loads that miss
            MemorySegment seg = p.segment();
            long b = p.offset(a[i]);
            sum += seg.get(ValueLayout.JAVA_BYTE, b + METADATA_SIZE + Short.toUnsignedInt(seg.get(SHORT, b + DATA_OFF)));
        }
        return sum;
    }

    /**
     * {@link #prefetch(int[], int, int)} for a burst whose metadata lines are loaded already
     * (a PMD's receive read them): the data addresses first, then the loads alone in a tight
     * loop, so the misses on the data overlap. {@code scratch} holds at least {@code n} offsets.
     * Returns the sum of the first data bytes (the loads must be used to stay).
     */
    public static int prefetch(int[] a, int off, int n, long[] scratch) {
        if (n == 0) {
            return 0;
        }
        Mempool p = Mempool.ofHandle(a[off]);
        MemorySegment seg = p.segment();
        for (int i = 0; i < n; i++) {
            int m = a[off + i];
            if (Mempool.ofHandle(m) != p) { // mbufs of several pools: one at a time
                return firstDataBytes(a, off, n);
            }
            long b = p.offset(m);
            scratch[i] = b + METADATA_SIZE + Short.toUnsignedInt(seg.get(SHORT, b + DATA_OFF));
        }
        int sum = 0;
        for (int i = 0; i < n; i++) {
            sum += seg.get(ValueLayout.JAVA_BYTE, scratch[i]);
        }
        return sum;
    }

    // ---------------------------------------------------------------- metadata

    public static long bufAddr(int m) {
        return segment(m).get(LONG, base(m) + BUF_ADDR);
    }

    public static long bufIova(int m) {
        return segment(m).get(LONG, base(m) + BUF_IOVA);
    }

    /** IOVA of the first data byte: what a device reads (TX) or writes (RX). */
    public static long dataIova(int m) {
        Mempool p = pool(m);
        long b = p.offset(m);
        MemorySegment s = p.segment();
        return s.get(LONG, b + BUF_IOVA) + Short.toUnsignedInt(s.get(SHORT, b + DATA_OFF));
    }

    public static int refcnt(int m) {
        return segment(m).get(INT, base(m) + REFCNT);
    }

    public static int dataOff(int m) {
        return u16(m, DATA_OFF);
    }

    public static void setDataOff(int m, int v) {
        put16(m, DATA_OFF, v);
    }

    public static int nbSegs(int m) {
        return u16(m, NB_SEGS);
    }

    public static int port(int m) {
        return u16(m, PORT);
    }

    public static void setPort(int m, int port) {
        put16(m, PORT, port);
    }

    public static int vlanTci(int m) {
        return u16(m, VLAN_TCI);
    }

    public static void setVlanTci(int m, int tci) {
        put16(m, VLAN_TCI, tci);
    }

    public static int vlanTciOuter(int m) {
        return u16(m, VLAN_TCI_OUTER);
    }

    public static void setVlanTciOuter(int m, int tci) {
        put16(m, VLAN_TCI_OUTER, tci);
    }

    public static int dataLen(int m) {
        return u16(m, DATA_LEN);
    }

    public static void setDataLen(int m, int len) {
        put16(m, DATA_LEN, len);
    }

    public static int bufLen(int m) {
        return u16(m, BUF_LEN);
    }

    public static long olFlags(int m) {
        return segment(m).get(LONG, base(m) + OL_FLAGS);
    }

    public static void setOlFlags(int m, long flags) {
        segment(m).set(LONG, base(m) + OL_FLAGS, flags);
    }

    public static void addOlFlags(int m, long flags) {
        Mempool p = pool(m);
        long a = p.offset(m) + OL_FLAGS;
        p.segment().set(LONG, a, p.segment().get(LONG, a) | flags);
    }

    public static int packetType(int m) {
        return segment(m).get(INT, base(m) + PACKET_TYPE);
    }

    public static void setPacketType(int m, int ptype) {
        segment(m).set(INT, base(m) + PACKET_TYPE, ptype);
    }

    public static int pktLen(int m) {
        Mempool p = pool(m);
        return p.segment().get(INT, p.offset(m) + PKT_LEN);
    }

    public static void setPktLen(int m, int len) {
        segment(m).set(INT, base(m) + PKT_LEN, len);
    }

    public static int rssHash(int m) {
        return segment(m).get(INT, base(m) + RSS_HASH);
    }

    public static void setRssHash(int m, int hash) {
        segment(m).set(INT, base(m) + RSS_HASH, hash);
    }

    public static int next(int m) {
        return segment(m).get(INT, base(m) + NEXT);
    }

    public static long timestamp(int m) {
        return segment(m).get(LONG, base(m) + TIMESTAMP);
    }

    public static void setTimestamp(int m, long ns) {
        segment(m).set(LONG, base(m) + TIMESTAMP, ns);
    }

    public static long txOffload(int m) {
        return segment(m).get(LONG, base(m) + TX_OFFLOAD);
    }

    /** Header lengths for TX offloads (checksums, VLAN insertion, IPsec). */
    public static void setTxOffload(int m, int l2Len, int l3Len, int l4Len) {
        long v = (l2Len & 0x7FL) | (long) (l3Len & 0x1FF) << 7 | (long) (l4Len & 0xFF) << 16;
        segment(m).set(LONG, base(m) + TX_OFFLOAD, v);
    }

    public static int l2Len(int m) {
        return (int) (txOffload(m) & 0x7F);
    }

    public static int l3Len(int m) {
        return (int) (txOffload(m) >>> 7 & 0x1FF);
    }

    public static int l4Len(int m) {
        return (int) (txOffload(m) >>> 16 & 0xFF);
    }

    public static int saIndex(int m) {
        return segment(m).get(INT, base(m) + SA_INDEX);
    }

    public static void setSaIndex(int m, int sa) {
        segment(m).set(INT, base(m) + SA_INDEX, sa);
    }

    public static long userTag(int m) {
        return segment(m).get(LONG, base(m) + USER_TAG);
    }

    public static void setUserTag(int m, long tag) {
        segment(m).set(LONG, base(m) + USER_TAG, tag);
    }

    /** Bytes free before the data of this segment. */
    public static int headroom(int m) {
        return dataOff(m);
    }

    /** Bytes free after the data of this segment. */
    public static int tailroom(int m) {
        Mempool p = pool(m);
        MemorySegment s = p.segment();
        long b = p.offset(m);
        return Short.toUnsignedInt(s.get(SHORT, b + BUF_LEN)) - Short.toUnsignedInt(s.get(SHORT, b + DATA_OFF))
                - Short.toUnsignedInt(s.get(SHORT, b + DATA_LEN));
    }

    /** The last segment of the chain that starts at {@code m}. */
    public static int lastSegment(int m) {
        int s = m;
        int n;
        while ((n = next(s)) != NONE) {
            s = n;
        }
        return s;
    }

    // ---------------------------------------------------------------- life cycle

    /**
     * Resets the metadata of a freshly taken mbuf ({@code rte_pktmbuf_reset}): one empty
     * segment, default headroom, no flags, port 0xffff.
     */
    public static void reset(int m) {
        Mempool p = pool(m);
        MemorySegment s = p.segment();
        long b = p.offset(m);
        int bufLen = Short.toUnsignedInt(s.get(SHORT, b + BUF_LEN));
        if (!LITTLE_ENDIAN) {
            resetFieldByField(s, b, bufLen);
            return;
        }
        // what a PMD's rearm does: the fields in whole 8-byte words, buf_len written back as it was
        // (small enough to be inlined where every frame allocates)
        s.set(LONG, b + REFCNT, 1L | (long) Math.min(HEADROOM, bufLen) << 32 | 1L << 48);
        s.set(LONG, b + PORT, 0xFFFFL | (long) bufLen << 48);
        s.set(LONG, b + OL_FLAGS, 0L);
        s.set(LONG, b + PACKET_TYPE, 0L);
        s.set(LONG, b + RSS_HASH, (long) NONE << 32);
        s.set(LONG, b + TIMESTAMP, 0L);
        s.set(LONG, b + TX_OFFLOAD, 0L);
        s.set(LONG, b + VLAN_TCI_OUTER, 0L);
        s.set(LONG, b + USER_TAG, 0L);
    }

    /** {@link #reset} one field at a time, where the 8-byte words would put them elsewhere. */
    private static void resetFieldByField(MemorySegment s, long b, int bufLen) {
        s.set(INT, b + REFCNT, 1);
        s.set(SHORT, b + DATA_OFF, (short) Math.min(HEADROOM, bufLen));
        s.set(SHORT, b + NB_SEGS, (short) 1);
        s.set(SHORT, b + PORT, (short) 0xFFFF);
        s.set(SHORT, b + VLAN_TCI, (short) 0);
        s.set(SHORT, b + DATA_LEN, (short) 0);
        s.set(LONG, b + OL_FLAGS, 0L);
        s.set(INT, b + PACKET_TYPE, 0);
        s.set(INT, b + PKT_LEN, 0);
        s.set(INT, b + RSS_HASH, 0);
        s.set(INT, b + NEXT, NONE);
        s.set(LONG, b + TIMESTAMP, 0L);
        s.set(LONG, b + TX_OFFLOAD, 0L);
        s.set(SHORT, b + VLAN_TCI_OUTER, (short) 0);
        s.set(INT, b + SA_INDEX, 0);
        s.set(LONG, b + USER_TAG, 0L);
    }

    /** One reset mbuf from {@code pool}, or {@link #NONE} when the pool is empty. */
    public static int alloc(Mempool pool) {
        int m = pool.get();
        if (m != Mempool.NO_HANDLE) {
            reset(m);
        }
        return m;
    }

    /** {@code n} reset mbufs into {@code dst[off..)}, or none: returns 0 or n. */
    public static int allocBulk(Mempool pool, int[] dst, int off, int n) {
        if (pool.getBulk(dst, off, n) != n) {
            return 0;
        }
        for (int i = 0; i < n; i++) {
            reset(dst[off + i]);
        }
        return n;
    }

    /** Adds {@code delta} to the reference count (for sharing one mbuf between holders). */
    public static void refcntUpdate(int m, int delta) {
        Mempool p = pool(m);
        int unused = (int) REFCNT_VH.getAndAdd(p.segment(), p.offset(m) + REFCNT, delta);
    }

    /**
     * Frees a whole chain; each segment goes back to the pool when its last holder frees it.
     * A chain never leaves its head's pool ({@link #chain} keeps it so): a next-segment field
     * that names another pool's element, or none at all, means the metadata was overwritten — by
     * a device writing where a guest told it to, say — and the walk stops there with an
     * exception instead of handing another pool an element it did not lend; so does a chain longer
     * than its pool, which can only be a loop.
     */
    public static void free(int m) {
        int s = m;
        int segs = 0;
        while (s != NONE) {
            Mempool p = pool(s);
            MemorySegment seg = p.segment();
            long b = p.offset(s);
            int nxt = seg.get(INT, b + NEXT);
            if (release(seg, b)) {
                p.put(s);
            }
            if (nxt != NONE && (!p.owns(nxt) || ++segs >= p.size())) {
                throw new IllegalStateException(String.format(p.owns(nxt)
                        ? "mbuf 0x%08x of %s chains to 0x%08x and on past the pool's size: a loop, its metadata was overwritten"
                        : "mbuf 0x%08x of %s chains to 0x%08x, not an mbuf of its pool: its metadata was overwritten", s,
                        p.name(), nxt));
            }
            s = nxt;
        }
    }

    /**
     * Frees {@code n} mbufs from {@code a[off..)}. Runs of single-segment, unshared mbufs of one
     * pool go back with one bulk put; the array is not modified.
     */
    public static void freeBulk(int[] a, int off, int n) {
        int runStart = off;
        int end = off + n;
        Mempool runPool = null;
        for (int i = off; i < end; i++) {
            int m = a[i];
            Mempool p = pool(m);
            MemorySegment seg = p.segment();
            long b = p.offset(m);
            boolean simple = seg.get(INT, b + NEXT) == NONE && seg.get(INT, b + REFCNT) == 1;
            if (simple && p == runPool) {
                continue;
            }
            if (runPool != null) {
                runPool.putBulk(a, runStart, i - runStart);
            }
            if (simple) {
                runPool = p;
                runStart = i;
            } else {
                runPool = null;
                free(m);
            }
        }
        if (runPool != null) {
            runPool.putBulk(a, runStart, end - runStart);
        }
    }

    /** Drops one reference; true when this was the last one (refcnt is reset to 1 for reuse). */
    private static boolean release(MemorySegment seg, long b) {
        int rc = seg.get(INT, b + REFCNT);
        if (rc == 1) {
            return true;
        }
        if (Debug.CHECKS && rc < 1) {
            throw new IllegalStateException("mbuf freed with refcnt " + rc);
        }
        int after = (int) REFCNT_VH.getAndAdd(seg, b + REFCNT, -1) - 1;
        if (after == 0) {
            seg.set(INT, b + REFCNT, 1);
            return true;
        }
        return false;
    }

    // ---------------------------------------------------------------- data operations

    /**
     * Makes room for {@code len} bytes before the data ({@code rte_pktmbuf_prepend}).
     *
     * @return the offset in {@link #segment(int)} of the new first byte, or -1 without headroom
     */
    public static long prepend(int m, int len) {
        Mempool p = pool(m);
        MemorySegment s = p.segment();
        long b = p.offset(m);
        int off = Short.toUnsignedInt(s.get(SHORT, b + DATA_OFF));
        if (len < 0 || len > off) {
            return -1;
        }
        off -= len;
        s.set(SHORT, b + DATA_OFF, (short) off);
        s.set(SHORT, b + DATA_LEN, (short) (Short.toUnsignedInt(s.get(SHORT, b + DATA_LEN)) + len));
        s.set(INT, b + PKT_LEN, s.get(INT, b + PKT_LEN) + len);
        return b + METADATA_SIZE + off;
    }

    /**
     * Adds {@code len} bytes at the end of the last segment ({@code rte_pktmbuf_append}).
     *
     * @return the offset, in the last segment's pool segment, of the added bytes, or -1 without
     *         tailroom
     */
    public static long append(int m, int len) {
        int last = lastSegment(m);
        Mempool p = pool(last);
        MemorySegment s = p.segment();
        long b = p.offset(last);
        int off = Short.toUnsignedInt(s.get(SHORT, b + DATA_OFF));
        int dl = Short.toUnsignedInt(s.get(SHORT, b + DATA_LEN));
        if (len < 0 || off + dl + len > Short.toUnsignedInt(s.get(SHORT, b + BUF_LEN))) {
            return -1;
        }
        s.set(SHORT, b + DATA_LEN, (short) (dl + len));
        setPktLen(m, pktLen(m) + len);
        return b + METADATA_SIZE + off + dl;
    }

    /** Removes {@code len} bytes from the start of the first segment; 0, or -1 if too long. */
    public static int adj(int m, int len) {
        Mempool p = pool(m);
        MemorySegment s = p.segment();
        long b = p.offset(m);
        int dl = Short.toUnsignedInt(s.get(SHORT, b + DATA_LEN));
        if (len < 0 || len > dl) {
            return -1;
        }
        s.set(SHORT, b + DATA_OFF, (short) (Short.toUnsignedInt(s.get(SHORT, b + DATA_OFF)) + len));
        s.set(SHORT, b + DATA_LEN, (short) (dl - len));
        s.set(INT, b + PKT_LEN, s.get(INT, b + PKT_LEN) - len);
        return 0;
    }

    /** Removes {@code len} bytes from the end of the last segment; 0, or -1 if too long. */
    public static int trim(int m, int len) {
        int last = lastSegment(m);
        int dl = dataLen(last);
        if (len < 0 || len > dl) {
            return -1;
        }
        setDataLen(last, dl - len);
        setPktLen(m, pktLen(m) - len);
        return 0;
    }

    /**
     * Appends chain {@code tail} to chain {@code head} ({@code rte_pktmbuf_chain}); both from one
     * pool (unlike DPDK, havnet's chains never span pools, which lets {@link #free} refuse a
     * chain whose metadata was overwritten).
     *
     * @return 0, or -1 when the result would exceed 65535 segments (nothing changes)
     */
    public static int chain(int head, int tail) {
        if (head >>> Mempool.INDEX_BITS != tail >>> Mempool.INDEX_BITS) {
            throw new IllegalArgumentException(String.format(
                    "mbufs 0x%08x and 0x%08x come from different pools: a chain stays in its head's pool", head, tail));
        }
        int segs = nbSegs(head) + nbSegs(tail);
        if (segs > 0xFFFF) {
            return -1;
        }
        int last = lastSegment(head);
        segment(last).set(INT, base(last) + NEXT, tail);
        put16(head, NB_SEGS, segs);
        setPktLen(head, pktLen(head) + pktLen(tail));
        // the tail's own chain fields no longer describe a packet
        put16(tail, NB_SEGS, 1);
        return 0;
    }

    /** Copies {@code len} bytes of the chain from packet offset {@code off} into {@code dst}. */
    public static void read(int m, int off, byte[] dst, int dstOff, int len) {
        if (off < 0 || len < 0 || off + len > pktLen(m)) {
            throw new IndexOutOfBoundsException("read [" + off + ", +" + len + ") of a " + pktLen(m) + "-byte packet");
        }
        int s = m;
        int pos = off;
        while (len > 0) {
            int dl = dataLen(s);
            if (pos >= dl) {
                pos -= dl;
                s = next(s);
                continue;
            }
            int k = Math.min(len, dl - pos);
            MemorySegment.copy(segment(s), ValueLayout.JAVA_BYTE, dataOffset(s) + pos, dst, dstOff, k);
            dstOff += k;
            len -= k;
            pos = 0;
            s = next(s);
        }
    }

    /** The whole packet as a new array (control and test paths). */
    public static byte[] toBytes(int m) {
        byte[] b = new byte[pktLen(m)];
        read(m, 0, b, 0, b.length);
        return b;
    }

    /**
     * A packet holding {@code frame}, chained over as many mbufs of {@code pool} as it needs.
     *
     * @return the handle, or {@link #NONE} if the pool ran out (nothing is leaked)
     */
    public static int fromBytes(Mempool pool, byte[] frame) {
        int head = chain(pool, frame.length);
        int copied = 0;
        for (int seg = head; seg != NONE; seg = next(seg)) {
            int k = dataLen(seg);
            MemorySegment.copy(frame, copied, segment(seg), ValueLayout.JAVA_BYTE, dataOffset(seg), k);
            copied += k;
        }
        return head;
    }

    /** A packet holding {@code len} bytes of {@code src} at {@code off}; {@link #NONE} if out of mbufs. */
    public static int fromBytes(Mempool pool, MemorySegment src, long off, int len) {
        int head = chain(pool, len);
        long copied = 0;
        for (int seg = head; seg != NONE; seg = next(seg)) {
            int k = dataLen(seg);
            MemorySegment.copy(src, off + copied, segment(seg), dataOffset(seg), k);
            copied += k;
        }
        return head;
    }

    /** A chain of fresh mbufs of {@code pool} whose data lengths add up to {@code len}; {@link #NONE} if out of mbufs. */
    private static int chain(Mempool pool, int len) {
        int head = alloc(pool);
        if (head == NONE) {
            return NONE;
        }
        int seg = head;
        int segs = 1;
        int placed = 0;
        while (true) {
            int k = Math.min(tailroom(seg), len - placed);
            setDataLen(seg, k);
            placed += k;
            if (placed == len) {
                break;
            }
            int nxt = alloc(pool);
            if (nxt == NONE) {
                put16(head, NB_SEGS, segs);
                free(head);
                return NONE;
            }
            segment(seg).set(INT, base(seg) + NEXT, nxt);
            seg = nxt;
            segs++;
        }
        put16(head, NB_SEGS, segs);
        setPktLen(head, len);
        return head;
    }

    /**
     * A deep copy of chain {@code m} into one or more mbufs of {@code pool}, with the metadata a
     * receiver relies on (port, flags, packet type, VLAN, hash, timestamp).
     *
     * @return the copy, or {@link #NONE} if the pool ran out
     */
    public static int copy(int m, Mempool pool) {
        int len = pktLen(m);
        int c;
        if (nbSegs(m) == 1) {
            c = fromBytes(pool, segment(m), dataOffset(m), len);
        } else {
            c = fromBytes(pool, toBytes(m));
        }
        if (c == NONE) {
            return NONE;
        }
        setPort(c, port(m));
        setOlFlags(c, olFlags(m));
        setPacketType(c, packetType(m));
        setVlanTci(c, vlanTci(m));
        setVlanTciOuter(c, vlanTciOuter(m));
        setRssHash(c, rssHash(m));
        setTimestamp(c, timestamp(m));
        segment(c).set(LONG, base(c) + TX_OFFLOAD, txOffload(m));
        setUserTag(c, userTag(m));
        return c;
    }

    /**
     * Checks a chain's invariants ({@code rte_mbuf_check}): segment count, lengths within
     * buffers, pkt_len = Σ data_len. Returns null when sane, else the first problem.
     */
    public static String check(int m) {
        Mempool p = Mempool.ofHandle(m);
        if (p == null || !p.owns(m)) {
            return String.format("invalid handle 0x%08x", m);
        }
        int segs = 0;
        long sum = 0;
        int s = m;
        while (s != NONE) {
            Mempool sp = Mempool.ofHandle(s);
            if (sp == null || !sp.owns(s)) {
                return String.format("segment %d: invalid handle 0x%08x", segs, s);
            }
            if (dataOff(s) + dataLen(s) > bufLen(s)) {
                return "segment " + segs + ": data_off + data_len exceeds buf_len";
            }
            if (refcnt(s) < 1) {
                return "segment " + segs + ": refcnt " + refcnt(s);
            }
            sum += dataLen(s);
            segs++;
            if (segs > 0xFFFF) {
                return "chain loops or exceeds 65535 segments";
            }
            s = next(s);
        }
        if (segs != nbSegs(m)) {
            return "nb_segs " + nbSegs(m) + " but chain has " + segs;
        }
        if (sum != pktLen(m)) {
            return "pkt_len " + pktLen(m) + " but segments hold " + sum;
        }
        return null;
    }

    private static int u16(int m, int field) {
        Mempool p = pool(m);
        return Short.toUnsignedInt(p.segment().get(SHORT, p.offset(m) + field));
    }

    private static void put16(int m, int field, int v) {
        Mempool p = pool(m);
        p.segment().set(SHORT, p.offset(m) + field, (short) v);
    }
}
