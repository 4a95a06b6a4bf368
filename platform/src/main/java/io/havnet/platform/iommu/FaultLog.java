package io.havnet.platform.iommu;

import io.havnet.platform.pci.PciFunction;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The IOMMU's fault recording: the last {@link #CAPACITY} records (older ones drop off, counted
 * in {@link #overflowed()}), totals per function, and listeners (malicious driver detection in
 * the NIC subscribes). Faults are rare events; recording them is synchronized.
 */
public final class FaultLog {
    public static final int CAPACITY = 1024;

    /** Told of every fault, on the faulting DMA's thread. */
    @FunctionalInterface
    public interface Listener {
        void onFault(DmaFault fault);
    }

    private final ArrayDeque<DmaFault> recent = new ArrayDeque<>();
    private final Map<Integer, LongAdder> perFunction = new ConcurrentHashMap<>();
    private final AtomicLong total = new AtomicLong();
    private final List<Listener> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private long overflowed;

    void record(PciFunction f, long iova, boolean write, FaultReason reason) {
        DmaFault fault = new DmaFault(f, iova, write, reason, total.incrementAndGet());
        perFunction.computeIfAbsent(f.requesterId(), k -> new LongAdder()).increment();
        synchronized (recent) {
            if (recent.size() == CAPACITY) {
                recent.removeFirst();
                overflowed++;
            }
            recent.addLast(fault);
        }
        for (Listener l : listeners) {
            l.onFault(fault);
        }
    }

    public void addListener(Listener l) {
        listeners.add(l);
    }

    public void removeListener(Listener l) {
        listeners.remove(l);
    }

    /** Faults recorded since start. */
    public long total() {
        return total.get();
    }

    /** Faults of one function since start. */
    public long count(PciFunction f) {
        LongAdder a = perFunction.get(f.requesterId());
        return a == null ? 0 : a.sum();
    }

    /** The most recent records, oldest first. */
    public List<DmaFault> recent() {
        synchronized (recent) {
            return new ArrayList<>(recent);
        }
    }

    /** Records dropped from {@link #recent()} for lack of room. */
    public long overflowed() {
        synchronized (recent) {
            return overflowed;
        }
    }
}
