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

    /**
     * CRC32 of {@code all} outside the given ranges ({@code start, length} pairs, offsets into
     * {@code all}): the canary that isolation tests compare before and after an attack.
     */
    public static long crcOutside(java.lang.foreign.MemorySegment all, long... excludedStartAndLength) {
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        long pos = 0;
        long size = all.byteSize();
        while (pos < size) {
            long next = size;
            long skipTo = -1;
            for (int i = 0; i < excludedStartAndLength.length; i += 2) {
                long s = excludedStartAndLength[i];
                long e = s + excludedStartAndLength[i + 1];
                if (pos >= s && pos < e) {
                    skipTo = Math.max(skipTo, e);
                } else if (s > pos && s < next) {
                    next = s;
                }
            }
            if (skipTo >= 0) {
                pos = skipTo;
                continue;
            }
            crc.update(all.asSlice(pos, next - pos).asByteBuffer());
            pos = next;
        }
        return crc.getValue();
    }

    public static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** The Debian python that has the distribution's modules (scapy, prometheus-client). */
    public static final String PYTHON = "/usr/bin/python3";

    /** True when {@link #PYTHON} can import {@code module}. */
    public static boolean pythonModule(String module) {
        if (!Files.isExecutable(Path.of(PYTHON))) {
            return false;
        }
        try {
            return exec(java.util.List.of(PYTHON, "-c", "import " + module), null, 60).exit() == 0;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** True when {@code tool} is an executable on the PATH or in /usr/sbin, /usr/bin, /sbin. */
    public static boolean hasTool(String tool) {
        for (String d : (System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/usr/bin:/sbin").split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }

    /** What a finished process left: its exit code, stdout and stderr. */
    public record Result(int exit, String out, String err) {
        /** Fails the test with the process's output unless it exited 0. */
        public Result ok() {
            if (exit != 0) {
                Assertions.fail("exit " + exit + "\nstdout:\n" + out + "\nstderr:\n" + err);
            }
            return this;
        }
    }

    /** Runs {@code cmd} with {@code stdin} (may be null), killing it after {@code timeoutSeconds}. */
    public static Result exec(java.util.List<String> cmd, String stdin, long timeoutSeconds) {
        try {
            Path out = Files.createTempFile("havnet-exec", ".out");
            Path err = Files.createTempFile("havnet-exec", ".err");
            try {
                ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
                Process p = pb.start();
                try (var in = p.getOutputStream()) {
                    if (stdin != null) {
                        in.write(stdin.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    }
                }
                if (!p.waitFor(timeoutSeconds, java.util.concurrent.TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    Assertions.fail(cmd + " did not finish in " + timeoutSeconds + " s");
                }
                return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * What the JIT did while {@code mainClass} ran in a JVM of its own on this test's class path
     * ({@code -XX:+PrintCompilation}): a hot method that a tier gives up on stays in code that
     * gathers no profile, and whether C2 ever compiles it then depends on timing.
     */
    public record CompileLog(String text) {
        public static CompileLog of(String mainClass, String... args) {
            java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--enable-native-access=ALL-UNNAMED",
                    "-XX:+PrintCompilation", "-cp", System.getProperty("java.class.path"), mainClass));
            cmd.addAll(java.util.List.of(args));
            return new CompileLog(exec(cmd, null, 300).ok().out());
        }

        /** Compilations of havnet's methods that a tier skipped (a retry after concurrent class loading is not one). */
        public java.util.List<String> skipped() {
            return text.lines().filter(l -> l.contains("COMPILE SKIPPED") && l.contains("io.havnet.")
                    && !l.contains("concurrent class loading")).map(String::strip).toList();
        }

        /** True when {@code method} ("Class::name", without package) was compiled by C2 (tier 4). */
        public boolean reachedC2(String method) {
            return text.lines().anyMatch(l -> l.contains(" 4       io.havnet.") && l.contains("." + method + " "));
        }
    }
}
