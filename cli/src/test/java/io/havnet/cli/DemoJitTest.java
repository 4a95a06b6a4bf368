package io.havnet.cli;

import io.havnet.dataplane.TestEnv;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hot paths of all three I/O paths — NIC engines, PF and VF drivers, vSwitch, VMDq relays,
 * virtio on both sides, the tester — compile at every JIT tier and reach C2 while
 * {@code havnet demo} runs (see {@code JitTiersTest} in nfv for why a skipped tier
 * matters: the ESP functions ran at half speed in some JVMs because of one). The full demo, not
 * {@code --quick}: a method called once per burst received, as a driver's {@code txBurst}, may
 * still be in C1 code when the quick smoke run's few bursts are over (it was once, in CI),
 * while the full demo's warm-up gets it to C2 before the first measured phase.
 */
class DemoJitTest {
    @Test
    void everyHotMethodOfTheThreePathsCompilesAtEveryTier() {
        TestEnv.CompileLog log = TestEnv.CompileLog.of(Main.class.getName(), "demo", "--no-report");
        assertEquals(List.of(), log.skipped(), "methods a JIT tier gave up on");
        for (String m : List.of("RxEngine::work", "TxEngine::work", "IxgbeEthDev::rxBurst", "IxgbeEthDev::txBurst",
                "VSwitch::doWork", "VmdqRelay::receive", "VmdqRelay::transmit", "VirtioNetPmd::rxBurst",
                "VirtioNetPmd::txBurst", "Tester::doWork")) {
            assertTrue(log.reachedC2(m), m + " never reached C2 (tier 4)");
        }
    }
}
