package io.havnet.dataplane.agent;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * How another thread waits until a polling loop has taken in a change it made, with no fence in
 * the loop. The other thread makes the change (clears a ring, removes a member), then
 * {@link #ask()}s: a counted request. The loop {@link #answer()}s at the start of every round,
 * before it reads what the change touched: an acquire load of the request count and, when it
 * changed, a release store of it. The round that answers sees the change; every round before it is
 * over; and the asking thread, once {@link #answered(long)}, sees everything those rounds wrote.
 * (A volatile store in the loop would do the same with a full fence per round, which waits for
 * every store the round left pending.) The loop's liveness is the asker's business: only a
 * running loop answers.
 */
public final class RoundRequest {
    private static final VarHandle REQUEST;
    private static final VarHandle ANSWER;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            REQUEST = l.findVarHandle(RoundRequest.class, "request", long.class);
            ANSWER = l.findVarHandle(RoundRequest.class, "answer", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Requests made, counted (any thread). */
    private volatile long request;
    /** The request count the loop saw at the start of its latest round. */
    private volatile long answer;
    /** The loop's own copy of {@link #answer} (its thread only). */
    private long answered;

    /** After a change: returns the token to pass to {@link #answered(long)}. */
    public long ask() {
        return (long) REQUEST.getAndAdd(this, 1L) + 1;
    }

    /** True once a round that saw request {@code token} began (see the class comment). */
    public boolean answered(long token) {
        return (long) ANSWER.getAcquire(this) >= token;
    }

    /** The loop, at the start of a round, before it reads what a change may touch. */
    public void answer() {
        answerWith((long) REQUEST.getAcquire(this));
    }

    /**
     * {@link #answer()} with a volatile read of the request count, for a loop that has just
     * published something with a volatile store that askers read after asking (a store-load pair:
     * either the asker sees the store or this read sees the request).
     */
    public void answerAfterVolatileStore() {
        answerWith((long) REQUEST.getVolatile(this));
    }

    private void answerWith(long r) {
        if (r != answered) {
            answered = r;
            ANSWER.setRelease(this, r);
        }
    }
}
