package io.havnet.dataplane.agent;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Runs agents round-robin on the calling thread, one {@link Agent#doWork()} each per round: the
 * deterministic mode tests use. Paired with a {@link io.havnet.dataplane.clock.ManualClock}, a
 * test decides exactly what happens when, without threads or sleeps.
 */
public final class DeterministicRunner {
    private final List<Agent> agents = new ArrayList<>();
    private final List<AgentStats> stats = new ArrayList<>();
    private boolean started;

    public DeterministicRunner(Agent... agents) {
        for (Agent a : agents) {
            add(a);
        }
    }

    public DeterministicRunner add(Agent a) {
        agents.add(a);
        stats.add(new AgentStats(a.roleName()));
        if (started) {
            a.onStart();
        }
        return this;
    }

    private void startIfNeeded() {
        if (!started) {
            started = true;
            LcoreId.acquire();
            for (Agent a : agents) {
                a.onStart();
            }
        }
    }

    /** One round: every agent's doWork() once. Returns the work done. */
    public int runOnce() {
        startIfNeeded();
        int work = 0;
        for (int i = 0; i < agents.size(); i++) {
            long t0 = System.nanoTime();
            int w = agents.get(i).doWork();
            stats.get(i).record(System.nanoTime() - t0, w);
            work += w;
        }
        return work;
    }

    /** Runs {@code rounds} rounds; returns the work done. */
    public long run(int rounds) {
        long work = 0;
        for (int r = 0; r < rounds; r++) {
            work += runOnce();
        }
        return work;
    }

    /**
     * Runs rounds until a round does no work ({@code idleRounds} in a row), or fails after
     * {@code maxRounds}: a test must never hang.
     */
    public long runUntilIdle(int idleRounds, long maxRounds) {
        long work = 0;
        int idle = 0;
        for (long r = 0; r < maxRounds; r++) {
            int w = runOnce();
            work += w;
            idle = w == 0 ? idle + 1 : 0;
            if (idle >= idleRounds) {
                return work;
            }
        }
        throw new IllegalStateException("agents still busy after " + maxRounds + " rounds");
    }

    /** Runs until the system goes idle (two idle rounds, at most ten million rounds). */
    public long runUntilIdle() {
        return runUntilIdle(2, 10_000_000);
    }

    /** Runs rounds until {@code done} holds, failing after {@code maxRounds}. */
    public long runUntil(BooleanSupplier done, long maxRounds) {
        long work = 0;
        for (long r = 0; r < maxRounds; r++) {
            if (done.getAsBoolean()) {
                return work;
            }
            work += runOnce();
        }
        if (done.getAsBoolean()) {
            return work;
        }
        throw new IllegalStateException("condition not reached after " + maxRounds + " rounds");
    }

    public List<AgentStats> agentStats() {
        return List.copyOf(stats);
    }

    /** Calls onClose() on every agent and releases the thread's lcore id. */
    public void close() {
        if (started) {
            for (Agent a : agents) {
                a.onClose();
            }
            LcoreId.release();
            started = false;
        }
    }
}
