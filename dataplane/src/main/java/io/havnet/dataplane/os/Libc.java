package io.havnet.dataplane.os;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Locale;
import java.util.Optional;

/**
 * Downcalls into the C library through FFM. Every function is looked up lazily; on a system
 * without it (not Linux) {@link #available(String)} is false and callers degrade with a notice.
 * Calls that can fail capture {@code errno} (FFM {@code captureCallState}) so errors can be
 * reported as one line: {@code "mmap: Cannot allocate memory (ENOMEM)"}.
 */
public final class Libc {
    public static final boolean LINUX =
            System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux");

    public static final int PROT_READ = 0x1;
    public static final int PROT_WRITE = 0x2;
    public static final int MAP_SHARED = 0x01;
    public static final int MAP_PRIVATE = 0x02;
    public static final int MAP_ANONYMOUS = 0x20;
    public static final int MAP_NORESERVE = 0x4000;
    public static final int MAP_POPULATE = 0x8000;
    public static final int MAP_HUGETLB = 0x40000;
    public static final long MAP_FAILED = -1L;

    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int EINTR = 4;
    public static final int EIO = 5;
    public static final int ENXIO = 6;
    public static final int EBADF = 9;
    public static final int EAGAIN = 11;
    public static final int ENOMEM = 12;
    public static final int EACCES = 13;
    public static final int EBUSY = 16;
    public static final int ENODEV = 19;
    public static final int EINVAL = 22;
    public static final int ENETDOWN = 100;
    public static final int ENOBUFS = 105;

    static final Linker LINKER = Linker.nativeLinker();
    static final SymbolLookup LOOKUP = LINKER.defaultLookup();
    static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    private Libc() {}

    /** True when the C library exports {@code symbol} here. */
    public static boolean available(String symbol) {
        return LOOKUP.find(symbol).isPresent();
    }

    /**
     * A downcall handle for {@code symbol} that captures errno: the first argument of every call
     * is the capture segment (see {@link #newErrnoSlot(Arena)}). Empty if the symbol is absent.
     */
    public static Optional<MethodHandle> downcallWithErrno(String symbol, FunctionDescriptor fd,
                                                            Linker.Option... more) {
        Linker.Option[] opts = new Linker.Option[more.length + 1];
        opts[0] = CAPTURE_ERRNO;
        System.arraycopy(more, 0, opts, 1, more.length);
        return LOOKUP.find(symbol).map(addr -> LINKER.downcallHandle(addr, fd, opts));
    }

    /** A plain downcall handle for {@code symbol}; empty if the symbol is absent. */
    public static Optional<MethodHandle> downcall(String symbol, FunctionDescriptor fd, Linker.Option... opts) {
        return LOOKUP.find(symbol).map(addr -> LINKER.downcallHandle(addr, fd, opts));
    }

    /** A segment to pass as the errno capture argument; reuse it per call site to avoid allocation. */
    public static MemorySegment newErrnoSlot(Arena arena) {
        return arena.allocate(CAPTURE_LAYOUT);
    }

    /** The errno captured by the last call that used {@code slot}. */
    public static int errno(MemorySegment slot) {
        return (int) ERRNO.get(slot, 0L);
    }

    /** {@code "Cannot allocate memory (ENOMEM)"}: strerror text plus the symbolic name when known. */
    public static String describe(int errno) {
        String text = Strerror.text(errno);
        String name = errnoName(errno);
        return name == null ? text : text + " (" + name + ")";
    }

    static String errnoName(int errno) {
        return switch (errno) {
            case EPERM -> "EPERM";
            case ENOENT -> "ENOENT";
            case EINTR -> "EINTR";
            case EIO -> "EIO";
            case ENXIO -> "ENXIO";
            case EBADF -> "EBADF";
            case EAGAIN -> "EAGAIN";
            case ENOMEM -> "ENOMEM";
            case EACCES -> "EACCES";
            case EBUSY -> "EBUSY";
            case ENODEV -> "ENODEV";
            case EINVAL -> "EINVAL";
            case ENETDOWN -> "ENETDOWN";
            case ENOBUFS -> "ENOBUFS";
            default -> null;
        };
    }

    /** strerror(3), looked up on first use. */
    private static final class Strerror {
        private static final MethodHandle STRERROR = downcall("strerror",
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT)).orElse(null);

        static String text(int errno) {
            if (STRERROR == null) {
                return "errno " + errno;
            }
            try {
                MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
                return s.reinterpret(256).getString(0);
            } catch (Throwable t) {
                return "errno " + errno;
            }
        }
    }
}
