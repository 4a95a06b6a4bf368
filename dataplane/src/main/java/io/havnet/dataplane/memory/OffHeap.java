package io.havnet.dataplane.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Native copies of byte arrays, for frame templates and builders.
 *
 * <p>Why havnet never wraps an array ({@code MemorySegment.ofArray}) or works on a file mapping
 * directly: every access to a segment goes through the JDK's shared access code, which the JIT
 * compiles with the segment classes it saw at each call site. Packet memory is always a plain
 * native segment; if a heap or mapped segment passes through the same code even a few thousand
 * times (a packet builder, a template copied per packet), the call sites may see two or three
 * classes, and whether the hot loops then get inlined accesses or virtual calls depends on
 * the order things ran in. The ESP benchmark moved between 0.6 and 1.1 Mpps from one JVM to
 * the next for that reason. Keeping every segment native keeps every access monomorphic.
 */
public final class OffHeap {
    /**
     * All of memory as one segment: what havnet's fast paths reach mbufs and ring slots through,
     * by raw address, as DPDK reaches them through pointers. A constant, so the JIT folds its
     * bounds and liveness checks away; a segment of a pool or region kept in a field is checked
     * on every access (its session's state, its bounds), which cost a quarter of the NIC's and the
     * guests' time per frame. The price: nothing stops an access to memory that was freed, so
     * memory reached this way lives as long as a data path can use it (see
     * {@link MemoryRegion#close()}). Restricted ({@code reinterpret}): the launcher and the tests
     * enable native access.
     */
    public static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    private OffHeap() {
    }

    /** A native segment holding a copy of {@code bytes}, freed by the garbage collector. */
    public static MemorySegment copyOf(byte[] bytes) {
        MemorySegment s = Arena.ofAuto().allocate(bytes.length, 8);
        MemorySegment.copy(bytes, 0, s, ValueLayout.JAVA_BYTE, 0, bytes.length);
        return s;
    }

    /**
     * A plain native view of {@code s} (same memory, same lifetime): what a file mapping is
     * accessed through, so that mapped segments never reach the shared access code.
     */
    public static MemorySegment plain(MemorySegment s, Arena arena) {
        return MemorySegment.ofAddress(s.address()).reinterpret(s.byteSize(), arena, null);
    }
}
