package io.havnet.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code bench ring}'s native peer: {@code spsc_ring.c} (a resource next to this class) is havnet's
 * SPSC ring protocol in C, in the same harness — capacity, bursts, handles, rounds, idle pauses and
 * CPUs as the Java variants — plus what Java cannot issue (a software prefetch, CLDEMOTE inline).
 * Compiled with the machine's C compiler ({@value #FLAGS}) into a temporary directory and run as a
 * process of its own; {@link #run} returns its variants as {@link RingBench.Result}s.
 */
public final class NativeRing {
    static final String FLAGS = "-O2 -march=native -pthread";

    private NativeRing() {}

    /** The results, or why there are none. */
    public record Outcome(List<RingBench.Result> results, String compiler, String why) {}

    /** The C compiler on this machine ({@code cc}, else {@code gcc}), or null. */
    public static String compiler() {
        for (String name : new String[] {"cc", "gcc"}) {
            for (String dir : (System.getenv().getOrDefault("PATH", "") + ":/usr/bin:/usr/local/bin").split(":")) {
                if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) {
                    return Path.of(dir, name).toString();
                }
            }
        }
        return null;
    }

    public static Outcome run(int capacity, int burst, long handles, int rounds, int pauses, int producerCpu,
                              int consumerCpu) {
        String cc = compiler();
        if (cc == null) {
            return new Outcome(List.of(), null, "no C compiler (cc or gcc) on this machine");
        }
        Path dir = null;
        try {
            dir = Files.createTempDirectory("havnet-native-ring");
            Path src = dir.resolve("spsc_ring.c");
            try (InputStream in = NativeRing.class.getResourceAsStream("spsc_ring.c")) {
                if (in == null) {
                    return new Outcome(List.of(), cc, "spsc_ring.c is missing from the bench jar");
                }
                Files.copy(in, src);
            }
            Path exe = dir.resolve("spsc_ring");
            List<String> compile = new ArrayList<>(List.of(cc));
            compile.addAll(List.of(FLAGS.split(" ")));
            compile.addAll(List.of("-o", exe.toString(), src.toString()));
            Done c = exec(compile, 120);
            if (c.exit != 0) {
                return new Outcome(List.of(), cc, "the C peer did not compile: " + lastLine(c.out));
            }
            // ~4 variants x (2 warm-ups + rounds) x handles at a few ns each, with a wide margin
            long timeout = 60 + 4L * (rounds + 2) * Math.max(1, handles / 10_000_000L) * 2;
            Done r = exec(List.of(exe.toString(), Integer.toString(capacity), Integer.toString(burst),
                    Long.toString(handles), Integer.toString(rounds), Integer.toString(pauses),
                    Integer.toString(producerCpu), Integer.toString(consumerCpu)), timeout);
            if (r.exit != 0) {
                return new Outcome(List.of(), cc, "the C peer failed (exit " + r.exit + "): " + lastLine(r.out));
            }
            return new Outcome(parse(r.out, handles, rounds), cc + " " + FLAGS, null);
        } catch (IllegalStateException | NumberFormatException e) {
            return new Outcome(List.of(), cc, "the C peer's output: " + e.getMessage());
        } catch (IOException e) {
            return new Outcome(List.of(), cc, "the C peer could not run: " + e.getMessage());
        } finally {
            deleteQuietly(dir);
        }
    }

    /** Lines of {@code name burst median best}. */
    static List<RingBench.Result> parse(String out, long handles, int rounds) {
        List<RingBench.Result> results = new ArrayList<>();
        if (out.isBlank()) {
            throw new IllegalStateException("nothing printed");
        }
        for (String line : out.strip().split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length != 4) {
                throw new IllegalStateException("the C peer printed an unexpected line: " + line);
            }
            double med = Double.parseDouble(f[2]);
            results.add(new RingBench.Result(f[0], Integer.parseInt(f[1]), med, Double.parseDouble(f[3]),
                    1000.0 / med, handles / 16384 * 16384, rounds));
        }
        return results;
    }

    private record Done(int exit, String out) {}

    private static Done exec(List<String> cmd, long timeoutSeconds) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Done(-1, "did not finish in " + timeoutSeconds + " s");
            }
            return new Done(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            return new Done(-1, "interrupted");
        }
    }

    private static String lastLine(String out) {
        String s = out.strip();
        int nl = s.lastIndexOf('\n');
        return nl < 0 ? s : s.substring(nl + 1);
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // a temporary directory left behind is harmless
        }
    }
}
