package io.havnet.bench;

import java.lang.management.ManagementFactory;
import java.util.Arrays;

/** Helpers shared by the bench harnesses: medians, the thread's allocated bytes, waiting out a measurement. */
public final class Measure {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private Measure() {}

    public static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    /** Bytes the calling thread has allocated on the heap so far (HotSpot's TLAB accounting). */
    public static long allocatedBytes() {
        return THREADS.getCurrentThreadAllocatedBytes();
    }

    /** Sleeps {@code s} seconds; an interrupt ends the wait early and stays set. */
    public static void sleep(double s) {
        try {
            Thread.sleep((long) (s * 1000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Round to 3 decimals for reports. */
    public static double r3(double v) {
        return Math.round(v * 1000.0) / 1000.0;
    }
}
