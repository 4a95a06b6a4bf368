package io.havnet.bench.jmh;

import io.havnet.dataplane.ring.Ring;
import org.jctools.queues.SpscArrayQueue;
import org.openjdk.jmh.annotations.*;
import org.openjdk.jmh.infra.Control;

import java.util.concurrent.TimeUnit;

/**
 * Cross-thread ring throughput as a JMH group: one producer thread, one consumer thread.
 * {@code impl=havnet-spsc} moves bursts of 32 int handles; {@code impl=jctools-spsc} offers and
 * polls boxed values one at a time. Score: operations (handles) per µs per thread side.
 * Run: {@code ./havnet jmh RingJmh -prof gc}
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"})
@State(Scope.Group)
public class RingJmh {
    private static final int BURST = 32;
    private static final Integer[] BOXES = new Integer[BURST];

    static {
        for (int i = 0; i < BURST; i++) {
            BOXES[i] = 1000 + i;
        }
    }

    @Param({"havnet-spsc", "jctools-spsc"})
    public String impl;

    private Ring ring;
    private SpscArrayQueue<Integer> queue;

    @Setup(Level.Iteration)
    public void setUp() {
        ring = Ring.create("jmh", 4096, true, true);
        queue = new SpscArrayQueue<>(4096);
    }

    @State(Scope.Thread)
    public static class Buf {
        final int[] a = new int[BURST];
    }

    /** Returns handles moved (JMH counts one op per call: divide score by burst for havnet). */
    @Benchmark
    @Group("spsc")
    @OperationsPerInvocation(BURST)
    public int produce(Buf b, Control ctl) {
        if (impl.equals("havnet-spsc")) {
            int off = 0;
            while (off < BURST && !ctl.stopMeasurement) {
                off += ring.enqueueBurst(b.a, off, BURST - off);
            }
            return off;
        }
        int n = 0;
        for (int i = 0; i < BURST && !ctl.stopMeasurement; ) {
            if (queue.offer(BOXES[i])) {
                i++;
                n++;
            }
        }
        return n;
    }

    @Benchmark
    @Group("spsc")
    @OperationsPerInvocation(BURST)
    public int consume(Buf b, Control ctl) {
        if (impl.equals("havnet-spsc")) {
            int got = 0;
            while (got < BURST && !ctl.stopMeasurement) {
                got += ring.dequeueBurst(b.a, 0, BURST - got);
            }
            return got;
        }
        int got = 0;
        while (got < BURST && !ctl.stopMeasurement) {
            if (queue.poll() != null) {
                got++;
            }
        }
        return got;
    }
}
