package io.havnet.dataplane;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Environment checks for tests that need something of the machine (root, huge pages, tools).
 * Elsewhere such a test skips with the stated reason; under {@code CI=true} it must not skip, so
 * the missing requirement fails the run instead.
 */
public final class TestEnv {
    public static final boolean CI = "true".equals(System.getenv("CI"));

    private TestEnv() {}

    /** Skips (or, in CI, fails) with {@code reason} unless {@code available}. */
    public static void require(boolean available, String reason) {
        if (available) {
            return;
        }
        if (CI) {
            Assertions.fail("CI=true but " + reason + " (.ci/run must provide it)");
        }
        Assumptions.abort(reason);
    }

    /** Free 2 MiB huge pages, from /proc/meminfo (0 when unknown). */
    public static long freeHugePages() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("HugePages_Free:")) {
                    return Long.parseLong(line.substring(15).trim());
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }

    public static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }
}
