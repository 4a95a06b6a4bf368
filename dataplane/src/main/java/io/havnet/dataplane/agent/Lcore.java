package io.havnet.dataplane.agent;

import io.havnet.dataplane.os.Affinity;
import io.havnet.dataplane.os.Notices;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.LockSupport;

/**
 * A polling thread that runs agents round-robin, DPDK's lcore: it owns an {@link LcoreId}, is
 * pinned to a CPU when the OS allows (a one-line notice otherwise) and idles with an
 * {@link IdleStrategy} when a whole round found no work.
 *
 * <p>An agent that throws stops its lcore; the failure is kept in {@link #failure()} and
 * re-thrown, wrapped, by {@link #close()} so that it is never lost.
 */
public final class Lcore implements AutoCloseable {
    private final int id;
    private final int cpu;
    private final Agent[] agents;
    private final AgentStats[] stats;
    private final IdleStrategy idle;
    private final boolean accounting;
    private final String name;
    private volatile Thread thread;
    private int respawns;        // threads started after the first, for their names
    private volatile int tid = -1;
    private final CountDownLatch started = new CountDownLatch(1);
    private volatile boolean running = true;
    private volatile boolean suspendAsked;
    private volatile boolean suspended;
    private volatile Throwable failure;
    private volatile String pinNotice;
    private long rounds; // written by the lcore (opaque), read by anyone

    private static final java.lang.invoke.VarHandle ROUNDS;

