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
     * Returns once a window of {@code windowMillis} passed with at most {@code maxShare} of it spent
     * compiling, or after {@code maxMillis}. Whatever should be compiled must be running meanwhile.
     *
     * @return milliseconds waited
     */
    public static long await(long windowMillis, double maxShare, long maxMillis) {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        long t0 = System.nanoTime();
        if (jit == null || !jit.isCompilationTimeMonitoringSupported()) {
            return 0;
        }
        long deadline = t0 + maxMillis * 1_000_000L;
        while (System.nanoTime() < deadline) {
            long c0 = jit.getTotalCompilationTime();
            long w0 = System.nanoTime();
            try {
                Thread.sleep(windowMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            long compiled = jit.getTotalCompilationTime() - c0;
            long wall = (System.nanoTime() - w0) / 1_000_000L;
            if (compiled <= maxShare * wall) {
                break;
            }
        }
        return (System.nanoTime() - t0) / 1_000_000L;
    }
}
