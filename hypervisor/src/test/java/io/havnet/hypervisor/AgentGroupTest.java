package io.havnet.hypervisor;

import io.havnet.dataplane.agent.Agent;
import io.havnet.hypervisor.accounting.Component;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.*;

/**
 * What the host relies on when a VM goes (destroy, pause): once the group answered the request
 * made after a member was removed or switched off, that member's code never runs again — the
 * host may then free the VM's memory.
 */
class AgentGroupTest {
    /** A member that writes into its "guest memory" on every call. */
    static final class Writer implements Agent {
        final long[] memory = new long[8];

        @Override
        public int doWork() {
            for (int i = 0; i < memory.length; i++) {
                memory[i]++;
            }
            return 1;
        }

        @Override
        public String roleName() {
            return "writer";
        }
    }

    @Test
    void onceTheGroupAnsweredARemovedOrSwitchedOffMemberNeverRunsAgain() throws Exception {
        AgentGroup g = new AgentGroup("guests", true);
        Component c = new Component("vm", Component.Kind.GUEST);
        g.add(new Agent() { // a neighbour that takes a while: a round that read stale members calls the member late
            @Override
            public int doWork() {
                for (int i = 0; i < 100; i++) {
                    Thread.onSpinWait();
                }
                return 1;
            }

            @Override
            public String roleName() {
                return "neighbour";
            }
        }, c);
        AtomicBoolean stop = new AtomicBoolean();
        Thread lcore = Thread.ofPlatform().start(() -> {
            while (!stop.get()) {
                g.doWork();
            }
        });
        try {
            for (int round = 0; round < 20_000; round++) {
                Writer w = new Writer();
                AgentGroup.Member m = g.add(w, c);
                while (lcore.isAlive() && readVolatile(w.memory) == 0) {
                    Thread.onSpinWait(); // the member runs
                }
                if (round % 2 == 0) {
                    g.remove(m);
                } else {
                    m.setEnabled(false); // a paused VM
                }
                long token = g.ask();
                long deadline = System.nanoTime() + 5_000_000_000L;
                while (!g.answered(token)) {
                    assertTrue(System.nanoTime() < deadline, "the running group answers within a round");
                    Thread.onSpinWait();
                }
                long[] after = w.memory.clone();
                for (int k = 0; k < 200; k++) {
                    Thread.onSpinWait();
                }
                assertArrayEquals(after, w.memory, "round " + round + ": the member ran after the group answered");
                g.remove(m);
            }
        } finally {
            stop.set(true);
            lcore.join(5_000);
        }
    }

    private static long readVolatile(long[] a) {
        return (long) LONGS.getVolatile(a, 0);
    }

    private static final java.lang.invoke.VarHandle LONGS = java.lang.invoke.MethodHandles.arrayElementVarHandle(long[].class);
}
