package io.havnet.bench;

import io.havnet.dataplane.os.Affinity;
import io.havnet.dataplane.os.CacheLineDemote;
import io.havnet.dataplane.ring.MpmcRing;
import io.havnet.dataplane.ring.MpscRing;
import io.havnet.dataplane.ring.Ring;
import io.havnet.dataplane.ring.SpscRing;
import org.jctools.queues.MessagePassingQueue;
import org.jctools.queues.MpmcArrayQueue;
import org.jctools.queues.MpscArrayQueue;
import org.jctools.queues.SpscArrayQueue;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code havnet bench ring}: a producer and a consumer on two cores move handles through a ring;
 * ns per handle = wall time / handles. havnet's rings run next to JCTools' queues in the same
 * run, same harness, same cores. Each variant: two warm-up rounds, then the median of
 * {@code rounds} measured rounds, the variants taking turns round by round. Each variant's
 * producer and consumer run in copies of their code of its own ({@link OwnCode}), so no variant
 * runs code the JIT compiled for another. The same two pinned threads run every round
 * ({@link Lcores}), and the heap is collected once between warm-up and measurement, so no
 * collection pause is counted as ring time ({@link #collectionsInRounds()} says if one was).
 */
public final class RingBench {
    private static final int CAPACITY = 4096;
    private static final int CHUNK = 1 << 14;

    private final long handles;
    private final int rounds;
    private final int producerCpu;
    private final int consumerCpu;
    private String pinNotice;

    public RingBench(long handles, int rounds, int producerCpu, int consumerCpu) {
        if (handles < CHUNK || rounds < 1) {
            throw new IllegalArgumentException("ring bench needs at least " + CHUNK + " handles and 1 round");
        }
        this.handles = handles / CHUNK * CHUNK;
        this.rounds = rounds;
        this.producerCpu = producerCpu;
        this.consumerCpu = consumerCpu;
    }

    /** One measured variant: median and best round. */
    public record Result(String name, int burst, double nsPerHandle, double minNsPerHandle, double mops, long handles,
                         int rounds) {
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", name);
            m.put("burst", burst);
            m.put("ns_per_handle", Measure.r3(nsPerHandle));
            m.put("min_ns_per_handle", Measure.r3(minNsPerHandle));
            m.put("mops", Measure.r3(mops));
            m.put("handles", handles);
            m.put("rounds", rounds);
            return m;
        }
    }

    /** Producer and consumer sides of one variant. */
    private interface Side {
        /** Moves {@code count} handles; returns the sum of the handles moved. */
        long run(int count);
    }

    private record Variant(String name, int burst, Supplier<Side[]> make) {}

    public List<Result> runAll() {
        List<Variant> vs = new ArrayList<>();
        for (int burst : new int[] {32, 1}) {
            vs.add(variant("havnet-spsc", burst, Ring.class, () -> new SpscRing("bench", CAPACITY),
                    HavnetProducer.class, HavnetConsumer.class));
        }
        if (CacheLineDemote.active()) {
            // the same ring told that its consumer runs on another core (Ring.F_DEMOTE)
            for (int burst : new int[] {32, 1}) {
                vs.add(variant("havnet-spsc-cldemote", burst, Ring.class,
                        () -> Ring.create("bench", CAPACITY, true, true, Ring.F_DEMOTE), HavnetProducer.class, HavnetConsumer.class));
            }
        }
        for (int burst : new int[] {32, 1}) {
            vs.add(variant("havnet-mpmc", burst, Ring.class, () -> new MpmcRing("bench", CAPACITY),
                    HavnetProducer.class, HavnetConsumer.class));
        }
        // many lcores feeding one (a TX lcore, a worker's input): rte_ring's MP/SC mode
        vs.add(variant("havnet-mpsc", 32, Ring.class, () -> new MpscRing("bench", CAPACITY),
                HavnetProducer.class, HavnetConsumer.class));
        vs.add(variant("jctools-spsc", 1, MessagePassingQueue.class, () -> new SpscArrayQueue<Integer>(CAPACITY),
                JctoolsProducer.class, JctoolsConsumer.class));
        vs.add(variant("jctools-spsc", 32, MessagePassingQueue.class, () -> new SpscArrayQueue<Integer>(CAPACITY),
                JctoolsFillProducer.class, JctoolsDrainConsumer.class));
        vs.add(variant("jctools-mpmc", 1, MessagePassingQueue.class, () -> new MpmcArrayQueue<Integer>(CAPACITY),
                JctoolsProducer.class, JctoolsConsumer.class));
        vs.add(variant("jctools-mpsc", 1, MessagePassingQueue.class, () -> new MpscArrayQueue<Integer>(CAPACITY),
                JctoolsProducer.class, JctoolsConsumer.class));
        // Every queue class is loaded before any variant runs: loading one later (MpmcRing after the
        // SPSC variants ran) invalidates the code the JIT compiled for the variants before it, which
        // is then compiled again during the measured rounds, on whatever profile they leave.
        for (Variant v : vs) {
            v.make().get();
        }
        double[][] ns = new double[vs.size()][rounds];
        try (Lcores lcores = new Lcores()) {
            for (Variant v : vs) { // warm-up: compile both sides of every variant
                lcores.round(v.make().get(), Math.min(handles, 4L << 20));
                lcores.round(v.make().get(), Math.min(handles, 4L << 20));
            }
            // What the warm-up left behind is collected now, not in the first measured rounds.
            System.gc();
            long collections = collections();
            // rounds interleave the variants, so that every implementation sees the same machine noise
            for (int r = 0; r < rounds; r++) {
                for (int i = 0; i < vs.size(); i++) {
                    ns[i][r] = lcores.round(vs.get(i).make().get(), handles) / (double) handles;
                }
            }
            collectionsInRounds = collections() - collections;
        }
        List<Result> out = new ArrayList<>();
        for (int i = 0; i < vs.size(); i++) {
            double med = Measure.median(ns[i]);
            double min = java.util.Arrays.stream(ns[i]).min().orElse(med);
            out.add(new Result(vs.get(i).name(), vs.get(i).burst(), med, min, 1000.0 / med, handles, rounds));
        }
        return out;
    }

    /**
     * The native peer ({@link NativeRing}): the SPSC protocol in C at burst 32, in this harness's
     * capacity, handles, rounds, idle pauses and CPUs.
     */
    public NativeRing.Outcome runNative() {
        return NativeRing.run(CAPACITY, 32, handles, rounds, IDLE_PAUSES, producerCpu, consumerCpu);
    }

    /**
     * The machine's floor for any cross-core queue: the round trip of one cache line between the
     * producer's and the consumer's cores (a ping-pong on one shared field), median of 5 runs.
     */
    public double cacheLineRoundTripNanos() {
        final int trips = 200_000;
        double[] ns = new double[5];
        for (int r = 0; r < ns.length; r++) {
            final java.util.concurrent.atomic.AtomicLong ball = new java.util.concurrent.atomic.AtomicLong();
            Thread pong = Thread.ofPlatform().unstarted(() -> {
                pin(consumerCpu);
                for (long i = 1; i < 2L * trips; i += 2) {
                    while (ball.getAcquire() != i) {
                        Thread.onSpinWait();
                    }
                    ball.setRelease(i + 1);
                }
            });
            final long[] elapsed = new long[1];
            Thread ping = Thread.ofPlatform().unstarted(() -> {
                pin(producerCpu);
                long t0 = System.nanoTime();
                for (long i = 0; i < 2L * trips; i += 2) {
                    while (ball.getAcquire() != i) {
                        Thread.onSpinWait();
                    }
                    ball.setRelease(i + 1);
                }
                elapsed[0] = System.nanoTime() - t0;
            });
            pong.start();
            ping.start();
            join(ping);
            join(pong);
            ns[r] = elapsed[0] / (double) trips;
        }
        return Measure.median(ns);
    }

    /** Why the threads run unpinned, or null. */
    public String pinNotice() {
        return pinNotice;
    }

    /**
     * How many garbage collections ran while the measured rounds of {@link #runAll} did, or -1
     * before it ran. A collection stops both sides for milliseconds, and a round it lands in
     * reports the pause as ring time.
     */
    public long collectionsInRounds() {
        return collectionsInRounds;
    }

    private long collectionsInRounds = -1;

    private static long collections() {
        long n = 0;
        for (java.lang.management.GarbageCollectorMXBean gc : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
            n += Math.max(0, gc.getCollectionCount());
        }
        return n;
    }

    /**
     * The bench's two lcores: a producer and a consumer thread, started and pinned once, that run
     * one round at a time. Until 2026-11-28 every round started two threads of its own; each new
     * thread took a fresh allocation buffer and left most of it unused when it ended, so the rounds
     * filled the young generation with nothing (~90 MB in 12 s) and a collection — 13–22 ms, both
     * sides stopped — landed in a measured round every ten seconds or so, which then reported
     * 1.2–2× its time. Here a round allocates nothing on these threads.
     */
    private final class Lcores implements AutoCloseable {
        private final Thread producer;
        private final Thread consumer;
        // the round being run, guarded by this
        private Side[] sides;
        private long n;
        private long generation;
        private int finished;
        private boolean closed;
        private final long[] sums = new long[2];
        private long end;
        private Throwable failure;

        Lcores() {
            producer = Thread.ofPlatform().name("bench-producer").daemon().unstarted(() -> side(0, producerCpu));
            consumer = Thread.ofPlatform().name("bench-consumer").daemon().unstarted(() -> side(1, consumerCpu));
            producer.start();
            consumer.start();
        }

        /** Runs one round of {@code count} handles over {@code roundSides}; returns elapsed nanoseconds. */
        long round(Side[] roundSides, long count) {
            long t0;
            synchronized (this) {
                sides = roundSides;
                n = count;
                finished = 0;
                failure = null;
                t0 = System.nanoTime();
                generation++;
                notifyAll();
                while (finished < 2) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException("ring bench interrupted");
                    }
                }
                if (failure != null) {
                    throw new IllegalStateException("ring bench: " + failure, failure);
                }
                if (sums[0] != sums[1]) {
                    throw new IllegalStateException("ring bench: consumer saw checksum " + sums[1] + ", producer sent " + sums[0]);
                }
                return end - t0;
            }
        }

        /** Side {@code who} (0 producer, 1 consumer): waits for each round, runs its part, reports. */
        private void side(int who, int cpu) {
            pin(cpu);
            long seen = 0;
            while (true) {
                Side me;
                long count;
                synchronized (this) {
                    while (generation == seen && !closed) {
                        try {
                            wait();
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                    if (closed) {
                        return;
                    }
                    seen = generation;
                    me = sides[who];
                    count = n;
                }
                long s = 0;
                long t = 0;
                Throwable failed = null;
                try {
                    for (long v = 0; v < count; v += CHUNK) {
                        s += me.run(CHUNK);
                    }
                    t = System.nanoTime();
                } catch (Throwable e) {
                    failed = e;
                }
                synchronized (this) {
                    sums[who] = s;
                    if (who == 1) {
                        end = t;
                    }
                    if (failed != null) {
                        failure = failed;
                    }
                    finished++;
                    notifyAll();
                }
            }
        }

        @Override
        public void close() {
            synchronized (this) {
                closed = true;
                notifyAll();
            }
            join(producer);
            join(consumer);
        }
    }

    private void pin(int cpu) {
        if (cpu >= 0) {
            String refused = Affinity.pinCurrentThread(cpu);
            if (refused != null) {
                pinNotice = refused;
            }
        }
    }

    private static void join(Thread t) {
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * What every producer and consumer here does when the queue is full or empty, for all
     * implementations alike: {@value #IDLE_PAUSES} PAUSE instructions, so a waiting side lets the
     * other run ahead instead of pulling its cache lines back and forth one burst at a time.
     */
    static int backoff(int ignored) {
        for (int i = 0; i < IDLE_PAUSES; i++) {
            Thread.onSpinWait();
        }
        return 1;
    }

    static final int IDLE_PAUSES = 256;

    // ----------------------------------------------------------------- havnet rings

    /** The handles every havnet producer enqueues, one chunk's worth, made once. */
    private static final int[] HANDLES = new int[CHUNK];
    /** Boxed values made once, so the peer pays no allocation per element either. */
    private static final Integer[] BOXES = new Integer[CHUNK];

    static {
        for (int i = 0; i < CHUNK; i++) {
            HANDLES[i] = i;
            BOXES[i] = i; // values above the Integer cache are distinct objects, created once here
        }
    }

    /**
     * A variant whose producer and consumer run copies of their own of {@code producer} and
     * {@code consumer} ({@link OwnCode}), each constructed as {@code (queue, burst)} around a fresh
     * queue every round.
     */
    private static Variant variant(String name, int burst, Class<?> queueType, Supplier<?> queue,
                                   Class<? extends Side> producer, Class<? extends Side> consumer) {
        MethodHandles.Lookup here = MethodHandles.lookup();
        MethodHandle p = OwnCode.constructor(here, producer, Side.class, queueType, int.class);
        MethodHandle c = OwnCode.constructor(here, consumer, Side.class, queueType, int.class);
        return new Variant(name, burst, () -> {
            Object q = queue.get();
            return new Side[] {OwnCode.make(p, Side.class, q, burst), OwnCode.make(c, Side.class, q, burst)};
        });
    }

    /**
     * The producer hands the ring handles it already has in an array (as a PMD's receive or a
     * mempool's bulk get leaves them), the same handles for every chunk — as the JCTools peers
     * offer boxes made once ({@link #BOXES}). Until 2026-11-27 it first wrote each handle into its
     * burst array: a store per handle the peers do not make, and on a VM whose cache lines take
     * ~140 ns between cores, the producer's stores are what its speed is made of.
     */
    private static final class HavnetProducer implements Side {
        private final Ring ring;
        private final int burst;

        HavnetProducer(Ring ring, int burst) {
            this.ring = ring;
            this.burst = burst;
        }

        @Override
        public long run(int count) {
            final Ring r = ring;
            final int[] h = HANDLES;
            long sum = 0;
            int i = 0;
            while (i < count) {
                int k = Math.min(burst, count - i);
                for (int j = i; j < i + k; j++) {
                    sum += h[j];
                }
                int end = i + k;
                while (i < end) {
                    int sent = r.enqueueBurst(h, i, end - i);
                    if (sent == 0) {
                        backoff(0);
                    }
                    i += sent;
                }
            }
            return sum;
        }
    }

    private static final class HavnetConsumer implements Side {
        private final Ring ring;
        private final int burst;
        private final int[] buf;

        HavnetConsumer(Ring ring, int burst) {
            this.ring = ring;
            this.burst = burst;
            this.buf = new int[burst];
        }

        @Override
        public long run(int count) {
            final Ring r = ring;
            final int[] b = buf;
            long sum = 0;
            int left = count;
            int spin = 1;
            while (left > 0) {
                int k = r.dequeueBurst(b, 0, Math.min(burst, left));
                if (k == 0) {
                    spin = backoff(spin);
                    continue;
                }
                spin = 1;
                for (int i = 0; i < k; i++) {
                    sum += b[i];
                }
                left -= k;
            }
            return sum;
        }
    }

    // ----------------------------------------------------------------- JCTools peers

    /** A JCTools side: the queue, and the burst its batch calls ask for ({@code fill}/{@code drain}). */
    private abstract static class JctoolsSide implements Side {
        final MessagePassingQueue<Integer> q;
        final int burst;

        JctoolsSide(MessagePassingQueue<Integer> q, int burst) {
            this.q = q;
            this.burst = burst;
        }
    }

    /** {@code offer}, one element at a time. */
    private static final class JctoolsProducer extends JctoolsSide {
        JctoolsProducer(MessagePassingQueue<Integer> q, int burst) {
            super(q, burst);
        }

        @Override
        public long run(int count) {
            final MessagePassingQueue<Integer> queue = q;
            long sum = 0;
            for (int i = 0; i < count; i++) {
                Integer box = BOXES[i];
                int spin = 1;
                while (!queue.offer(box)) {
                    spin = backoff(spin);
                }
                sum += i;
            }
            return sum;
        }
    }

    /** {@code poll}, one element at a time. */
    private static final class JctoolsConsumer extends JctoolsSide {
        JctoolsConsumer(MessagePassingQueue<Integer> q, int burst) {
            super(q, burst);
        }

        @Override
        public long run(int count) {
            final MessagePassingQueue<Integer> queue = q;
            long sum = 0;
            int left = count;
            int spin = 1;
            while (left > 0) {
                Integer v = queue.poll();
                if (v == null) {
                    spin = backoff(spin);
                    continue;
                }
                spin = 1;
                sum += v;
                left--;
            }
            return sum;
        }
    }

    /**
     * {@code fill} asks a supplier for each element, so the producer's count and checksum live in
     * memory, written once per element; the consumer's likewise. They live in the middle of an
     * array of their own ({@link #STATE}), 128 bytes from anything else: as two plain objects
     * allocated one after the other they shared a cache line, and each side's writes pulled the
     * line from the other core once per element — a cost of the harness, not of the queue.
     */
    private static final class JctoolsFillProducer extends JctoolsSide implements MessagePassingQueue.Supplier<Integer> {
        private final long[] state = new long[2 * STATE + 2];

        JctoolsFillProducer(MessagePassingQueue<Integer> q, int burst) {
            super(q, burst);
        }

        @Override
        public Integer get() {
            long[] st = state;
            int i = (int) st[STATE]++;
            st[STATE + 1] += i;
            return BOXES[i];
        }

        @Override
        public long run(int count) {
            long[] st = state;
            st[STATE] = 0;
            st[STATE + 1] = 0;
            int spin = 1;
            while (st[STATE] < count) {
                int k = q.fill(this, Math.min(burst, count - (int) st[STATE]));
                spin = k == 0 ? backoff(spin) : 1;
            }
            return st[STATE + 1];
        }
    }

    private static final class JctoolsDrainConsumer extends JctoolsSide implements MessagePassingQueue.Consumer<Integer> {
        private final long[] state = new long[2 * STATE + 2];

        JctoolsDrainConsumer(MessagePassingQueue<Integer> q, int burst) {
            super(q, burst);
        }

        @Override
        public void accept(Integer v) {
            long[] st = state;
            st[STATE] += v;
            st[STATE + 1]++;
        }

        @Override
        public long run(int count) {
            long[] st = state;
            st[STATE] = 0;
            st[STATE + 1] = 0;
            int spin = 1;
            while (st[STATE + 1] < count) {
                int k = q.drain(this, Math.min(burst, count - (int) st[STATE + 1]));
                spin = k == 0 ? backoff(spin) : 1;
            }
            return st[STATE];
        }
    }

    /** Index of a side's first state word: 16 longs (128 bytes) of the array lie before it, 16 after. */
    private static final int STATE = 16;
}
