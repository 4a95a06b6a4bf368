package io.havnet.hypervisor;

import io.havnet.nfv.fwd.MacSwapFwd;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.management.ManagementFactory;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Every path's data path allocates nothing per frame: the NIC engines, the vSwitch or VMDq relay
 * with virtio on both sides, or the VF driver, and the guest's macswap, all on this thread,
 * while frames loop wire → NIC → path → guest → path → NIC → wire and a reflector on the wire
 * sends them back. The thread's allocated-bytes counter is read around the measured rounds.
 */
class ZeroAllocationTest {
    @ParameterizedTest
    @EnumSource(IoPath.class)
    void framesLoopThroughEveryPathWithoutAllocating(IoPath path) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (HostTestBed t = new HostTestBed()) {
            Vm vm = t.vm("vm1", path, t.macswap());
            MacSwapFwd reflector = new MacSwapFwd(t.tester, 0, t.tester, 0, 32);
            t.fromWire(vm.spec().effectiveMac().value(), 64);
            loop(t, reflector, 30_000); // warm up: let the JIT compile the path
            // a window may still see the JIT replace code (a deoptimization materializes the objects
            // it had eliminated); an allocation per frame would show in every window
            java.util.List<String> windows = new java.util.ArrayList<>();
            for (int w = 0; w < 5; w++) {
                long frames0 = t.appRx("vm1");
                long before = threads.getCurrentThreadAllocatedBytes();
                loop(t, reflector, 30_000);
                long allocated = threads.getCurrentThreadAllocatedBytes() - before;
                long frames = t.appRx("vm1") - frames0;
                assertTrue(frames >= 100_000, frames + " frames looped");
                windows.add(allocated + " B over " + frames + " frames");
                if (allocated == 0) {
                    return;
                }
            }
            fail("bytes allocated while frames looped through " + path + ", in every window: " + windows);
        }
    }

    private static void loop(HostTestBed t, MacSwapFwd reflector, int rounds) {
        for (int i = 0; i < rounds; i++) {
            t.host.runOnce();
            reflector.doWork();
        }
    }
}
