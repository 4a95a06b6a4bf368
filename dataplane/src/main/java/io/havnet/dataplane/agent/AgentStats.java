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
        // single writer: the thread running the agent
        calls = calls + 1;
        if (workDone > 0) {
            busyNanos = busyNanos + nanos;
            work = work + workDone;
        }
        if (nanos >= 100_000) {
            callsOver100us = callsOver100us + 1;
            if (nanos >= 1_000_000) {
                callsOver1ms = callsOver1ms + 1;
            }
        }
    }

    public void reset() {
        busyNanos = 0;
        work = 0;
        calls = 0;
        callsOver100us = 0;
        callsOver1ms = 0;
    }
}
