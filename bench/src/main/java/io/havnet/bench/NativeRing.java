package io.havnet.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
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
        String cc = Measure.executable("cc");
        return cc != null ? cc : Measure.executable("gcc");
    }

    /** {@code handles}: per round, a multiple of 16,384 as {@link RingBench} rounds it (the C harness's chunk). */
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
            Measure.Exec c = Measure.exec(compile, 120);
            if (c.exit() != 0) {
                return new Outcome(List.of(), cc, "the C peer did not compile: " + c.lastLine());
            }
            // ~4 variants x (2 warm-ups + rounds) x handles at a few ns each, with a wide margin
            long timeout = 60 + 4L * (rounds + 2) * Math.max(1, handles / 10_000_000L) * 2;
            Measure.Exec r = Measure.exec(List.of(exe.toString(), Integer.toString(capacity), Integer.toString(burst),
                    Long.toString(handles), Integer.toString(rounds), Integer.toString(pauses),
                    Integer.toString(producerCpu), Integer.toString(consumerCpu)), timeout);
            if (r.exit() != 0) {
                return new Outcome(List.of(), cc, "the C peer failed (exit " + r.exit() + "): " + r.lastLine());
            }
            return new Outcome(parse(r.out(), handles, rounds), cc + " " + FLAGS, null);
        } catch (IllegalStateException | NumberFormatException e) {
            return new Outcome(List.of(), cc, "the C peer: " + e.getMessage());
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
                    1000.0 / med, handles, rounds));
        }
        return results;
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
