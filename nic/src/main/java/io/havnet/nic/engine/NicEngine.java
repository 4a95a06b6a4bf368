package io.havnet.nic.engine;

import io.havnet.dataplane.agent.Agent;

/**
 * One engine of the NIC's silicon: an agent each of whose passes is bracketed by its
 * {@link EnginePass}, so that a queue disable can wait for the pass in progress.
 */
public abstract sealed class NicEngine implements Agent permits RxEngine, TxEngine {
    private final EnginePass pass = new EnginePass();

    /** This engine's passes: a queue disable waits for the one in progress. */
    public final EnginePass pass() {
        return pass;
    }

    @Override
    public final int doWork() {
        pass.begin();
        try {
            return work();
        } finally {
            pass.end();
        }
    }

    /** One pass over the engine's sources; returns the work done. */
    protected abstract int work();
}
