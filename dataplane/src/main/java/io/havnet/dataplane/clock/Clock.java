package io.havnet.dataplane.clock;

/**
 * The time source of everything that paces or stamps packets (generators, rate limiters, pcap
 * replay). Injectable so that tests advance time by hand ({@link ManualClock}).
 */
@FunctionalInterface
public interface Clock {
    /** Monotonic nanoseconds. */
    long nanoTime();

    /** {@link System#nanoTime()}. */
    Clock SYSTEM = System::nanoTime;
}
