package io.havnet.hypervisor;

import io.havnet.dataplane.agent.Agent;
import io.havnet.dataplane.clock.Clock;
import io.havnet.dataplane.ethdev.EthDev;
import io.havnet.dataplane.mempool.Mempool;

/**
 * The program a VM runs: given the VM's network device (whatever the I/O path, a plain
 * {@link EthDev}), its mbuf pool in guest memory and the clock, it returns the agent its vCPU
 * runs. A guest application cannot tell virtio from a VF.
 */
@FunctionalInterface
public interface GuestApp {
    Agent create(Context ctx);

    /**
     * What a guest application gets: its VM's name, device, mbuf pool, the clock, and the VM's
     * accounting component (where it registers its own drop counters).
     */
    record Context(String vmName, EthDev vnic, Mempool pool, Clock clock,
                   io.havnet.hypervisor.accounting.Component component) {}

    /** A guest that does nothing (its device is up, no agent work). */
    GuestApp IDLE = ctx -> () -> 0;
}
