package io.havnet.dataplane.agent;

import io.havnet.dataplane.clock.Clock;
import io.havnet.dataplane.stats.Stalls;

/**
 * An agent that does nothing but read the clock, and records every gap between two reads of
 * 1 µs or more: on a pinned lcore, the times the machine took the CPU away from a thread that
 * never gave it up — interrupts, the kernel's own work, other threads, a hypervisor running
 * something else on the physical core. That is the floor under the latency of every lcore on
 * that CPU ({@link Stalls#floorNanos(double)}). Allocates nothing once running.
 */
public final class StallProbe implements Agent {
    private final Clock clock;
    private final long sliceNanos;
    private final Stalls stalls = new Stalls();
    private long last = Long.MIN_VALUE;

    /**
     * @param clock      the time source (the system clock on an lcore)
     * @param sliceNanos how long one {@link #doWork()} call spins before returning to its lcore
     */
    public StallProbe(Clock clock, long sliceNanos) {
        if (sliceNanos <= 0) {
            throw new IllegalArgumentException("slice must be positive: " + sliceNanos);
        }
        this.clock = clock;
        this.sliceNanos = sliceNanos;
    }

    @Override
    public int doWork() {
        long now = clock.nanoTime();
        if (last != Long.MIN_VALUE) {
            stalls.record(now - last);
        }
        long end = now + sliceNanos;
        long prev = now;
        while (now - end < 0) {
            now = clock.nanoTime();
            stalls.record(now - prev);
            prev = now;
        }
        last = now;
        return 1;
    }

    /** A new lcore may run the probe again: the time between the two runs is not a stall. */
    @Override
    public void onStart() {
        last = Long.MIN_VALUE;
    }

    /** What was seen so far, over every lcore that ran the probe; read it after the lcore has stopped. */
    public Stalls stalls() {
        return stalls;
    }

    /**
     * Spins a scratch probe on the calling thread for a moment, so the probe's loop is compiled
     * before it measures: the compiler's threads would otherwise show up as stalls.
     */
    public static void compile() {
        StallProbe scratch = new StallProbe(Clock.SYSTEM, 1_000_000);
        for (int i = 0; i < 300; i++) {
            scratch.doWork();
        }
    }

    /**
     * Runs each probe on a spinning lcore pinned to the CPU at the same index, all at once, for
     * {@code millis}; the probes keep what they saw (call again to add more).
     *
     * @return why the lcores could not be pinned, or null
     */
    public static String runOn(StallProbe[] probes, int[] cpus, long millis) {
        if (probes.length != cpus.length) {
            throw new IllegalArgumentException(probes.length + " probes for " + cpus.length + " CPUs");
        }
        Lcore[] lcores = new Lcore[probes.length];
        String notice = null;
        try {
            for (int i = 0; i < probes.length; i++) {
                lcores[i] = Lcore.builder().name("stall-probe-cpu" + cpus[i]).cpu(cpus[i]).idle(IdleStrategy.spin())
                        .agent(probes[i]).start();
                if (lcores[i].pinNotice() != null) {
                    notice = lcores[i].pinNotice();
                }
            }
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            for (Lcore l : lcores) {
                if (l != null) {
                    l.close();
                }
            }
        }
        return notice;
    }

    @Override
    public String roleName() {
        return "stall-probe";
    }
}
