package io.havnet.dataplane.ring;

import io.havnet.dataplane.memory.OffHeap;
import io.havnet.dataplane.os.CacheLineDemote;
import io.havnet.dataplane.os.Notices;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.Reference;
import java.util.Objects;

/**
 * A fixed-capacity FIFO of {@code int} handles; see the package documentation for the memory
 * ordering argument. Capacity is a power of two and every slot is usable.
 *
 * <ul>
 *   <li>{@code enqueueBulk}/{@code dequeueBulk} move all {@code n} handles or none: they return
 *       0 or {@code n}.</li>
 *   <li>{@code enqueueBurst}/{@code dequeueBurst} move as many as possible: they return how many
 *       (0..{@code n}).</li>
 * </ul>
 * The concurrency contract is in the class name; calling a single-producer ring from two
 * producer threads at once corrupts it.
 */
public abstract sealed class Ring extends RingPad2 permits SpscRing, MpscRing, SpmcRing, MpmcRing,
        DemotingRings.Spsc, DemotingRings.Spmc, DemotingRings.Mpsc, DemotingRings.Mpmc {
    /** Largest capacity: keeps 32-bit counter differences exact. */
    public static final int MAX_CAPACITY = 1 << 30;
    /** What {@link #dequeue()} returns when the ring is empty. */
    public static final int EMPTY = -1;
    /**
     * Flag for {@link #create(String, int, boolean, boolean, int)}: the consumer runs on another
     * core. Every enqueue demotes the slot lines it fills to the cache all cores share (CLDEMOTE,
     * {@link CacheLineDemote}), so the consumer's reads find them there instead of snooping them
     * out of the producer's core — as DPDK's {@code rte_cldemote} serves producers that hand data
     * to another core. Costs the producer a native call per enqueue that fills a line (~4 ns);
     * pays where the consumer is the slower side. Inert (and said once) where the CPU has no
     * CLDEMOTE; wrong for a ring whose consumer runs on the producer's core, which would then
     * read its own lines from the shared cache.
     */
    public static final int F_DEMOTE = 1;
    /** Handles in one 64-byte slot line. */
    static final int LINE_SLOTS = 16;

    static final VarHandle PROD_HEAD;
    static final VarHandle PROD_TAIL;
    static final VarHandle CONS_HEAD;
    static final VarHandle CONS_TAIL;
    static final VarHandle CONS_TAIL_CACHE;
    static final VarHandle PROD_TAIL_CACHE;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            PROD_HEAD = l.findVarHandle(RingProducerFields.class, "prodHead", int.class);
            PROD_TAIL = l.findVarHandle(RingProducerFields.class, "prodTail", int.class);
            CONS_HEAD = l.findVarHandle(RingConsumerFields.class, "consHead", int.class);
            CONS_TAIL = l.findVarHandle(RingConsumerFields.class, "consTail", int.class);
            CONS_TAIL_CACHE = l.findVarHandle(RingProducerFields.class, "consTailCache", int.class);
            PROD_TAIL_CACHE = l.findVarHandle(RingConsumerFields.class, "prodTailCache", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * Every slot access goes through this one segment over all memory at the slots' raw address:
     * a constant segment, so the JIT folds its bounds and liveness checks (an index is masked
     * into the ring, it cannot leave it).
     */
    static final MemorySegment ALL = OffHeap.ALL;
    static final ValueLayout.OfInt SLOT = ValueLayout.JAVA_INT_UNALIGNED;
    /** The cache line: slot 0's alignment, and the free margin before and after the slots. */
    static final int LINE = 64;

    final String name;
    /**
     * The slots, off the heap, slot 0 on a 64-byte line (as DPDK aligns {@code rte_ring} memory
     * to {@code RTE_CACHE_LINE_SIZE}), a free line before and after. A heap array lies wherever
     * the heap puts it, 8-byte aligned: a burst of 32 handles then spans three lines, not two,
     * and the line two bursts share crosses between the cores twice. Freed by the GC with the
     * ring ({@link #mem} is reachable while {@code this} is).
     */
    final MemorySegment mem;
    /** Raw address of slot 0. */
    final long base;
    final int mask;
    final int capacity;
    /** {@link #F_DEMOTE} in effect: true only in the demoting rings ({@link DemotingRings}). */
    final boolean demote;

    Ring(String name, int capacity, boolean demote) {
        checkCapacity(name, capacity);
        this.name = name;
        this.capacity = capacity;
        this.mask = capacity - 1;
        this.mem = Arena.ofAuto().allocate(4L * capacity + 2 * LINE, LINE);
        this.base = mem.address() + LINE;
        this.demote = demote;
    }

    static void checkCapacity(String name, int capacity) {
        if (capacity < 1 || capacity > MAX_CAPACITY || Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("ring " + name + ": size " + capacity
                    + " is not a power of two in [1, 2^30]");
        }
    }

    /** The ring with the given contract. */
    public static Ring create(String name, int capacity, boolean singleProducer, boolean singleConsumer) {
        return create(name, capacity, singleProducer, singleConsumer, 0);
    }

    /**
     * The ring with the given contract and flags ({@link #F_DEMOTE}), as {@code rte_ring_create}.
     * A ring asked to demote is one of the {@link DemotingRings}: the plain ring's protocol in
     * classes of their own, so the JIT compiles the demote into their enqueues and nothing of it
     * into the plain rings'. Where the CPU has no CLDEMOTE (said once), or the ring is smaller
     * than a line, the plain ring.
     */
    public static Ring create(String name, int capacity, boolean singleProducer, boolean singleConsumer, int flags) {
        if ((flags & ~F_DEMOTE) != 0) {
            throw new IllegalArgumentException("ring " + name + ": unknown flags 0x" + Integer.toHexString(flags));
        }
        if ((flags & F_DEMOTE) != 0) {
            if (!CacheLineDemote.active()) {
                Notices.once("ring-demote", "rings asked to demote their filled lines do not: " + CacheLineDemote.why());
            } else if (capacity >= LINE_SLOTS) {
                return DemotingRings.create(name, capacity, singleProducer, singleConsumer);
            }
        }
        if (singleProducer) {
            return singleConsumer ? new SpscRing(name, capacity) : new SpmcRing(name, capacity);
        }
        return singleConsumer ? new MpscRing(name, capacity) : new MpmcRing(name, capacity);
    }

    public final String name() {
        return name;
    }

    public final int capacity() {
        return capacity;
    }

    /** True when enqueues demote the lines they fill ({@link #F_DEMOTE} asked, and the CPU has CLDEMOTE). */
    public final boolean demotes() {
        return demote;
    }

    /*
     * The four array calls below take a range [off, off+n) that must lie within the array, as
     * rte_ring's obj_table has room for n. Multi-producer and multi-consumer sides check the whole
     * range before they reserve slots; single sides check the slots they move. Either way a range
     * outside the array throws IndexOutOfBoundsException and leaves the ring as it was.
     */

    /** Enqueues all {@code n} handles of {@code src[off..off+n)} or none; returns 0 or n. */
    public abstract int enqueueBulk(int[] src, int off, int n);

    /** Enqueues as many of {@code src[off..off+n)} as fit; returns how many (0..n). */
    public abstract int enqueueBurst(int[] src, int off, int n);

    /** Dequeues exactly {@code n} handles into {@code dst[off..off+n)} or none; returns 0 or n. */
    public abstract int dequeueBulk(int[] dst, int off, int n);

    /** Dequeues up to {@code n} handles into {@code dst[off..off+n)}; returns how many (0..n). */
    public abstract int dequeueBurst(int[] dst, int off, int n);

    /** Enqueues one handle; false when full. */
    public abstract boolean enqueue(int handle);

    /** Dequeues one handle, or {@link #EMPTY} when the ring is empty. */
    public abstract int dequeue();

    /** Handles in the ring now (a snapshot under concurrency). */
    public final int count() {
        int consTail = (int) CONS_TAIL.getAcquire(this);
        int prodTail = (int) PROD_TAIL.getAcquire(this);
        int c = prodTail - consTail;
        return c < 0 ? 0 : Math.min(c, capacity);
    }

    /** Free slots now (a snapshot under concurrency). */
    public final int free() {
        return capacity - count();
    }

    public final boolean isEmpty() {
        return count() == 0;
    }

    public final boolean isFull() {
        return count() == capacity;
    }

    /**
     * Copies {@code n} handles into the slots from counter {@code head} on. Every burst enqueue
     * calls it, {@code n = 0} included (nothing is copied): C2 inlines a callee of this size only
     * where its profile says the call is hot, and a copy made only when something was reserved is,
     * for a ring polled while full or empty (a port whose traffic has not started when the JIT
     * profiles it), a cold call — compiled as a call per burst for the life of the JVM. Called
     * unconditionally it is as frequent as the enqueue in any profile (docs/performance.md,
     * "A copy the JIT always inlines").
     */
    final void copyIn(int head, int[] src, int off, int n) {
        if (n == 0) {
            return;
        }
        int idx = head & mask;
        int first = Math.min(n, capacity - idx);
        MemorySegment.copy(src, off, ALL, SLOT, base + 4L * idx, first);
        if (n > first) {
            MemorySegment.copy(src, off + first, ALL, SLOT, base, n - first);
        }
        Reference.reachabilityFence(mem);
    }

    /** Copies {@code n} handles out of the slots from counter {@code head} on; called as {@link #copyIn} is. */
    final void copyOut(int head, int[] dst, int off, int n) {
        if (n == 0) {
            return;
        }
        int idx = head & mask;
        int first = Math.min(n, capacity - idx);
        MemorySegment.copy(ALL, SLOT, base + 4L * idx, dst, off, first);
        if (n > first) {
            MemorySegment.copy(ALL, SLOT, base, dst, off + first, n - first);
        }
        Reference.reachabilityFence(mem);
    }

    /** Writes one slot. */
    final void put(int counter, int handle) {
        ALL.set(SLOT, base + 4L * (counter & mask), handle);
        Reference.reachabilityFence(mem);
    }

    /** Reads one slot. */
    final int get(int counter) {
        int v = ALL.get(SLOT, base + 4L * (counter & mask));
        Reference.reachabilityFence(mem);
        return v;
    }

    /**
     * Refuses {@code a[off, off+n)} outside the array before a multi-producer or multi-consumer
     * side reserves anything: a reservation never published (released) would stop the ring's
     * other producers (consumers) for good. A single side reserves nothing another waits for, and
     * its copy refuses the slots it would move outside the array, so the plain single sides keep
     * their code as it was: C2 inlines the ring into the PMDs' bursts within tight limits
     * ({@code bench fwd}, 4 pairs with the check there too: 315–352 Mpps against 337–377).
     */
    static void checkArgs(int[] a, int off, int n) {
        Objects.checkFromIndexSize(off, n, a.length); // an intrinsic: two compares, the throw out of line
    }

    /**
     * Multi-producer: reserve [head, head+k) by CAS; returns {@code head << 32 | k} (k = 0: nothing).
     * Free space is computed against the producers' shared copy of the consumer tail, refreshed
     * from {@code consTail} only when it does not show room for {@code n}: a copy is never ahead
     * of {@code consTail} (it holds a value {@code consTail} had), so it can only understate the
     * room. It is read with acquire and written with release, so a producer that takes another's
     * copy also takes the consumers' reads that the copy accounts for (package documentation). A
     * copy showing more room than the ring has is refreshed too: a producer stopped between its
     * read of the tail and its write of the copy may write a value 2^31 handles old, whose
     * difference to the head no longer means anything.
     */
    final long mpReserve(int n, boolean burst) {
        while (true) {
            int head = (int) PROD_HEAD.getVolatile(this);
            int free = capacity + (int) CONS_TAIL_CACHE.getAcquire(this) - head;
            if (free < n || free > capacity) {
                int consTail = (int) CONS_TAIL.getAcquire(this);
                CONS_TAIL_CACHE.setRelease(this, consTail);
                free = capacity + consTail - head;
            }
            int k = n;
            if (free < n) {
                if (!burst || free <= 0) {
                    return 0;
                }
                k = free;
            }
            if (PROD_HEAD.compareAndSet(this, head, head + k)) {
                return ((long) head << 32) | k;
            }
            Thread.onSpinWait();
        }
    }

    /** Multi-producer: wait for earlier reservations to publish, then publish ours. */
    final void mpPublish(int head, int k) {
        int spins = 0;
        while ((int) PROD_TAIL.getAcquire(this) != head) {
            if (++spins < 128) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
        PROD_TAIL.setRelease(this, head + k);
    }

    /**
     * Multi-consumer: reserve [head, head+k) by CAS; returns {@code head << 32 | k} (k = 0: nothing).
     * The consumers' shared copy of the producer tail works as the producers' copy of the consumer
     * tail does ({@link #mpReserve}): refreshed only when it shows fewer than {@code n}.
     */
    final long mcReserve(int n, boolean burst) {
        while (true) {
            int head = (int) CONS_HEAD.getVolatile(this);
            int avail = (int) PROD_TAIL_CACHE.getAcquire(this) - head;
            if (avail < n || avail > capacity) {
                int prodTail = (int) PROD_TAIL.getAcquire(this);
                PROD_TAIL_CACHE.setRelease(this, prodTail);
                avail = prodTail - head;
            }
            int k = n;
            if (avail < n) {
                if (!burst || avail <= 0) {
                    return 0;
                }
                k = avail;
            }
            if (CONS_HEAD.compareAndSet(this, head, head + k)) {
                return ((long) head << 32) | k;
            }
            Thread.onSpinWait();
        }
    }

    /** Multi-consumer: wait for earlier consumers to release, then release ours. */
    final void mcRelease(int head, int k) {
        int spins = 0;
        while ((int) CONS_TAIL.getAcquire(this) != head) {
            if (++spins < 128) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
        CONS_TAIL.setRelease(this, head + k);
    }

    /** Single producer: reserve using the cached consumer tail; returns k. */
    final int spReserve(int n, boolean burst) {
        int head = prodHead;
        int free = capacity + consTailCache - head;
        if (free < n) {
            consTailCache = (int) CONS_TAIL.getAcquire(this);
            free = capacity + consTailCache - head;
            if (free < n) {
                return burst ? free : 0;
            }
        }
        return n;
    }

    /** Single producer: publish [prodHead, prodHead+k). */
    final void spPublish(int k) {
        int next = prodHead + k;
        prodHead = next;
        PROD_TAIL.setRelease(this, next);
    }

    /** Single consumer: how many can be taken using the cached producer tail. */
    final int scReserve(int n, boolean burst) {
        int head = consHead;
        int avail = prodTailCache - head;
        if (avail < n) {
            prodTailCache = (int) PROD_TAIL.getAcquire(this);
            avail = prodTailCache - head;
            if (avail < n) {
                return burst ? avail : 0;
            }
        }
        return n;
    }

    /** Single consumer: release [consHead, consHead+k). */
    final void scRelease(int k) {
        int next = consHead + k;
        consHead = next;
        CONS_TAIL.setRelease(this, next);
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + name + ", " + count() + "/" + capacity + "]";
    }
}
