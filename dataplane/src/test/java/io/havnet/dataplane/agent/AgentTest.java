package io.havnet.dataplane.agent;

import io.havnet.dataplane.clock.ManualClock;
import io.havnet.dataplane.os.Affinity;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

class AgentTest {
    /** An agent that does work until it has done {@code total} units. */
    static final class Countdown implements Agent {
        int left;
        final List<String> log;
        final String name;

        Countdown(String name, int total, List<String> log) {
            this.name = name;
            this.left = total;
            this.log = log;
        }

        @Override
        public int doWork() {
            if (left == 0) {
                return 0;
            }
            left--;
            log.add(name);
            return 1;
        }

        @Override
        public String roleName() {
            return name;
        }
    }

    @Test
    void deterministicRunnerInterleavesAgentsRoundRobin() {
        List<String> log = new ArrayList<>();
        DeterministicRunner r = new DeterministicRunner(new Countdown("a", 2, log), new Countdown("b", 3, log));
        long work = r.runUntilIdle();
        assertEquals(5, work);
        assertEquals(List.of("a", "b", "a", "b", "b"), log);
        assertEquals(2, r.agentStats().get(0).work());
        r.close();
    }

    @Test
    void runnerRefusesToSpinForever() {
        DeterministicRunner r = new DeterministicRunner(() -> 1);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> r.runUntilIdle(2, 1000));
        assertTrue(e.getMessage().contains("still busy after 1000 rounds"));
        r.close();
    }

    @Test
    void runUntilStopsWhenTheConditionHolds() {
        ManualClock clock = new ManualClock();
        DeterministicRunner r = new DeterministicRunner(() -> {
            clock.advance(1_000);
            return 1;
        });
        r.runUntil(() -> clock.nanoTime() >= 1_000_000, 10_000);
        assertEquals(1_000_000, clock.nanoTime());
        r.close();
    }

    @Test
    void lcoreRunsItsAgentsOnItsOwnThreadWithItsOwnLcoreId() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        int[] seenId = {-2};
        Lcore l = Lcore.builder().agent(() -> {
            seenId[0] = LcoreId.current();
            return calls.incrementAndGet() < 1000 ? 1 : 0;
        }).idle(IdleStrategy.yielding()).accounting(true).start();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (calls.get() < 1000 && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        l.close();
        assertTrue(calls.get() >= 1000);
        assertTrue(seenId[0] >= 0, "the lcore thread holds an lcore id");
        assertEquals(999, l.agentStats().getFirst().work());
        assertFalse(l.isRunning());
    }

    @Test
    void aSuspendedLcoreRunsNoRoundUntilResumedAndClosesWhileSuspended() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        Lcore l = Lcore.builder().agent(() -> {
            calls.incrementAndGet();
            return 1;
        }).start();
        while (calls.get() < 100) {
            Thread.sleep(1);
        }
        l.suspend();
        int atSuspend = calls.get();
        Thread.sleep(50);
        assertEquals(atSuspend, calls.get(), "no round runs while suspended");
        assertEquals(Thread.State.WAITING, l.thread().getState(), "the thread is parked, not spinning");
        l.resume();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (calls.get() < atSuspend + 100 && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertTrue(calls.get() >= atSuspend + 100, "rounds run again after resume");
        l.suspend();
        l.close();
        assertFalse(l.isRunning());
    }

    @Test
    void aFailingAgentStopsItsLcoreAndTheFailureIsReported() {
        Lcore l = Lcore.builder().name("lcore-fails").agent(new Agent() {
            @Override
            public int doWork() {
                throw new IllegalStateException("boom");
            }

            @Override
            public String roleName() {
                return "bad-agent";
            }
        }).start();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (l.isRunning() && System.nanoTime() < deadline) {
            Thread.onSpinWait(); // the failure stops the lcore by itself
        }
        assertFalse(l.isRunning());
        assertNotNull(l.failure());
        IllegalStateException e = assertThrows(IllegalStateException.class, l::close);
        assertTrue(e.getMessage().contains("agent bad-agent failed"), e.getMessage());
        assertTrue(e.getMessage().contains("boom"), e.getMessage());
    }

    @Test
    void pinningIsBestEffortAndExplainsRefusal() {
        String bad = Affinity.pinCurrentThread(100_000);
        assertNotNull(bad, "an impossible CPU is refused with a reason");
        Lcore l = Lcore.builder().cpu(0).agent(() -> 0).start();
        l.close();
        if (io.havnet.dataplane.os.Libc.LINUX) {
            assertNull(l.pinNotice(), "Linux lets a thread pin itself to CPU 0");
        } else {
            assertNotNull(l.pinNotice());
        }
    }

    @Test
    void lcoreIdsAreUniqueAndReleased() throws Exception {
        int mine = LcoreId.acquire();
        int[] other = new int[1];
        Thread t = new Thread(() -> {
            other[0] = LcoreId.acquire();
            LcoreId.release();
        });
        t.start();
        t.join();
        assertNotEquals(mine, other[0]);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> LcoreId.acquire(mine == 0 ? 1 : 0));
        assertTrue(e.getMessage().contains("already holds lcore id"), e.getMessage());
        LcoreId.release();
        assertEquals(LcoreId.ANY, LcoreId.current());
    }

    @Test
    void backoffIdleEscalatesAndResetsOnWork() {
        IdleStrategy s = IdleStrategy.backoff(2, 2, 1000, 4000);
        for (int i = 0; i < 10; i++) {
            s.idle(0); // must not hang: parks at most 4 µs
        }
        s.idle(5);
        assertThrows(IllegalArgumentException.class, () -> IdleStrategy.backoff(1, 1, 10, 5));
    }

    @Test
    void callsOfATenthOfAMillisecondOrMoreAreCountedWhetherOrNotTheyDidWork() {
        AgentStats s = new AgentStats("a");
        s.record(99_999, 32);
        s.record(100_000, 0); // an idle poll during which the thread lost its CPU
        s.record(1_500_000, 8);
        assertEquals(2, s.callsOver100us());
        assertEquals(1, s.callsOver1ms());
        assertEquals(99_999 + 1_500_000, s.busyNanos(), "busy time counts only calls that did work");
        s.reset();
        assertEquals(0, s.callsOver100us());
        assertEquals(0, s.callsOver1ms());
    }

    @Test
    void anLcoreStuckInOneCallGoesOnWithANewThreadAndTheOldOneLetsGo() throws Exception {
        java.util.concurrent.CountDownLatch inside = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        AtomicInteger calls = new AtomicInteger();
        java.util.Set<String> threadsOfB = java.util.concurrent.ConcurrentHashMap.newKeySet();
        java.util.concurrent.atomic.AtomicLong bOnOldThread = new java.util.concurrent.atomic.AtomicLong();
        Agent stuck = () -> {
            if (calls.incrementAndGet() == 100) {
                inside.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return 0;
        };
        java.util.concurrent.atomic.AtomicBoolean abandoned = new java.util.concurrent.atomic.AtomicBoolean();
        Agent a = () -> { // the caller's part (an AgentGroup's): run it no more, and a call given up on ends the thread
            if (abandoned.get()) {
                return 0;
            }
            int w = stuck.doWork();
            if (abandoned.get()) {
                throw new Lcore.LeftBehind("given up on");
            }
            return w;
        };
        Agent b = () -> {
            threadsOfB.add(Thread.currentThread().getName());
            if (Thread.currentThread().getName().equals("lc")) {
                bOnOldThread.incrementAndGet();
            }
            return 1;
        };
        Lcore l = Lcore.builder().name("lc").agent(a).agent(b).idle(IdleStrategy.spin()).start();
        try {
            assertTrue(inside.await(5, java.util.concurrent.TimeUnit.SECONDS));
            Thread old = l.thread();
            long r = l.rounds();
            long bBefore = bOnOldThread.get();
            assertEquals(99, bBefore, "b ran in each round before the stuck call");
            abandoned.set(true);
            l.respawn();
            assertNotSame(old, l.thread());
            long t0 = System.nanoTime();
            while (l.rounds() < r + 1_000) {
                assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "the new thread runs the rounds");
                Thread.onSpinWait();
            }
            assertTrue(threadsOfB.contains("lc#1"), threadsOfB.toString());
            assertTrue(old.isAlive(), "the old thread is still in its call");
            release.countDown();
            old.join(5_000);
            assertFalse(old.isAlive(), "out of its call, the old thread ends");
            assertEquals(bBefore, bOnOldThread.get(), "... without running another agent");
            assertTrue(l.isRunning());
        } finally {
            l.close();
        }
        assertEquals(java.util.Set.of("lc", "lc#1"), threadsOfB);
    }
}
