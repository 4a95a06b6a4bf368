package io.havnet.dataplane.agent;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;

/**
 * Waits for the JIT compiler to settle before a measurement. On a machine with as many busy-polling
 * lcores as CPUs, the compiler threads take their CPU time from the lcores, in slices of
 * milliseconds: queues overflow and latencies jump while hot code is still being compiled, which
 * is the compiler's cost, not the dataplane's.
 */
public final class JitSettle {
    private JitSettle() {}

    /**
     * Sleeps in windows of {@code windowMillis} until one spent at most {@code maxShare} of its time
     * compiling, or {@code maxMillis} passed. Whatever should be compiled must be running meanwhile.
     *
     * @return milliseconds waited
     */
    public static long await(long windowMillis, double maxShare, long maxMillis) {
        return await(() -> {
            try {
                Thread.sleep(windowMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, maxShare, 1, maxMillis);
    }

    /**
     * Runs {@code window} (the work whose code should compile) again and again until
     * {@code quietWindows} in a row each spent at most {@code maxShare} of its time compiling, or
     * {@code maxMillis} passed. Returns at once on a JVM that does not time its compiler.
     *
     * @return milliseconds spent
     */
    public static long await(Runnable window, double maxShare, int quietWindows, long maxMillis) {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        long t0 = System.nanoTime();
        if (jit == null || !jit.isCompilationTimeMonitoringSupported()) {
            return 0;
        }
        long deadline = t0 + maxMillis * 1_000_000L;
        int quiet = 0;
        while (quiet < quietWindows && System.nanoTime() < deadline && !Thread.currentThread().isInterrupted()) {
            long c0 = jit.getTotalCompilationTime();
            long w0 = System.nanoTime();
            window.run();
            long compiled = jit.getTotalCompilationTime() - c0;
            long wall = (System.nanoTime() - w0) / 1_000_000L;
            quiet = compiled <= maxShare * wall ? quiet + 1 : 0;
        }
        return (System.nanoTime() - t0) / 1_000_000L;
    }
}
