package io.havnet.dataplane.agent;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * What one agent cost on its thread: time spent in calls of {@link Agent#doWork()} that did
 * work, the work done, and the number of calls. Written by the running thread (opaque), read by
 * anyone. Busy time of an agent on a dedicated, pinned core is its CPU time.
 *
 * <p>The stores are opaque, not volatile: a volatile store is a full fence, which after an agent
 * call waits for every store the call left pending — for a NIC engine, the frames and descriptors
 * it wrote into memory another core holds. Readers see each count whole and in order, a little
 * later.
 */
public final class AgentStats {
    private static final VarHandle BUSY;
    private static final VarHandle WORK;
    private static final VarHandle CALLS;
    private static final VarHandle OVER_100US;
    private static final VarHandle OVER_1MS;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            BUSY = l.findVarHandle(AgentStats.class, "busyNanos", long.class);
            WORK = l.findVarHandle(AgentStats.class, "work", long.class);
            CALLS = l.findVarHandle(AgentStats.class, "calls", long.class);
            OVER_100US = l.findVarHandle(AgentStats.class, "callsOver100us", long.class);
            OVER_1MS = l.findVarHandle(AgentStats.class, "callsOver1ms", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final String name;
    private volatile long busyNanos;
    private volatile long work;
    private volatile long calls;
    private volatile long callsOver100us;
    private volatile long callsOver1ms;

    public AgentStats(String name) {
        this.name = name;
    }

    public String name() {
        return name;
    }

    /** Nanoseconds spent inside doWork() calls that returned work. */
    public long busyNanos() {
        return busyNanos;
    }

    /** Sum of what doWork() returned. */
    public long work() {
        return work;
    }

    public long calls() {
        return calls;
    }

    /**
     * Calls that took 100 µs or more, with or without work: a burst is microseconds, so these are
     * calls during which the thread lost its CPU — or an agent that ran long. Frames waiting for
     * any agent of the lcore waited through them: read them next to a latency tail.
     */
    public long callsOver100us() {
        return callsOver100us;
    }

    /** Calls that took 1 ms or more (see {@link #callsOver100us()}). */
    public long callsOver1ms() {
        return callsOver1ms;
    }

    /** Records one doWork() call (the thread running the agent only). */
    public void record(long nanos, int workDone) {
        // single writer: the thread running the agent; opaque stores, no fence
        CALLS.setOpaque(this, (long) CALLS.getOpaque(this) + 1);
        if (workDone > 0) {
            BUSY.setOpaque(this, (long) BUSY.getOpaque(this) + nanos);
            WORK.setOpaque(this, (long) WORK.getOpaque(this) + workDone);
        }
        if (nanos >= 100_000) {
            OVER_100US.setOpaque(this, (long) OVER_100US.getOpaque(this) + 1);
            if (nanos >= 1_000_000) {
                OVER_1MS.setOpaque(this, (long) OVER_1MS.getOpaque(this) + 1);
            }
        }
    }

    /** Zeroes every count (the owner thread, or while it runs no calls). */
    public void reset() {
        busyNanos = 0;
        work = 0;
        calls = 0;
        callsOver100us = 0;
        callsOver1ms = 0;
    }
}
