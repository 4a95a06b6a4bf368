package io.havnet.hypervisor.vmdq;

import io.havnet.dataplane.agent.Agent;

import java.util.ArrayList;
import java.util.List;

/**
 * All VMDq relays of a host as one hypervisor agent (one polling loop over every VM's pool, as a
 * hypervisor thread would run it). Relays are added and removed while it runs; a removed relay is
 * not called after the agent's next round.
 */
public final class VmdqRelays implements Agent {
    private volatile VmdqRelay[] relays = new VmdqRelay[0];

    @Override
    public String roleName() {
        return "vmdq-relays";
    }

    public synchronized void add(VmdqRelay r) {
        List<VmdqRelay> l = new ArrayList<>(List.of(relays));
        l.add(r);
        relays = l.toArray(new VmdqRelay[0]);
    }

    public synchronized void remove(VmdqRelay r) {
        List<VmdqRelay> l = new ArrayList<>(List.of(relays));
        l.remove(r);
        relays = l.toArray(new VmdqRelay[0]);
    }

    @Override
    public int doWork() {
        int work = 0;
        for (VmdqRelay r : relays) {
            work += r.doWork();
        }
        return work;
    }
}
