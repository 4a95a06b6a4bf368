package io.havnet.dataplane.os;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * CLDEMOTE, as DPDK's {@code rte_cldemote}: asks the CPU to move cache lines from this core's
 * private caches to the cache all cores share, so the core that reads them next takes them from
 * there instead of snooping them out of this core (Intel SDM, "CLDEMOTE — Cache Line Demote").
 * A hint: it changes no data and no ordering, and a CPU without it executes it as a NOP.
 *
 * <p>Java has no instruction for it, so havnet writes a 35-byte routine into a page of its own
 * (mapped writable, then made read-and-execute only, W^X) and calls it through FFM as a critical
 * downcall ({@code demote(address, lines)}: one CLDEMOTE per 64-byte line; a second range may
 * follow). A call costs ~2.7 ns here, ~4.5 ns with two lines to demote (a loop of 5·10^7
 * calls), so it pays only where another core reads the lines next and that core is the slower side
 * (docs/performance.md, "Filled lines demoted to the shared cache").
 * {@link #active()} is true on x86-64 Linux whose CPU reports {@code cldemote} in
 * {@code /proc/cpuinfo}; elsewhere {@link #why()} says why not.
 */
public final class CacheLineDemote {
    private static final int PROT_EXEC = 0x4;
    /**
     * {@code void demote(void *p, long lines, void *q, long qlines)}, System V AMD64: p, lines,
     * q, qlines in RDI, RSI, RDX, RCX. Two ranges, so a ring whose completed lines wrap past its
     * end demotes them in one call. A CLDEMOTE is NP 0F 1C /0; ModRM 07 is [RDI], 02 is [RDX].
     */
    private static final byte[] ROUTINE = {
            0x48, (byte) 0x85, (byte) 0xF6,        // 00: test rsi, rsi
            0x7E, 0x0C,                            // 03: jle  second
            0x0F, 0x1C, 0x07,                      // 05: cldemote [rdi]
            0x48, (byte) 0x83, (byte) 0xC7, 0x40,  // 08: add  rdi, 64
            0x48, (byte) 0xFF, (byte) 0xCE,        // 0c: dec  rsi
            0x75, (byte) 0xF4,                     // 0f: jnz  05
            0x48, (byte) 0x85, (byte) 0xC9,        // 11: second: test rcx, rcx
            0x7E, 0x0C,                            // 14: jle  ret
            0x0F, 0x1C, 0x02,                      // 16: cldemote [rdx]
            0x48, (byte) 0x83, (byte) 0xC2, 0x40,  // 19: add  rdx, 64
            0x48, (byte) 0xFF, (byte) 0xC9,        // 1d: dec  rcx
            0x75, (byte) 0xF4,                     // 20: jnz  16
            (byte) 0xC3,                           // 22: ret
    };

    private static final MethodHandle DEMOTE;
    private static final String WHY;
    /** True when the routine is built: {@link #demote} may be called (a NOP on a CPU without CLDEMOTE). */
    private static final boolean BUILT;
    private static final boolean ACTIVE;

    static {
        MethodHandle h = null;
        String why = null;
        String arch = System.getProperty("os.arch", "");
        if (!Libc.LINUX || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            why = "CLDEMOTE is an x86-64 instruction; this is " + System.getProperty("os.name") + "/" + arch;
        } else {
            try {
                h = build();
            } catch (Throwable t) {
                why = "cannot place the CLDEMOTE routine in executable memory: " + t.getMessage();
            }
            if (h != null && !cpuFlag("cldemote")) {
                why = "this CPU does not report cldemote in /proc/cpuinfo";
            }
        }
        DEMOTE = h;
        BUILT = h != null;
        ACTIVE = BUILT && why == null;
        WHY = why;
    }

    private CacheLineDemote() {}

    /** True when demoting lines does something here: x86-64 Linux, a CPU with CLDEMOTE. */
    public static boolean active() {
        return ACTIVE;
    }

    /** True when {@link #demote} may be called (it may still be a NOP: see {@link #active()}). */
    public static boolean callable() {
        return BUILT;
    }

    /** Why {@link #active()} is false, in one line; null when it is true. */
    public static String why() {
        return WHY;
    }

    /**
     * Demotes {@code lines} cache lines from the one holding {@code address} on. Only for
     * addresses of memory the caller owns; a hint, so it never faults on a mapped address.
     */
    public static void demote(long address, long lines) {
        demote(address, lines, 0, 0);
    }

    /** Demotes {@code lines} lines from {@code address} on, then {@code lines2} from {@code address2} on. */
    public static void demote(long address, long lines, long address2, long lines2) {
        MethodHandle routine = handle(); // where it could not be built: the reason, unwrapped
        try {
            routine.invokeExact(address, lines, address2, lines2);
        } catch (Throwable t) {
            throw new IllegalStateException("cldemote: " + t, t);
        }
    }

    /**
     * The routine as a method handle of type {@code (long address, long lines, long address2,
     * long lines2)void}, for a caller that must not pay a Java call on top of the native one: the
     * JIT inlines a method handle held in a {@code static final} field wherever it is invoked,
     * where a call to {@link #demote} is inlined only where the caller's profile says it is
     * frequent (a demoting ring's enqueue; docs/performance.md, "Demoting rings compiled alike in
     * every JVM").
     *
     * @throws IllegalStateException with the reason when the routine could not be built
     */
    public static MethodHandle handle() {
        if (!BUILT) {
            throw new IllegalStateException("cldemote: " + WHY);
        }
        return DEMOTE;
    }

    private static MethodHandle build() throws Throwable {
        MethodHandle mprotect = Libc.downcall("mprotect", FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT)).orElseThrow(
                () -> new IllegalStateException("no mprotect"));
        long page = 4096;
        Mman.Mapping m = Mman.mapAnonymous(page, 0);
        if (!m.ok()) {
            throw new IllegalStateException("mmap: errno " + m.errno());
        }
        MemorySegment code = MemorySegment.ofAddress(m.address()).reinterpret(page);
        MemorySegment.copy(ROUTINE, 0, code, ValueLayout.JAVA_BYTE, 0, ROUTINE.length);
        int rc = (int) mprotect.invokeExact(m.address(), page, Libc.PROT_READ | PROT_EXEC);
        if (rc != 0) {
            Mman.unmap(m.address(), page);
            throw new IllegalStateException("mprotect(PROT_READ|PROT_EXEC) refused");
        }
        // the page lives as long as the process: the handle may be called until it exits
        return Linker.nativeLinker().downcallHandle(code, FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG,
                ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG), Linker.Option.critical(false));
    }

    /** True when the first CPU's flags in /proc/cpuinfo name {@code flag}. */
    static boolean cpuFlag(String flag) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.toLowerCase(Locale.ROOT).startsWith("flags")) {
                    for (String f : line.substring(line.indexOf(':') + 1).trim().split("\\s+")) {
                        if (f.equals(flag)) {
                            return true;
                        }
                    }
                    return false;
                }
            }
        } catch (IOException | RuntimeException e) {
            return false;
        }
        return false;
    }
}
