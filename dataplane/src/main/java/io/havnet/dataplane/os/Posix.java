package io.havnet.dataplane.os;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The socket, file and ioctl system calls the real-I/O drivers use, through FFM with errno
 * captured. Pointers travel as addresses ({@code long}), so a call on the fast path allocates
 * nothing; each instance owns its errno slot, so give every thread (queue) its own instance.
 * Every call returns what the C function returns; {@link #errno()} tells why it failed.
 */
public final class Posix {
    public static final int AF_INET = 2;
    public static final int AF_PACKET = 17;
    public static final int SOCK_DGRAM = 2;
    public static final int SOCK_RAW = 3;
    public static final int SOCK_NONBLOCK = 0x800;
    public static final int SOCK_CLOEXEC = 0x80000;
    public static final int O_RDWR = 2;
    public static final int O_NONBLOCK = 0x800;
    public static final int O_CLOEXEC = 0x80000;
    public static final int MSG_DONTWAIT = 0x40;
    public static final int SOL_SOCKET = 1;
    public static final int SO_RCVBUF = 8;
    public static final int SO_SNDBUF = 7;
    public static final int SO_REUSEADDR = 2;
    public static final int POLLIN = 1;
    public static final int MAP_SHARED = 1;

    private static final ValueLayout.OfLong P = ValueLayout.JAVA_LONG;
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;
    private static final MethodHandle SOCKET = h("socket", FunctionDescriptor.of(I, I, I, I));
    private static final MethodHandle BIND = h("bind", FunctionDescriptor.of(I, I, P, I));
    private static final MethodHandle SETSOCKOPT = h("setsockopt", FunctionDescriptor.of(I, I, I, I, P, I));
    private static final MethodHandle GETSOCKOPT = h("getsockopt", FunctionDescriptor.of(I, I, I, I, P, P));
    private static final MethodHandle CLOSE = h("close", FunctionDescriptor.of(I, I));
    private static final MethodHandle OPEN = h("open", FunctionDescriptor.of(I, P, I), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle READ = h("read", FunctionDescriptor.of(P, I, P, P));
    private static final MethodHandle WRITE = h("write", FunctionDescriptor.of(P, I, P, P));
    private static final MethodHandle SENDTO = h("sendto", FunctionDescriptor.of(P, I, P, P, I, P, I));
    private static final MethodHandle RECVFROM = h("recvfrom", FunctionDescriptor.of(P, I, P, P, I, P, P));
    private static final MethodHandle IOCTL = h("ioctl", FunctionDescriptor.of(I, I, P, P), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle MMAP = h("mmap", FunctionDescriptor.of(P, P, P, I, I, I, P));
    private static final MethodHandle MUNMAP = h("munmap", FunctionDescriptor.of(I, P, P));
    private static final MethodHandle POLL = h("poll", FunctionDescriptor.of(I, P, P, I));
    private static final MethodHandle IF_NAMETOINDEX = h("if_nametoindex", FunctionDescriptor.of(I, P));

    private static MethodHandle h(String name, FunctionDescriptor fd, Linker.Option... more) {
        return Libc.downcallWithErrno(name, fd, more).orElse(null);
    }

    /** True when every call here is available (Linux). */
    public static boolean supported() {
        return SOCKET != null && MMAP != null && IOCTL != null && IF_NAMETOINDEX != null && POLL != null;
    }

    private final Arena arena = Arena.ofAuto();
    private final MemorySegment errno = Libc.newErrnoSlot(arena);
    private final MemorySegment scratch = arena.allocate(256, 16);

    /** 256 bytes of native scratch memory this instance owns (sockaddrs, ifreqs, options). */
    public MemorySegment scratch() {
        return scratch;
    }

    /** The errno of the last call that failed. */
    public int errno() {
        return Libc.errno(errno);
    }

    /** {@code "Operation not permitted (EPERM)"} for the last errno. */
    public String error() {
        return Libc.describe(errno());
    }

    private static IllegalStateException broken(Throwable t) {
        return new IllegalStateException("system call failed to run: " + t, t);
    }

    public int socket(int domain, int type, int protocol) {
        try {
            return (int) SOCKET.invokeExact(errno, domain, type, protocol);
        } catch (Throwable t) {
            throw broken(t);
        }
    }

    public int bind(int fd, long addr, int len) {
        try {
            return (int) BIND.invokeExact(errno, fd, addr, len);
        } catch (Throwable t) {
            throw broken(t);
        }
    }

    public int setsockopt(int fd, int level, int name, long value, int len) {
        try {
            return (int) SETSOCKOPT.invokeExact(errno, fd, level, name, value, len);
        } catch (Throwable t) {
            throw broken(t);
        }
    }

    /** getsockopt into {@code value}, its length in and out at {@code lenAddr}. */
    public int getsockopt(int fd, int level, int name, long value, long lenAddr) {
        try {
            return (int) GETSOCKOPT.invokeExact(errno, fd, level, name, value, lenAddr);
        } catch (Throwable t) {
            throw broken(t);
        }
    }

    /** setsockopt with an int value (written to the scratch area). */
    public int setsockoptInt(int fd, int level, int name, int value) {
        scratch.set(ValueLayout.JAVA_INT, 248, value);
        return setsockopt(fd, level, name, scratch.address() + 248, 4);
    }

    public int close(int fd) {
        try {
            return (int) CLOSE.invokeExact(errno, fd);
        } catch (Throwable t) {
            throw broken(t);
        }
    }

    /** open(path, flags) with the path written to the scratch area. */
    public int open(String path, int flags) {
        scratch.setString(0, path);
        try {
            return (int) OPEN.invokeExact(errno, scratch.address(), flags);
        } catch (Throwable t) {
            throw broken(t);
        }
    }

    public long read(int fd, long buf, long len) {
        try {
            return (long) READ.invokeExact(errno, fd, buf, len);
        } catch (Throwable t) {
            throw broken(t);
        }
    }

    public long write(int fd, long buf, long len) {
        try {
            return (long) WRITE.invokeExact(errno, fd, buf, len);
        } catch (Throwable t) {
            throw broken(t);
        }
    }

    public long sendto(int fd, long buf, long len, int flags, long addr, int addrLen) {
        try {
            return (long) SENDTO.invokeExact(errno, fd, buf, len, flags, addr, addrLen);
        } catch (Throwable t) {
            throw broken(t);
        }
    }

    public long recvfrom(int fd, long buf, long len, int flags, long addr, long addrLen) {
        try {
            return (long) RECVFROM.invokeExact(errno, fd, buf, len, flags, addr, addrLen);
        } catch (Throwable t) {
            throw broken(t);
        }
    }

    public int ioctl(int fd, long request, long arg) {
        try {
            return (int) IOCTL.invokeExact(errno, fd, request, arg);
        } catch (Throwable t) {
            throw broken(t);
        }
    }

    /** mmap(NULL, len, PROT_READ|PROT_WRITE, MAP_SHARED, fd, 0); -1 on failure. */
    public long mmapShared(int fd, long len) {
        try {
            return (long) MMAP.invokeExact(errno, 0L, len, Libc.PROT_READ | Libc.PROT_WRITE, MAP_SHARED, fd, 0L);
        } catch (Throwable t) {
            throw broken(t);
        }
    }

    public int munmap(long addr, long len) {
        try {
            return (int) MUNMAP.invokeExact(errno, addr, len);
        } catch (Throwable t) {
            throw broken(t);
        }
    }

    /** poll on one fd for POLLIN; returns &gt; 0 when readable. */
    public int pollIn(int fd, int timeoutMs) {
        scratch.set(ValueLayout.JAVA_INT, 240, fd);
        scratch.set(ValueLayout.JAVA_INT, 244, POLLIN);
        try {
            return (int) POLL.invokeExact(errno, scratch.address() + 240, 1L, timeoutMs);
        } catch (Throwable t) {
            throw broken(t);
        }
    }

    /** The interface index of {@code name}, or 0 when there is no such interface. */
    public int ifNameToIndex(String name) {
        scratch.setString(0, name);
        try {
            return (int) IF_NAMETOINDEX.invokeExact(errno, scratch.address());
        } catch (Throwable t) {
            throw broken(t);
        }
    }

    /** A short interface name check: 1-15 bytes, no '/', no spaces (IFNAMSIZ). */
    public static String checkIfName(String kind, String name) {
        if (name == null || name.isEmpty() || name.length() > 15 || !name.matches("[A-Za-z0-9_.@:-]+")) {
            throw new IllegalArgumentException(kind + ":" + name + ": not an interface name (1-15 letters, digits, . _ - @ :)");
        }
        return name;
    }
}
