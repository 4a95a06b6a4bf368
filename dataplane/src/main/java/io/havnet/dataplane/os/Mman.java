package io.havnet.dataplane.os;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/** mmap(2)/munmap(2) through FFM, for hugetlb-backed memory regions. */
public final class Mman {
    private static final MethodHandle MMAP = Libc.downcallWithErrno("mmap", FunctionDescriptor.of(
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG)).orElse(null);
    private static final MethodHandle MUNMAP = Libc.downcall("munmap", FunctionDescriptor.of(
            ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG)).orElse(null);

    private Mman() {}

    /** True when mmap is callable here (Linux and friends). */
    public static boolean supported() {
        return MMAP != null && MUNMAP != null;
    }

    /** Result of an anonymous mapping attempt: the address, or the errno that refused it. */
    public record Mapping(long address, int errno) {
        public boolean ok() {
            return address != Libc.MAP_FAILED;
        }
    }

    /** mmap(NULL, length, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|extraFlags, -1, 0). */
    public static Mapping mapAnonymous(long length, int extraFlags) {
        if (!supported()) {
            return new Mapping(Libc.MAP_FAILED, Libc.ENODEV);
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment errno = Libc.newErrnoSlot(a);
            long addr = (long) MMAP.invokeExact(errno, 0L, length, Libc.PROT_READ | Libc.PROT_WRITE,
                    Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS | extraFlags, -1, 0L);
            return new Mapping(addr, addr == Libc.MAP_FAILED ? Libc.errno(errno) : 0);
        } catch (Throwable t) {
            throw new IllegalStateException("mmap downcall failed: " + t, t);
        }
    }

    /** munmap(address, length); returns 0 on success. */
    public static int unmap(long address, long length) {
        try {
            return (int) MUNMAP.invokeExact(address, length);
        } catch (Throwable t) {
            throw new IllegalStateException("munmap downcall failed: " + t, t);
        }
    }
}
