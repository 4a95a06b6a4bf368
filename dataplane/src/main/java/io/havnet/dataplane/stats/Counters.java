package io.havnet.dataplane.stats;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A fixed set of named 64-bit counters. {@link #add} is for the single thread that owns the
 * counters (a queue's poller): an opaque read-modify-write with no lock, cheap enough for the
 * fast path; other threads read consistent (untorn) values with {@link #get}. Counters written by
 * several threads use {@link #addAtomic}.
 *
 * <p>The cells are padded so two sets owned by different threads never share a cache line.
 */
public final class Counters {
    private static final VarHandle CELLS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final int PAD = 8; // 64 bytes each side

    private final List<CounterDef> defs;
    private final long[] cells;

    public Counters(List<CounterDef> defs) {
        this.defs = List.copyOf(defs);
        this.cells = new long[defs.size() + 2 * PAD];
    }

    public List<CounterDef> defs() {
        return defs;
    }

    public int size() {
        return defs.size();
    }

    /** Single-writer increment (owner thread only). */
    public void add(int counter, long delta) {
        int i = counter + PAD;
        CELLS.setOpaque(cells, i, (long) CELLS.getOpaque(cells, i) + delta);
    }

    /** Multi-writer increment. */
    public void addAtomic(int counter, long delta) {
        CELLS.getAndAdd(cells, counter + PAD, delta);
    }

    public long get(int counter) {
        return (long) CELLS.getOpaque(cells, counter + PAD);
    }

    /** Sets every counter to zero (owner thread, or while the owner is stopped). */
    public void reset() {
        for (int i = 0; i < defs.size(); i++) {
            CELLS.setOpaque(cells, i + PAD, 0L);
        }
    }

    /** Name → value, in declaration order. */
    public Map<String, Long> snapshot() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (int i = 0; i < defs.size(); i++) {
            m.put(defs.get(i).name(), get(i));
        }
        return m;
    }

    public long get(String name) {
        for (int i = 0; i < defs.size(); i++) {
            if (defs.get(i).name().equals(name)) {
                return get(i);
            }
        }
        throw new IllegalArgumentException("no counter named " + name);
    }
}
