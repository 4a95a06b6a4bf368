package io.havnet.nic.engine;

import org.openjdk.jmh.annotations.*;
import org.openjdk.jmh.infra.Blackhole;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;

/**
 * What bracketing a NIC engine's pass costs when the pass wrote lines another core reads — as
 * every pass does, writing frames and descriptors into guest memory the guest's core polls.
 * One thread is the engine: it writes one word into each of 8 cache lines, then ends its pass and
 * begins the next. The other is the guest: it reads those lines all the time, so each of the
 * engine's writes needs the line back (an RFO that stays in the store buffer until it completes).
 * {@code pass=answered} is {@link EnginePass} (an acquire load of the request count and release
 * stores); {@code pass=fenced} is the design before it, a volatile store at the start of the pass
 * — a full fence that waits for every pending store. In package {@code io.havnet.nic.engine} for
 * {@code begin}/{@code end}, which the NIC does not export. Score: engine passes per µs.
 * Run: {@code ./havnet jmh EnginePassJmh}
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"})
@State(Scope.Group)
public class EnginePassJmh {
    private static final int LINES = 8;
    private static final int STRIDE = 8; // longs per 64-byte line

    @Param({"answered", "fenced"})
    public String pass;

    private final long[] shared = new long[(LINES + 2) * STRIDE];
    private final EnginePass answered = new EnginePass();
    private final FencedPass fenced = new FencedPass();
    private boolean useFenced;

    @Setup(Level.Trial)
    public void setUp() {
        useFenced = pass.equals("fenced");
    }

    @Benchmark
    @Group("pass")
    public void engine() {
        long[] s = shared;
        for (int i = 1; i <= LINES; i++) {
            s[i * STRIDE]++;
        }
        if (useFenced) {
            fenced.end();
            fenced.begin();
        } else {
            answered.end();
            answered.begin();
        }
    }

    @Benchmark
    @Group("pass")
    public void guest(Blackhole bh) {
        long[] s = shared;
        for (int i = 1; i <= LINES; i++) {
            bh.consume(LONGS.getOpaque(s, i * STRIDE));
        }
    }

    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    /** The pass bracket before {@link EnginePass}: the odd count published with a volatile store. */
    static final class FencedPass {
        private static final VarHandle PASS;

        static {
            try {
                PASS = MethodHandles.lookup().findVarHandle(FencedPass.class, "pass", long.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private volatile long pass;

        void begin() {
            PASS.setVolatile(this, (long) PASS.getOpaque(this) + 1);
        }

        void end() {
            PASS.setRelease(this, (long) PASS.getOpaque(this) + 1);
        }
    }
}
