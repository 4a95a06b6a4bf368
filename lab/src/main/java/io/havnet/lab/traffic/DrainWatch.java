package io.havnet.lab.traffic;

import java.util.function.Supplier;

/**
 * Decides, for whoever waits after {@link Tester#drain()}, when the probes still out are lost
 * rather than late: none has come back for a while ({@link Tester#drained(long)}: in time and in
 * the tester's own polls) <em>and</em> every lcore of the host has run {@value #ROUNDS} rounds
 * since the last one came back. On an oversubscribed machine an lcore can be off its CPU for tens
 * of milliseconds with probes in its queues; time alone would call them lost, and they would come
 * back a moment later. Poll {@link #quiet(long)} from one thread.
 */
public final class DrainWatch {
    /** Rounds each lcore must run with nothing coming back. */
    public static final int ROUNDS = 64;

    private final Tester tester;
    private final Supplier<long[]> lcoreRounds;
    private long deliveredSeen = -1;
    private long[] roundsThen;

    /**
     * @param lcoreRounds the rounds of each lcore that moves probes ({@code Host::lcoreRounds}); an
     *                    empty array when the host runs on the waiting thread itself
     */
    public DrainWatch(Tester tester, Supplier<long[]> lcoreRounds) {
        this.tester = tester;
        this.lcoreRounds = lcoreRounds;
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
        return true;
    }
}
