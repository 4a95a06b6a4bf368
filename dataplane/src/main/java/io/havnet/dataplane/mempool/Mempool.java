package io.havnet.dataplane.mempool;

import io.havnet.dataplane.Debug;
import io.havnet.dataplane.agent.LcoreId;
import io.havnet.dataplane.memory.MemoryRegion;
import io.havnet.dataplane.memory.OffHeap;
import io.havnet.dataplane.ring.MpmcRing;
import io.havnet.dataplane.ring.Ring;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A pool of fixed-size elements in a {@link MemoryRegion}, after DPDK's {@code rte_mempool}.
 * Elements are named by {@code int} handles: {@code pool id << 24 | index}, so any handle leads
 * back to its pool ({@link #ofHandle(int)}) without a Java object per element.
 *
 * <p>Free handles live in a common multi-producer/multi-consumer ring fronted by per-lcore
 * caches ({@link MempoolCache}); a thread without an lcore id uses the ring directly.
 * {@link #getBulk} gets all {@code n} or none, {@link #putBulk} always succeeds.
 *
 * <p>Debug mode ({@link Debug#CHECKS}) keeps a per-element state (catching double puts and puts
 * of foreign handles) and a trailer cookie after each element (catching overruns). A pool built
 * with {@link Builder#trackAllocations(boolean)} also remembers where each element was taken,
 * for {@link #leakReport()}.
 *
 * <p>Elements are reached by raw address ({@link #offset(int)} in {@link #segment()}, all of
 * memory, unchecked), as {@code rte_mempool} hands out pointers: the checks a segment of the
 * pool's own would make on every access cost a quarter of a frame's time on the NIC's and the
 * guests' paths. The pool therefore lives no longer than its region: closing the region closes
 * the pool first, so a handle of it no longer leads anywhere ({@link #ofHandle(int)} is null),
 * and a data path must stop using the pool before the region is closed.
 */
public final class Mempool implements AutoCloseable {
    public static final int INDEX_BITS = 24;
    public static final int INDEX_MASK = (1 << INDEX_BITS) - 1;
    /** Pool ids 0..254: id 255 would make handle -1 (the null handle) valid. */
    public static final int MAX_POOLS = 255;
    public static final int MAX_ELEMENTS = 1 << INDEX_BITS;
    public static final int MAX_CACHE_SIZE = 512;
    /** The null handle. */
    public static final int NO_HANDLE = -1;

    static final long TRAILER_COOKIE = 0x6861766E65742121L; // "havnet!!"
    private static final byte FREE = 0;
    private static final byte TAKEN = 1;

    private static final Mempool[] POOLS = new Mempool[256];

    private final int id;
    private final String name;
    private final MemoryRegion region;
    /** The pool's own memory, checked: for the debug trailer cookies. */
    private final MemorySegment memory;
    /** Raw address of element 0. */
    private final long base;
    private final long regionOffset;
    private final int eltSize;
    private final int objSize;
    private final int count;
    private final int cacheSize;
    private final MpmcRing common;
    private final MempoolCache[] caches = new MempoolCache[LcoreId.MAX];
    private final byte[] state;          // debug or tracking only
    private final String[] takenAt;      // tracking only
    private volatile boolean closed;

    private Mempool(Builder b, int id) {
        this.id = id;
        this.name = b.name;
        this.region = b.region;
        this.count = b.count;
        this.objSize = b.eltSize;
        int trailer = Debug.CHECKS ? 8 : 0;
        this.eltSize = (int) MemoryRegion.alignUp(b.eltSize + trailer, 64);
        this.cacheSize = b.cacheSize;
        long bytes = (long) eltSize * count;
        this.regionOffset = region.allocate(bytes, 64);
        this.memory = region.segment().asSlice(regionOffset, bytes);
        this.base = memory.address();
        int ringSize = Integer.highestOneBit(Math.max(1, count - 1)) << 1;
        this.common = new MpmcRing(name + ".common", Math.max(ringSize, 1));
        this.state = Debug.CHECKS || b.trackAllocations ? new byte[count] : null;
        this.takenAt = b.trackAllocations ? new String[count] : null;
        int[] all = new int[count];
        for (int i = 0; i < count; i++) {
            int h = (id << INDEX_BITS) | i;
            all[i] = h;
            if (Debug.CHECKS) {
                memory.set(ValueLayout.JAVA_LONG_UNALIGNED, (long) i * eltSize + objSize, TRAILER_COOKIE);
            }
            if (b.init != null) {
                b.init.init(this, h, offset(h));
            }
        }
        if (common.enqueueBulk(all, 0, count) != count) {
            throw new IllegalStateException("mempool " + name + ": common ring too small");
        }
    }

    public static Builder builder(String name, MemoryRegion region) {
        return new Builder(name, region);
    }

    /** The pool a handle belongs to (no checks: the fast-path lookup). */
    public static Mempool ofHandle(int handle) {
        return POOLS[handle >>> INDEX_BITS];
    }

    /** The pool with this id, or null. */
    public static Mempool byId(int id) {
        return id >= 0 && id < POOLS.length ? POOLS[id] : null;
    }

    public int id() {
        return id;
    }

    public String name() {
        return name;
    }

    public MemoryRegion region() {
        return region;
    }

    /**
     * The segment every element is reached through: all of memory ({@link OffHeap#ALL}), with the
     * element named by {@code handle} at {@link #offset(int)}. No bounds: an offset computed past
     * an element reaches whatever lies there.
     */
    public MemorySegment segment() {
        return OffHeap.ALL;
    }


    /** Offset of the pool's memory inside its region. */
    public long regionOffset() {
        return regionOffset;
    }

    /** Bytes between consecutive elements (object size + debug trailer, 64-byte aligned). */
    public int elementSize() {
        return eltSize;
    }

    /** Usable bytes per element, as asked at creation. */
    public int objectSize() {
        return objSize;
    }

    /** Elements in the pool. */
    public int size() {
        return count;
    }

    public int cacheSize() {
        return cacheSize;
    }

    /** Offset in {@link #segment()} of the element named by {@code handle}: its address. */
    public long offset(int handle) {
        return base + (long) (handle & INDEX_MASK) * eltSize;
    }

    /** True when {@code handle} names an element of this pool. */
    public boolean owns(int handle) {
        return handle >>> INDEX_BITS == id && (handle & INDEX_MASK) < count;
    }

    /** Gets exactly {@code n} handles into {@code dst[off..)}, or none: returns 0 or n. */
    public int getBulk(int[] dst, int off, int n) {
        return getBulk(cacheOf(LcoreId.current()), dst, off, n);
    }

    /** Returns {@code n} handles from {@code src[off..)} to the pool. */
    public void putBulk(int[] src, int off, int n) {
        putBulk(cacheOf(LcoreId.current()), src, off, n);
    }

    /** One handle, or {@link #NO_HANDLE} when the pool is empty. */
    public int get() {
        MempoolCache cache = cacheOf(LcoreId.current());
        int h;
        if (cache == null) {
            h = common.dequeue();
        } else {
            int len = cache.len;
            if (len == 0) {
                len = common.dequeueBurst(cache.objs, 0, cache.size);
            }
            if (len == 0) {
                return NO_HANDLE;
            }
            h = cache.objs[--len];
            cache.setLen(len);
        }
        if (h == Ring.EMPTY) {
            return NO_HANDLE;
        }
        if (state != null) {
            markTaken(h);
        }
        return h;
    }

    /** Returns one handle to the pool. */
    public void put(int handle) {
        if (state != null) {
            markFree(handle);
        }
        MempoolCache cache = cacheOf(LcoreId.current());
        if (cache == null) {
            common.enqueue(handle);
            return;
        }
        int len = cache.len;
        cache.objs[len++] = handle;
        if (len >= cache.flushThreshold) {
            common.enqueueBulk(cache.objs, cache.size, len - cache.size);
            len = cache.size;
        }
        cache.setLen(len);
    }

    /** The cache of lcore {@code lcoreId}, or null (no lcore, or a pool without caches). */
    public MempoolCache cacheOf(int lcoreId) {
        if (lcoreId < 0 || cacheSize == 0) {
            return null;
        }
        MempoolCache c = caches[lcoreId];
        if (c == null) {
            c = new MempoolCache(cacheSize);
            caches[lcoreId] = c;
        }
        return c;
    }

    /** {@code rte_mempool_generic_get}: through {@code cache} when not null. Returns 0 or n. */
    public int getBulk(MempoolCache cache, int[] dst, int off, int n) {
        if (n <= 0) {
            return 0;
        }
        if (cache == null || n > cache.size) {
            if (common.dequeueBulk(dst, off, n) != n) {
                return 0;
            }
        } else {
            int len = cache.len;
            if (len < n) {
                int req = n + (cache.size - len);
                if (common.dequeueBulk(cache.objs, len, req) == req) {
                    len += req;
                } else if (common.dequeueBulk(cache.objs, len, n - len) == n - len) {
                    len = n;
                } else {
                    return 0;
                }
            }
            len -= n;
            copy(cache.objs, len, dst, off, n);
            cache.setLen(len);
        }
        if (state != null) {
            markTaken(dst, off, n);
        }
        return n;
    }

    /** {@code rte_mempool_generic_put}: through {@code cache} when not null. */
    public void putBulk(MempoolCache cache, int[] src, int off, int n) {
        if (n <= 0) {
            return;
        }
        if (state != null) {
            markFree(src, off, n);
        }
        if (cache == null || n > cache.flushThreshold) {
            common.enqueueBulk(src, off, n);
            return;
        }
        int len = cache.len;
        copy(src, off, cache.objs, len, n);
        len += n;
        if (len >= cache.flushThreshold) {
            common.enqueueBulk(cache.objs, cache.size, len - cache.size);
            len = cache.size;
        }
        cache.setLen(len);
    }

    /** Small copies inline (an arraycopy call costs more than a few moves). */
    private static void copy(int[] src, int srcOff, int[] dst, int dstOff, int n) {
        if (n <= 8) {
            for (int i = 0; i < n; i++) {
                dst[dstOff + i] = src[srcOff + i];
            }
        } else {
            System.arraycopy(src, srcOff, dst, dstOff, n);
        }
    }

    private void markTaken(int[] dst, int off, int n) {
        for (int i = 0; i < n; i++) {
            markTaken(dst[off + i]);
        }
    }

    private void markTaken(int h) {
        int idx = h & INDEX_MASK;
        if (state[idx] != FREE) {
            throw new IllegalStateException("mempool " + name + ": handle " + hex(h)
                    + " handed out twice (corrupted free list)");
        }
        state[idx] = TAKEN;
        if (takenAt != null) {
            takenAt[idx] = callSite();
        }
    }

    private void markFree(int[] src, int off, int n) {
        for (int i = 0; i < n; i++) {
            markFree(src[off + i]);
        }
    }

    private void markFree(int h) {
        if (!owns(h)) {
            throw new IllegalArgumentException("mempool " + name + ": handle " + hex(h)
                    + " does not belong to this pool");
        }
        int idx = h & INDEX_MASK;
        if (state[idx] != TAKEN) {
            throw new IllegalStateException("mempool " + name + ": double free of handle " + hex(h));
        }
        if (Debug.CHECKS && memory.get(ValueLayout.JAVA_LONG_UNALIGNED, (long) idx * eltSize + objSize)
                != TRAILER_COOKIE) {
            throw new IllegalStateException("mempool " + name + ": element " + hex(h)
                    + " was written past its end (trailer cookie overwritten)");
        }
        state[idx] = FREE;
        if (takenAt != null) {
            takenAt[idx] = null;
        }
    }

    /** Frames skipped when naming where an element was taken: the allocation API itself. */
    private static final java.util.Set<String> ALLOCATION_API = java.util.Set.of(Mempool.class.getName(),
            "io.havnet.dataplane.mbuf.Mbuf", "io.havnet.dataplane.mbuf.MbufPool");

    private static String callSite() {
        return StackWalker.getInstance().walk(frames -> frames
                .filter(f -> !ALLOCATION_API.contains(f.getClassName()))
                .findFirst()
                .map(f -> f.getClassName() + "." + f.getMethodName() + "(" + f.getFileName() + ":"
                        + f.getLineNumber() + ")")
                .orElse("?"));
    }

    static String hex(int h) {
        return String.format("0x%08x", h);
    }

    /** Free elements: in the common ring plus in every cache (a snapshot while lcores run). */
    public int available() {
        int n = common.count();
        for (MempoolCache c : caches) {
            if (c != null) {
                n += c.length();
            }
        }
        return n;
    }

    /** Elements taken and not yet returned. */
    public int inUse() {
        return count - available();
    }

    /**
     * Elements in use, grouped by where they were taken ("Class.method(File:line)" → count).
     * Sites are known when the pool tracks allocations; otherwise they show as "untracked".
     * Without debug checks or tracking, only a total is known.
     */
    public Map<String, Integer> leakReport() {
        Map<String, Integer> bySite = new LinkedHashMap<>();
        if (state == null) {
            int n = inUse();
            if (n > 0) {
                bySite.put("untracked (enable -Dhavnet.debug=true or trackAllocations)", n);
            }
            return bySite;
        }
        for (int i = 0; i < count; i++) {
            if (state[i] == TAKEN) {
                String site = takenAt != null && takenAt[i] != null ? takenAt[i] : "untracked";
                bySite.merge(site, 1, Integer::sum);
            }
        }
        return bySite;
    }

    /** Handles currently taken (needs debug checks or tracking). */
    public List<Integer> takenHandles() {
        List<Integer> out = new ArrayList<>();
        if (state != null) {
            for (int i = 0; i < count; i++) {
                if (state[i] == TAKEN) {
                    out.add((id << INDEX_BITS) | i);
                }
            }
        }
        return out;
    }

    /**
     * Releases the pool id: its handles lead nowhere any more ({@link #ofHandle(int)} is null). The
     * memory stays in its region until the region is closed, which closes its pools first.
     */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            synchronized (POOLS) {
                if (POOLS[id] == this) {
                    POOLS[id] = null;
                }
            }
            region.untrack(this);
        }
    }

    @Override
    public String toString() {
        return "Mempool[" + name + ", id " + id + ", " + inUse() + "/" + count + " in use]";
    }

    /** Initializes element {@code handle} at {@code offset} of {@link #segment()} (its address), once, at creation. */
    @FunctionalInterface
    public interface ElementInit {
        void init(Mempool pool, int handle, long offset);
    }

    /** Pool parameters. */
    public static final class Builder {
        private final String name;
        private final MemoryRegion region;
        private int count = 8191;
        private int eltSize = 64;
        private int cacheSize = 256;
        private boolean trackAllocations;
        private ElementInit init;

        Builder(String name, MemoryRegion region) {
            this.name = name;
            this.region = region;
        }

        /** Number of elements (1 .. 2^24). */
        public Builder count(int n) {
            this.count = n;
            return this;
        }

        /** Usable bytes per element. */
        public Builder elementSize(int bytes) {
            this.eltSize = bytes;
            return this;
        }

        /** Per-lcore cache size (0 = no caches, max 512). */
        public Builder cacheSize(int n) {
            this.cacheSize = n;
            return this;
        }

        /** Remember where each element was taken (slow: a stack walk per get). */
        public Builder trackAllocations(boolean on) {
            this.trackAllocations = on;
            return this;
        }

        public Builder init(ElementInit init) {
            this.init = init;
            return this;
        }

        public Mempool build() {
            if (count < 1 || count > MAX_ELEMENTS) {
                throw new IllegalArgumentException("mempool " + name + ": count " + count
                        + " out of range [1, " + MAX_ELEMENTS + "]");
            }
            if (eltSize < 1) {
                throw new IllegalArgumentException("mempool " + name + ": element size must be positive");
            }
            if (cacheSize < 0 || cacheSize > MAX_CACHE_SIZE) {
                throw new IllegalArgumentException("mempool " + name + ": cache size " + cacheSize
                        + " out of range [0, " + MAX_CACHE_SIZE + "]");
            }
            // DPDK: a cache must not be able to hold most of the pool
            if ((long) cacheSize * 3 / 2 > count) {
                cacheSize = count * 2 / 3;
            }
            synchronized (POOLS) {
                for (int id = 0; id < MAX_POOLS; id++) {
                    if (POOLS[id] == null) {
                        Mempool p = new Mempool(this, id);
                        POOLS[id] = p;
                        region.track(p);
                        return p;
                    }
                }
            }
            throw new IllegalStateException("mempool " + name + ": all " + MAX_POOLS + " pool ids are in use");
        }
    }
}
