package io.havnet.lab.traffic;

import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Decides, for whoever waits after {@link Tester#drain()}, when the probes still out are lost
 * rather than late: none has come back for a while ({@link Tester#drained(long)}: in time and in
 * the tester's own polls) <em>and</em> every lcore of the host has run {@value #ROUNDS} rounds
 * since the last one came back. On an oversubscribed machine an lcore can be off its CPU for tens
 * of milliseconds with probes in its queues; time alone would call them lost, and they would come
 * back a moment later.
 *
 * <p>Neither time nor rounds prove that a probe is gone, only that it has not come back: an lcore
 * can run its rounds and then lose its CPU while the probes are on their way into its queues. So
 * the watch also counts: a probe the host lost is a drop it counted (nothing is lost silently), and
 * while more probes are out than the host counted drops since the session began, the rest are
 * still on their way — the wait goes on (to the caller's deadline). Poll {@link #quiet(long)} from
 * one thread.
 */
public final class DrainWatch {
    /** Rounds each lcore must run with nothing coming back. */
    public static final int ROUNDS = 64;

    private final Tester tester;
    private final Supplier<long[]> lcoreRounds;
    private final LongSupplier dropped;
    private long deliveredSeen = -1;
    private long[] roundsThen;

    /**
     * @param lcoreRounds the rounds of each lcore that moves probes ({@code Host::lcoreRounds}); an
     *                    empty array when the host runs on the waiting thread itself
     * @param dropped     the frames the host counted as dropped since the tester's session began
     *                    (read only once time and rounds say quiet)
     */
    public DrainWatch(Tester tester, Supplier<long[]> lcoreRounds, LongSupplier dropped) {
        this.tester = tester;
        this.lcoreRounds = lcoreRounds;
        this.dropped = dropped;
    }

    /** True once the probes still out can be counted as lost (see the class comment). */
    public boolean quiet(long quietNanos) {
        long delivered = tester.delivered();
        long[] now = lcoreRounds.get();
        if (delivered != deliveredSeen || roundsThen == null || roundsThen.length != now.length) {
            deliveredSeen = delivered;
            roundsThen = now;
            return false;
        }
        if (!tester.drained(quietNanos)) {
            return false;
        }
        for (int i = 0; i < now.length; i++) {
            if (now[i] - roundsThen[i] < ROUNDS) {
                return false;
            }
        }
        // more probes out than counted drops: some are on their way however quiet it looks
        return tester.outstanding() <= dropped.getAsLong();
    }
}
