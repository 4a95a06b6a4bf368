package io.havnet.dataplane.agent;

/**
 * What one agent cost on its thread: time spent in calls of {@link Agent#doWork()} that did
 * work, the work done, and the number of calls. Written by the running thread (opaque), read by
 * anyone. Busy time of an agent on a dedicated, pinned core is its CPU time.
 */
public final class AgentStats {
    private final String name;
    private volatile long busyNanos;
    private volatile long work;
    private volatile long calls;

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

    /** Records one doWork() call (the thread running the agent only). */
    public void record(long nanos, int workDone) {
        // single writer: the thread running the agent
        calls = calls + 1;
        if (workDone > 0) {
            busyNanos = busyNanos + nanos;
            work = work + workDone;
        }
    }

    public void reset() {
        busyNanos = 0;
        work = 0;
        calls = 0;
    }
}
