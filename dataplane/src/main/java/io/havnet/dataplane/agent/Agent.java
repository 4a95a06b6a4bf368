package io.havnet.dataplane.agent;

/**
 * Everything that polls is an agent: the NIC engine, a vSwitch, a relay, a guest application,
 * a generator. An agent does a bounded amount of work per call and says how much, so a runner
 * can compose many agents on one thread and idle when none has work.
 */
public interface Agent {
    /**
     * Does one round of work (one burst per queue, typically).
     *
     * @return the amount of work done (packets, descriptors); 0 means idle
     */
    int doWork();

    /** A short name for logs and accounting. */
    default String roleName() {
        return getClass().getSimpleName();
    }

    /** Called on the agent's thread before the first {@link #doWork()}. */
    default void onStart() {}

    /** Called on the agent's thread after the last {@link #doWork()}. */
    default void onClose() {}
}
