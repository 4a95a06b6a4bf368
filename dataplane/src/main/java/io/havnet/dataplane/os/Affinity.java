package io.havnet.dataplane.os;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Pins the calling thread to one CPU with sched_setaffinity(2) (pid 0 = the calling thread).
 * Pinning is best effort: where the call is missing or refused (containers, non-Linux) the
 * caller gets the reason and runs unpinned.
 */
public final class Affinity {
    private static final MethodHandle SETAFFINITY = Libc.downcallWithErrno("sched_setaffinity",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG,
                    ValueLayout.ADDRESS)).orElse(null);
    private static final MethodHandle GETCPU = Libc.downcall("sched_getcpu",
            FunctionDescriptor.of(ValueLayout.JAVA_INT)).orElse(null);
    private static final MethodHandle GETTID = Libc.downcall("gettid",
            FunctionDescriptor.of(ValueLayout.JAVA_INT)).orElse(null);
    private static final MethodHandle SETSCHEDULER = Libc.downcallWithErrno("sched_setscheduler",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                    ValueLayout.ADDRESS)).orElse(null);
    private static final int SCHED_IDLE = 5;
    private static final int MASK_BYTES = 128; // cpu_set_t: 1024 CPUs

    private Affinity() {}

    /**
     * Pins the current thread to {@code cpu}.
     *
     * @return null on success, otherwise a one-line reason why the thread stays unpinned
     */
    public static String pinCurrentThread(int cpu) {
        if (SETAFFINITY == null) {
            return "sched_setaffinity is not available on " + System.getProperty("os.name");
        }
        if (cpu < 0 || cpu >= MASK_BYTES * 8) {
            return "cpu " + cpu + " is out of range";
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment mask = a.allocate(MASK_BYTES, 8);
            mask.set(ValueLayout.JAVA_BYTE, cpu / 8, (byte) (1 << (cpu % 8)));
            MemorySegment errno = Libc.newErrnoSlot(a);
            int rc = (int) SETAFFINITY.invokeExact(errno, 0, (long) MASK_BYTES, mask);
            return rc == 0 ? null : "sched_setaffinity(cpu " + cpu + "): " + Libc.describe(Libc.errno(errno));
        } catch (Throwable t) {
            return "sched_setaffinity failed: " + t;
        }
    }

    /** The CPU the calling thread runs on now, or -1 if unknown. */
    public static int currentCpu() {
        if (GETCPU == null) {
            return -1;
        }
        try {
            return (int) GETCPU.invokeExact();
        } catch (Throwable t) {
            return -1;
        }
    }

    /** The kernel's id of the calling thread (gettid(2)), or -1 where there is none. */
    public static int currentTid() {
        if (GETTID == null) {
            return -1;
        }
        try {
            return (int) GETTID.invokeExact();
        } catch (Throwable t) {
            return -1;
        }
    }

    /**
     * Moves thread {@code tid} to SCHED_IDLE (sched_setscheduler(2)): it runs only when nothing
     * else on its CPU wants to — what is left of a thread that cannot be stopped.
     *
     * @return null on success, otherwise a one-line reason
     */
    public static String demoteToIdle(int tid) {
        if (SETSCHEDULER == null || tid <= 0) {
            return "sched_setscheduler is not available" + (tid <= 0 ? " (no thread id)" : " on " + System.getProperty("os.name"));
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment param = a.allocate(ValueLayout.JAVA_INT); // struct sched_param { int sched_priority = 0; }
            MemorySegment errno = Libc.newErrnoSlot(a);
            int rc = (int) SETSCHEDULER.invokeExact(errno, tid, SCHED_IDLE, param);
            return rc == 0 ? null : "sched_setscheduler(" + tid + ", SCHED_IDLE): " + Libc.describe(Libc.errno(errno));
        } catch (Throwable t) {
            return "sched_setscheduler failed: " + t;
        }
    }
}
