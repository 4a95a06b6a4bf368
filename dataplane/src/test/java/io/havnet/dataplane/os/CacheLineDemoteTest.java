package io.havnet.dataplane.os;

import io.havnet.dataplane.TestEnv;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class CacheLineDemoteTest {
    private static final boolean X86_64_LINUX = Libc.LINUX
            && (System.getProperty("os.arch").equals("amd64") || System.getProperty("os.arch").equals("x86_64"));

    @Test
    void theRoutineRunsAndLeavesTheDataAlone() {
        TestEnv.require(X86_64_LINUX, "CLDEMOTE is an x86-64 instruction and the routine is placed with Linux's mmap");
        assertTrue(CacheLineDemote.callable(), CacheLineDemote.why());
        try (Arena a = Arena.ofConfined()) {
            MemorySegment m = a.allocate(64 * 1024, 64);
            for (long i = 0; i < m.byteSize(); i += 8) {
                m.set(ValueLayout.JAVA_LONG, i, i * 0x9E3779B97F4A7C15L);
            }
            CacheLineDemote.demote(m.address(), m.byteSize() / 64);
            CacheLineDemote.demote(m.address(), 0);
            CacheLineDemote.demote(m.address(), -1); // no lines
            long half = m.byteSize() / 2;
            CacheLineDemote.demote(m.address() + half, half / 64, m.address(), half / 64); // two ranges, as a ring's wrap
            CacheLineDemote.demote(m.address(), 0, m.address() + half, 3); // the second range alone
            for (long i = 0; i < m.byteSize(); i += 8) {
                assertEquals(i * 0x9E3779B97F4A7C15L, m.get(ValueLayout.JAVA_LONG, i));
            }
        }
    }

    @Test
    void itIsActiveExactlyWhereTheCpuSaysItHasCldemote() throws Exception {
        TestEnv.require(X86_64_LINUX, "CLDEMOTE is an x86-64 instruction and the routine is placed with Linux's mmap");
        String flags = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("flags"))
                .findFirst().orElse("");
        boolean cpu = (flags + " ").contains(" cldemote ");
        assertEquals(cpu, CacheLineDemote.active());
        assertEquals(cpu, CacheLineDemote.why() == null, CacheLineDemote.why());
    }
}
