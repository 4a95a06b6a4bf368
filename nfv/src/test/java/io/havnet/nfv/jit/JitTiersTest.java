package io.havnet.nfv.jit;

import io.havnet.dataplane.TestEnv;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every network function's fast path must compile at every JIT tier. A method the C1 compiler
 * gives up on ("COMPILE SKIPPED: out of virtual registers") is left in code that gathers no
 * profile, and whether C2 ever takes it over then depends on timing: ESP ran at 0.6 Mpps in some
 * JVMs and 1.1 Mpps in others until {@code EspEncap.process} was split. The functions run hot in
 * a JVM of their own with {@code -XX:+PrintCompilation}, and its log is read.
 */
class JitTiersTest {
    @Test
    void everyNetworkFunctionsFastPathCompilesAtEveryTier() {
        TestEnv.CompileLog log = TestEnv.CompileLog.of(HotLoops.class.getName(), "3");
        assertEquals(List.of(), log.skipped(), "methods a JIT tier gave up on");
        for (String m : List.of("EspEncap::process", "EspDecap::process", "VlanFunction::process", "VxlanEncap::process",
                "VxlanDecap::process")) {
            assertTrue(log.reachedC2(m), m + " never reached C2 (tier 4)");
        }
    }
}
