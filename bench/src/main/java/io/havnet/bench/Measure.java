package io.havnet.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Helpers shared by the bench harnesses: medians, the thread's allocated bytes, waiting out a
 * measurement, and running the native peers (oslat, the C ring).
 */
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

    /** The executable {@code name} on the PATH (or in /usr/bin, /bin), or null. */
    public static String executable(String name) {
        for (String dir : (System.getenv().getOrDefault("PATH", "") + ":/usr/bin:/bin").split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return null;
    }

    /** What a finished process left: its exit code and its output (stdout and stderr together). */
    public record Exec(int exit, String out) {
        /** The output's last line, for a one-line reason. */
        public String lastLine() {
            return out.strip().lines().reduce((a, b) -> b).orElse("");
        }
    }

    /**
     * Runs {@code cmd} to its end; kills it after {@code timeoutSeconds} and says so with an
     * {@link IllegalStateException} (as it does when interrupted).
     */
    public static Exec exec(List<String> cmd, long timeoutSeconds) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(Path.of(cmd.getFirst()).getFileName() + " did not finish in "
                        + timeoutSeconds + " s");
            }
            return new Exec(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
    }
}
