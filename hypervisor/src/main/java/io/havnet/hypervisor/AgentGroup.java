package io.havnet.hypervisor;

import io.havnet.dataplane.agent.Agent;
import io.havnet.dataplane.agent.AgentStats;
import io.havnet.dataplane.agent.Lcore;
import io.havnet.dataplane.agent.RoundRequest;
import io.havnet.hypervisor.accounting.Component;

import java.util.ArrayList;
import java.util.List;

/**
 * Agents that run together on one lcore (or in the deterministic runner), with members added and
 * removed while it runs (VMs come and go). Each member is timed into its component's
 * {@link AgentStats}; {@link #ask()} and {@link #answered(long)} let the host wait until a
 * removed or switched-off member can no longer be running.
 *
 * <p>A round costs the group no fence. The host changes the members, then asks; each round
 * begins by answering ({@link RoundRequest}) and reads the members after that, so the round that
 * answers sees the change, and every round before it is over. (A volatile store of a round count, the design before, was a full fence after every
 * round: it waited for every store the round's agents left pending — a NIC engine's frames and
 * descriptors in guest memory among them.)
 */
public final class AgentGroup implements Agent {
    /** A member: an agent, the component its time belongs to, its stats, and an on/off switch (VM pause). */
    public static final class Member {
        final Agent agent;
        final Component component;
        final AgentStats stats;
        volatile boolean enabled;
        volatile String failure;
        volatile boolean hung;
        private long callStart; // System.nanoTime() when its current call began, 0 outside calls, ABANDONED

        Member(Agent agent, Component component, boolean enabled) {
            this.agent = agent;
            this.component = component;
            this.enabled = enabled;
            this.stats = new AgentStats(agent.roleName());
            component.addAgent(stats);
        }

        public void setEnabled(boolean on) {
            enabled = on && failure == null; // a member that failed stays off
        }

        /**
         * When the call the member is in began (System.nanoTime()), 0 when it is in none, or
         * {@link #ABANDONED} while a call the group gave up on ({@link AgentGroup#abandon}) still runs.
         */
        public long inCallSince() {
            return (long) CALL_START.getAcquire(this);
        }

        /** True once the group gave up on a call of it that did not return ({@link AgentGroup#abandon}). */
        public boolean hung() {
            return hung;
        }

        /** Why the member's agent failed (it is then off for good), or null. */
        public String failure() {
            return failure;
        }

        private void fail(RuntimeException e) {
            failure = agent.roleName() + " failed: " + e;
            enabled = false;
        }

        public AgentStats stats() {
            return stats;
        }
    }

    private final String name;
    private final boolean containFailures;
    private volatile Member[] members = new Member[0];
    private final RoundRequest changes = new RoundRequest();
    /** {@link Member#inCallSince()} of a member whose call was given up on and has not returned. */
    public static final long ABANDONED = -1;

    private static final java.lang.invoke.VarHandle CALL_START;

    static {
        try {
            CALL_START = java.lang.invoke.MethodHandles.lookup().findVarHandle(Member.class, "callStart", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** A group in which an agent's exception ends the group's lcore (the host's own agents: a bug). */
    public AgentGroup(String name) {
        this(name, false);
    }

    /**
     * @param containFailures a group of guests: an agent that throws is switched off for good and
     *                        the others go on (a guest's code failing is that guest crashing), and a
     *                        call that does not return can be given up on ({@link #abandon}); the
     *                        host's own groups pay for neither
     */
    public AgentGroup(String name, boolean containFailures) {
        this.name = name;
        this.containFailures = containFailures;
    }

    @Override
    public String roleName() {
        return name;
    }

    public synchronized Member add(Agent a, Component c) {
        return add(a, c, true);
    }

    /** Adds a member that starts switched on or off (it is never run before the switch is set). */
    public synchronized Member add(Agent a, Component c, boolean enabled) {
        Member m = new Member(a, c, enabled);
        List<Member> l = new ArrayList<>(List.of(members));
        l.add(m);
        members = l.toArray(new Member[0]);
        return m;
    }

    public synchronized void remove(Member m) {
        List<Member> l = new ArrayList<>(List.of(members));
        l.remove(m);
        members = l.toArray(new Member[0]);
    }

    public List<Member> members() {
        return List.of(members);
    }

    /**
     * Asks the group for an answer, after a change to its members (removed, switched off); returns
     * the token to pass to {@link #answered(long)}.
     */
    public long ask() {
        return changes.ask();
    }

    /**
     * True once a round that saw the request {@code token} began: that round and every later one
     * see the change made before {@link #ask()}, every earlier round is over, and what they wrote is
     * visible to the caller.
     */
    public boolean answered(long token) {
        return changes.answered(token);
    }

    /**
     * Gives up on the call {@code m} began at {@code since}, if it is still in it: {@code m} is
     * switched off for good (hung, with {@code reason}) and removed, and when that call returns, the
     * thread in it throws {@link Lcore.LeftBehind} instead of going on with the group. Either the
     * call returns first (false: nothing changes) or it is abandoned — one compare-and-set decides.
     * The caller then lets another thread run the group ({@link Lcore#respawn()}).
     */
    public synchronized boolean abandon(Member m, long since, String reason) {
        if (!containFailures) {
            throw new IllegalStateException(name + ": only a group of guests gives up on a call");
        }
        if (since <= 0 || !CALL_START.compareAndSet(m, since, ABANDONED)) {
            return false;
        }
        m.failure = reason;
        m.hung = true;
        m.enabled = false;
        remove(m);
        return true;
    }

    @Override
    public int doWork() {
        changes.answer(); // before the members: a round that answers sees the change
        Member[] ms = members;
        int work = 0;
        // one clock read per call: a call's end is the next call's start (the clock costs ~30 ns
        // here, and a round of a busy group is a few hundred)
        long t = System.nanoTime();
        for (Member m : ms) {
            if (!m.enabled) {
                continue;
            }
            long t0 = t;
            if (containFailures) {
                CALL_START.setOpaque(m, t0); // only a guest's call can be given up on
            }
            int w;
            RuntimeException failed = null;
            try {
                w = m.agent.doWork();
            } catch (RuntimeException ex) {
                if (!containFailures) {
                    throw ex;
                }
                failed = ex;
                w = 0;
            }
            if (containFailures && !CALL_START.compareAndSet(m, t0, 0L)) {
                CALL_START.setRelease(m, 0L); // the abandoned call is over: it touches nothing more
                throw new Lcore.LeftBehind(name + ": " + m.agent.roleName() + " returned after it was given up on");
            }
            if (failed != null) {
                m.fail(failed);
            }
            t = System.nanoTime();
            m.stats.record(t - t0, w);
            work += w;
        }
        return work;
    }
}
