package io.havnet.hypervisor.accounting;

import io.havnet.dataplane.agent.AgentStats;
import io.havnet.dataplane.stats.CounterDef;
import io.havnet.dataplane.stats.Counters;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What one part of the host costs: the hypervisor, the NIC engine, or one VM. CPU time comes
 * from the {@link AgentStats} of the agents that belong to it; frames touched, bytes copied,
 * table lookups, VM exits, interrupts and IOTLB misses are counters; drops are counted by
 * reason. Counters shared by agents on several threads are updated atomically, once per burst.
 */
public final class Component {
    public static final int FRAMES = 0;
    public static final int BYTES_COPIED = 1;
    public static final int COPIES = 2;
    public static final int LOOKUPS = 3;
    public static final int VM_EXITS = 4;
    public static final int INTERRUPTS = 5;

    public static final List<CounterDef> COUNTERS = List.of(
            new CounterDef("frames", "frames", "frames this component handled"),
            new CounterDef("bytes_copied", "bytes", "bytes this component copied between buffers"),
            new CounterDef("copies", "frames", "frame copies this component made"),
            new CounterDef("lookups", "lookups", "switching-table lookups"),
            new CounterDef("vm_exits", "exits", "traps out of the guest (MMIO notifies, config accesses)"),
            new CounterDef("interrupts", "interrupts", "virtual interrupts injected into the guest"));

    /** Kinds of component. */
    public enum Kind { HYPERVISOR, NIC, GUEST }

    private final String name;
    private final Kind kind;
    private final Counters counters = new Counters(COUNTERS);
    private final List<AgentStats> agents = new CopyOnWriteArrayList<>();
    private final Map<String, Counters> dropSets = new LinkedHashMap<>();
    private final Map<String, int[]> dropIndexes = new LinkedHashMap<>();
    /** Drops by reason of sets that were replaced, and the time of agents that were retired. */
    private final Map<String, Long> retiredDrops = new LinkedHashMap<>();
    private volatile long retiredCpuNanos;
    private volatile long retiredOver100us;
    private volatile long retiredOver1ms;

    public Component(String name, Kind kind) {
        this.name = name;
        this.kind = kind;
    }

    public String name() {
        return name;
    }

    public Kind kind() {
        return kind;
    }

    public Counters counters() {
        return counters;
    }

    /** Attributes an agent's time to this component. */
    public void addAgent(AgentStats s) {
        agents.add(s);
    }

    public List<AgentStats> agents() {
        return List.copyOf(agents);
    }

    /**
     * Stops attributing an agent's time to this component (its agent was replaced or removed and
     * runs no more): the time it spent stays in {@link #cpuNanos()}, the stats object is let go, so
     * replacing an app again and again (testpmd's {@code set fwd}) does not grow the component.
     */
    public synchronized void retireAgent(AgentStats s) {
        if (agents.remove(s)) {
            retiredCpuNanos += s.busyNanos();
            retiredOver100us += s.callsOver100us();
            retiredOver1ms += s.callsOver1ms();
        }
    }

    /**
     * Registers drop counters (each counter one reason) that belong to this component: all of
     * {@code c}, or only the counters at {@code which} (a set that also counts other things). A new
     * set under a name already used (an app replaced, which counts no more) keeps the old one's
     * counts: they are added to the component's retired drops, and the old set is let go.
     */
    public synchronized void addDrops(String source, Counters c, int... which) {
        Counters old = dropSets.get(source);
        if (old != null && old != c) {
            int[] w = dropIndexes.remove(source);
            for (int i = 0; i < old.size(); i++) {
                long v = old.get(i);
                if (v != 0 && (w == null || contains(w, i))) {
                    retiredDrops.merge(old.defs().get(i).name(), v, Long::sum);
                }
            }
        }
        dropSets.put(source, c);
        if (which.length > 0) {
            dropIndexes.put(source, which.clone());
        } else {
            dropIndexes.remove(source);
        }
    }

    /** CPU nanoseconds its agents spent doing work. */
    public long cpuNanos() {
        long n = retiredCpuNanos;
        for (AgentStats a : agents) {
            n += a.busyNanos();
        }
        return n;
    }

    /** Calls of its agents that took 100 µs or more ({@link AgentStats#callsOver100us()}). */
    public long callsOver100us() {
        long n = retiredOver100us;
        for (AgentStats a : agents) {
            n += a.callsOver100us();
        }
        return n;
    }

    /** Calls of its agents that took 1 ms or more. */
    public long callsOver1ms() {
        long n = retiredOver1ms;
        for (AgentStats a : agents) {
            n += a.callsOver1ms();
        }
        return n;
    }

    /** Drops by reason, summed over the registered sets (zero reasons left out). */
    public synchronized Map<String, Long> drops() {
        Map<String, Long> m = new LinkedHashMap<>(retiredDrops);
        for (Map.Entry<String, Counters> e : dropSets.entrySet()) {
            Counters c = e.getValue();
            int[] which = dropIndexes.get(e.getKey());
            for (int i = 0; i < c.size(); i++) {
                if (which != null && !contains(which, i)) {
                    continue;
                }
                long v = c.get(i);
                if (v != 0) {
                    m.merge(c.defs().get(i).name(), v, Long::sum);
                }
            }
        }
        return m;
    }

    private static boolean contains(int[] a, int v) {
        for (int x : a) {
            if (x == v) {
                return true;
            }
        }
        return false;
    }

    /** A snapshot of everything, for reports. */
    public Snapshot snapshot() {
        return new Snapshot(name, kind, cpuNanos(), counters.get(FRAMES), counters.get(BYTES_COPIED), counters.get(COPIES),
                counters.get(LOOKUPS), counters.get(VM_EXITS), counters.get(INTERRUPTS), callsOver100us(), callsOver1ms(),
                drops());
    }

    /** A component's figures at one moment. */
    public record Snapshot(String name, Kind kind, long cpuNanos, long frames, long bytesCopied, long copies, long lookups,
                           long vmExits, long interrupts, long callsOver100us, long callsOver1ms,
                           Map<String, Long> drops) {
        /** This snapshot minus an earlier one (drops too). */
        public Snapshot minus(Snapshot e) {
            Map<String, Long> d = new LinkedHashMap<>(drops);
            e.drops.forEach((k, v) -> d.merge(k, -v, Long::sum));
            d.values().removeIf(v -> v == 0);
            return new Snapshot(name, kind, cpuNanos - e.cpuNanos, frames - e.frames, bytesCopied - e.bytesCopied,
                    copies - e.copies, lookups - e.lookups, vmExits - e.vmExits, interrupts - e.interrupts,
                    callsOver100us - e.callsOver100us, callsOver1ms - e.callsOver1ms, d);
        }
    }

    static List<String> names(List<Component> cs) {
        List<String> l = new ArrayList<>();
        for (Component c : cs) {
            l.add(c.name);
        }
        return l;
    }
}