    static {
        try {
            ROUNDS = java.lang.invoke.MethodHandles.lookup().findVarHandle(Lcore.class, "rounds", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private Lcore(Builder b) {
        this.id = b.id;
        this.cpu = b.cpu;
        this.agents = b.agents.toArray(new Agent[0]);
        this.stats = new AgentStats[agents.length];
        for (int i = 0; i < agents.length; i++) {
            stats[i] = new AgentStats(agents[i].roleName());
        }
        this.idle = b.idle;
        this.accounting = b.accounting;
        this.name = b.name != null ? b.name : "lcore-" + (id < 0 ? "any" : id);
        this.thread = Thread.ofPlatform().name(name).daemon(true).unstarted(() -> run(0, started));
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Starts the thread and waits until it has taken its lcore id and pinned itself. */
    public Lcore start() {
        thread.start();
        try {
            started.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return this;
    }

    private void run(int generation, CountDownLatch up) {
        try {
            if (id >= 0 && generation == 0) {
                LcoreId.acquire(id);
            } else {
                LcoreId.acquire(); // a respawned thread: the one left behind keeps its id
            }
            tid = Affinity.currentTid();
            if (cpu >= 0) {
                String refused = Affinity.pinCurrentThread(cpu);
                if (refused != null) {
                    pinNotice = refused;
                    Notices.once("affinity", "running lcores unpinned: " + refused);
                }
            }
        } catch (RuntimeException e) {
            failure = e;
            running = false;
        } finally {
            up.countDown();
        }
        Agent current = null;
        boolean leftBehind = false;
        try {
            if (generation == 0) {
                for (Agent a : agents) {
                    current = a;
                    a.onStart();
                }
            }
            current = null;
            final Agent[] as = agents;
            final AgentStats[] st = stats;
            long round = rounds();
            while (running) {
                ROUNDS.setOpaque(this, ++round);
                if (suspendAsked) {
                    parkWhileSuspended();
                    continue;
                }
                int work = 0;
                if (accounting) {
                    // a call's end is the next call's start: one clock read per agent and one per
                    // round (a read costs ~30 ns here, a busy round of the NIC's engines ~1 µs)
                    long t = System.nanoTime();
                    for (int i = 0; i < as.length; i++) {
                        current = as[i];
                        long t0 = t;
                        int w = as[i].doWork();
                        t = System.nanoTime();
                        st[i].record(t - t0, w);
                        work += w;
                    }
                } else {
                    for (int i = 0; i < as.length; i++) {
                        current = as[i];
                        work += as[i].doWork();
                    }
                }
                idle.idle(work);
            }
            current = null;
        } catch (LeftBehind b) {
            leftBehind = true; // the agents are another thread's now: touch nothing
        } catch (Throwable t) {
            failure = new IllegalStateException("lcore " + name + ": agent "
                    + (current == null ? "?" : current.roleName()) + " failed: " + t, t);
            running = false;
        } finally {
            if (!leftBehind) {
                for (Agent a : agents) {
                    try {
                        a.onClose();
                    } catch (RuntimeException e) {
                        if (failure == null) {
                            failure = e;
                        }
                    }
                }
            }
            LcoreId.release();
        }
    }

    /**
     * What an agent throws, when its call finally returns, if that call was abandoned while it ran
     * ({@link #respawn()}): the thread that catches it ends without touching any agent.
     */
    public static final class LeftBehind extends RuntimeException {
        public LeftBehind(String why) {
            super(why, null, false, false);
        }
    }

    /**
     * Leaves the current thread behind, stuck in a call that does not return, and goes on with a
     * new thread on the same CPU (with another lcore id: the old thread still holds its own).
     * Whoever calls this must first have abandoned the stuck call, atomically with its return (as
     * {@code AgentGroup.abandon} does): the agent no longer runs it, and the call, should it ever
     * return, throws {@link LeftBehind} instead of going on. Rounds go on counting.
     *
     * @return the kernel's id of the thread left behind (for {@link Affinity#demoteToIdle}), or -1
     */
    public synchronized int respawn() {
        if (!running) {
            throw new IllegalStateException("lcore " + name + " is not running");
        }
        int oldTid = tid;
        int next = ++respawns;
        CountDownLatch up = new CountDownLatch(1);
        Thread t = Thread.ofPlatform().name(name + "#" + next).daemon(true).unstarted(() -> run(next, up));
        thread = t;
        t.start();
        try {
            up.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return oldTid;
    }

    private void parkWhileSuspended() {
        suspended = true;
        while (suspendAsked && running) {
            LockSupport.park(this);
        }
        suspended = false;
    }

    /**
     * Parks the thread between two rounds until {@link #resume()}, and returns once it is parked
     * (or has stopped). The agents keep their state and frames in flight stay where they are; the
     * CPU is free for other work meanwhile — {@code havnet bench paths} runs three hosts in turns
     * this way.
     */
    public void suspend() {
        suspendAsked = true;
        while (!suspended && isRunning()) {
            LockSupport.parkNanos(10_000);
        }
    }

    /** Lets a suspended lcore run again, and returns once it does (or has stopped). */
    public void resume() {
        suspendAsked = false;
        LockSupport.unpark(thread);
        while (suspended && isRunning()) {
            LockSupport.parkNanos(10_000);
        }
    }

    public boolean isRunning() {
        return running && thread.isAlive();
    }

    /** The error that stopped this lcore, or null. */
    public Throwable failure() {
        return failure;
    }

    /** Why the thread is not pinned, or null if it is pinned or was not asked to be. */
    public String pinNotice() {
        return pinNotice;
    }

    /** The thread running the agents now (another after {@link #respawn()}). */
    public Thread thread() {
        return thread;
    }

    /**
     * Rounds the loop has begun so far: every agent had a call in each. What waits for an lcore to
     * have moved something on reads this, not the clock — an lcore starved of its CPU (an
     * oversubscribed machine) does no rounds however much time passes.
     */
    public long rounds() {
        return (long) ROUNDS.getOpaque(this);
    }

    /** Per-agent cost, in the order the agents were added (meaningful with accounting on). */
    public List<AgentStats> agentStats() {
        return List.of(stats);
    }

    /** Stops the loop and joins the thread; rethrows an agent failure, if any. */
    @Override
    public void close() {
        running = false;
        LockSupport.unpark(thread);
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Throwable f = failure;
        if (f != null) {
            throw f instanceof RuntimeException re ? re : new IllegalStateException(f);
        }
    }

    /** Lcore settings. */
    public static final class Builder {
        private int id = LcoreId.ANY;
        private int cpu = -1;
        private String name;
        private final List<Agent> agents = new ArrayList<>();
        private IdleStrategy idle = IdleStrategy.backoff();
        private boolean accounting;

        /** A fixed lcore id; by default the lowest free one. */
        public Builder id(int id) {
            this.id = id;
            return this;
        }

        /** Pin to this CPU (best effort); by default unpinned. */
        public Builder cpu(int cpu) {
            this.cpu = cpu;
            return this;
        }

        public Builder name(String name) {
            this.name = name;
            return this;
        }

        public Builder agent(Agent a) {
            agents.add(a);
            return this;
        }

        public Builder agents(List<? extends Agent> as) {
            agents.addAll(as);
            return this;
        }

        public Builder idle(IdleStrategy s) {
            this.idle = s;
            return this;
        }

        /** Time every doWork() call (one nanoTime read per agent per round, and one per round). */
        public Builder accounting(boolean on) {
            this.accounting = on;
            return this;
        }

        public Lcore start() {
            if (agents.isEmpty()) {
                throw new IllegalStateException("an lcore needs at least one agent");
            }
            return new Lcore(this).start();
        }
    }
}
