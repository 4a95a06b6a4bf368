package io.havnet.hypervisor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.*;

class LifecycleTest {
    @ParameterizedTest
    @EnumSource(IoPath.class)
    void destroyReturnsEveryPageAndBufferAndResetsTheVf(IoPath path) {
        try (HostTestBed t = new HostTestBed()) {
            long freeBefore = t.host.platform().memory().pages().freeBytes();
            int domainsBefore = t.host.platform().iommu().domains().size();
            Vm vm = t.vm("vm1", path, t.macswap());
            long mac = vm.spec().effectiveMac().value();
            t.fromWire(mac, 50);
            t.run();
            t.fromWire(mac, 30); // some frames still on their way when the VM goes
            t.host.runOnce();
            assertTrue(t.host.platform().memory().pages().freeBytes() < freeBefore);
            long resetsBefore = t.host.nic().events().stream().filter(e -> e.text().contains("reset done")).count();
            t.host.destroyVm("vm1");
            t.run();
            t.wireOut();
            assertEquals(Vm.State.DESTROYED, vm.state());
            assertEquals(freeBefore, t.host.platform().memory().pages().freeBytes(), "every page back");
            assertEquals(domainsBefore, t.host.platform().iommu().domains().size(), "IOMMU domain removed");
            assertEquals(t.host.uplink().heldMbufs(), t.host.hostPool().inUse(),
                    "the only host mbufs in use are the uplink's own posted buffers");
            assertEquals(0, t.host.nic().packetBuffer().inUse(), "nothing left in the NIC");
            if (path == IoPath.SRIOV) {
                assertEquals(resetsBefore + 1,
                        t.host.nic().events().stream().filter(e -> e.text().contains("reset done")).count(),
                        "the VF was reset");
            }
            // the slot is reusable
            Vm again = t.vm("vm2", path, t.macswap());
            t.fromWire(again.spec().effectiveMac().value(), 10);
            t.run();
            assertEquals(10, t.wireOut().size());
            t.assertNicConserved();
        }
    }

    @ParameterizedTest
    @EnumSource(IoPath.class)
    void pausedVmsKeepTheirStateAndResume(IoPath path) {
        try (HostTestBed t = new HostTestBed()) {
            Vm vm = t.vm("vm1", path, t.macswap());
            long mac = vm.spec().effectiveMac().value();
            t.host.pauseVm("vm1");
            assertEquals(Vm.State.PAUSED, vm.state());
            t.fromWire(mac, 20);
            t.run();
            assertEquals(0, t.wireOut().size(), "a paused VM runs nothing");
            t.host.resumeVm("vm1");
            t.run();
            assertEquals(20, t.wireOut().size(), "frames waited in its rings");
            assertThrows(IllegalStateException.class, () -> t.host.resumeVm("vm1"));
        }
    }

    @ParameterizedTest
    @EnumSource(IoPath.class)
    void appsSwitchedOffForwardNothingUntilSwitchedOnAndANewAppKeepsTheSwitch(IoPath path) {
        try (HostTestBed t = new HostTestBed()) {
            Vm vm = t.vm("vm1", path, t.macswap());
            long mac = vm.spec().effectiveMac().value();
            t.host.runApps(false);
            t.fromWire(mac, 20);
            t.run();
            assertEquals(0, t.wireOut().size(), "testpmd's stop: no guest application runs");
            assertEquals(Vm.State.RUNNING, vm.state(), "the VM itself keeps running");
            t.host.setApp("vm1", t.macswap());
            t.run();
            assertEquals(0, t.wireOut().size(), "a new application waits for the switch too");
            t.host.pauseVm("vm1");
            t.host.runApps(true);
            t.run();
            assertEquals(0, t.wireOut().size(), "a paused VM stays paused");
            t.host.setApp("vm1", t.macswap());
            t.run();
            assertEquals(0, t.wireOut().size(), "an application set on a paused VM does not run, not even once");
            t.host.resumeVm("vm1");
            t.run();
            assertEquals(20, t.wireOut().size(), "the frames waited in its rings");
        }
    }

    @org.junit.jupiter.api.Test
    void anAppReplacedAgainAndAgainKeepsItsCountsWithoutGrowingTheAccounts() {
        try (HostTestBed t = new HostTestBed()) {
            Vm vm = t.vm("vm1", IoPath.VSWITCH, t.macswap());
            t.fromWire(vm.spec().effectiveMac().value(), 20);
            t.run();
            assertEquals(20, t.wireOut().size());
            long cpu = vm.component().cpuNanos();
            assertTrue(cpu > 0);
            for (int i = 0; i < 2_000; i++) {
                // what each app counted (here one drop each) stays in the VM's accounts after set fwd
                t.apps.get("vm1").counters().add(io.havnet.nfv.fwd.FwdEngine.FWD_DROPPED, 1);
                t.host.setApp("vm1", t.macswap());
            }
            assertEquals(2_000L, vm.component().drops().get("fwd_dropped"));
            assertTrue(vm.component().cpuNanos() >= cpu, "the replaced apps' time stays counted");
            assertEquals(1, vm.component().agents().size(), "one agent's stats, however often the app was replaced");
        }
    }

    @org.junit.jupiter.api.Test
    void guestMemoryIsContiguousBehindTheEpt() {
        try (HostTestBed t = new HostTestBed()) {
            Vm vm = t.vm("vm1", IoPath.VSWITCH, GuestApp.IDLE);
            long base = vm.memory().hostPhysicalBase();
            assertEquals(base, vm.memory().translate(0));
            assertEquals(base + 0x123456, vm.memory().translate(0x123456));
            assertEquals(-1, vm.memory().translate(vm.memory().size()), "beyond the VM's RAM: no mapping");
            assertEquals(-1, vm.memory().checkedOffset(vm.memory().size() - 10, 20));
        }
    }

    @org.junit.jupiter.api.Test
    void interruptDrivenVirtioGuestsTakeInterruptsAndPollingOnesDoNot() {
        try (HostTestBed t = new HostTestBed()) {
            Vm poll = t.vm("poll", IoPath.VSWITCH, t.macswap());
            Vm irq = t.host.createVm(VmSpec.of("irq", IoPath.VSWITCH, t.macswap()).withPollMode(false)
                    .withMemory(16L << 20).withRing(128, 1023));
            for (int i = 0; i < 5; i++) {
                t.fromWire(poll.spec().effectiveMac().value(), 10);
                t.fromWire(irq.spec().effectiveMac().value(), 10);
                t.run();
            }
            assertEquals(100, t.wireOut().size());
            assertEquals(0, poll.component().snapshot().interrupts());
            assertTrue(irq.component().snapshot().interrupts() > 0);
        }
    }

    @org.junit.jupiter.api.Test
    void vmSpecsAreValidatedWithClearMessages() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> VmSpec.of("bad name!", IoPath.SRIOV, GuestApp.IDLE));
        assertTrue(e.getMessage().contains("must be 1-32 letters"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> IoPath.parse("sr-iov"));
        assertEquals("unknown value 'sr-iov' (expected vswitch, vmdq, sriov)", e.getMessage());
        try (HostTestBed t = new HostTestBed(1)) {
            t.vm("a", IoPath.SRIOV, GuestApp.IDLE);
            IllegalStateException full = assertThrows(IllegalStateException.class, () -> t.vm("b", IoPath.SRIOV, GuestApp.IDLE));
            assertEquals("VM b: all 1 VFs are assigned", full.getMessage());
            assertThrows(IllegalArgumentException.class, () -> t.vm("a", IoPath.VSWITCH, GuestApp.IDLE));
        }
    }

    /** A host that lives long: VMs come and go on every path without using up the host's own memory. */
    @ParameterizedTest
    @EnumSource(IoPath.class)
    void vmsComingAndGoingDoNotUseUpHostMemory(IoPath path) {
        try (HostTestBed b = new HostTestBed()) {
            b.vm("first", path, b.macswap());
            b.host.destroyVm("first");
            long hostFree = b.host.hostPool().region().free();
            long pagesFree = b.host.platform().memory().pages().freeBytes();
            for (int i = 0; i < 30; i++) {
                Vm vm = b.vm("vm" + i, path, b.macswap());
                b.fromWire(vm.spec().effectiveMac().value(), 3);
                b.run();
                assertEquals(3, b.wireOut().size());
                b.host.destroyVm("vm" + i);
            }
            assertEquals(hostFree, b.host.hostPool().region().free(), "host memory handed out per VM");
            assertEquals(pagesFree, b.host.platform().memory().pages().freeBytes(), "pages");
        }
    }

    /** A guest whose code throws crashes alone: its vCPU stops, the host and the other VMs go on. */
    @ParameterizedTest
    @EnumSource(IoPath.class)
    void aGuestWhoseCodeFailsCrashesAloneAndCanBeDestroyed(IoPath path) throws Exception {
        try (HostTestBed b = new HostTestBed()) {
            int[] calls = {0};
            Vm bad = b.vm("bad", path, ctx -> () -> {
                if (++calls[0] == 3) {
                    throw new IllegalStateException("guest bug");
                }
                return 0;
            });
            Vm good = b.vm("good", path, b.macswap());
            b.run();
            assertEquals(Vm.State.CRASHED, bad.state());
            assertTrue(bad.crashReason().contains("guest bug"), bad.crashReason());
            assertEquals(3, calls[0], "its vCPU stopped");
            b.host.pauseVm("bad");
            b.host.resumeVm("bad");
            b.run();
            assertEquals(3, calls[0], "a crashed vCPU does not come back");
            assertEquals(Vm.State.CRASHED, bad.state());
            b.fromWire(good.spec().effectiveMac().value(), 20);
            b.run();
            assertEquals(20, b.wireOut().size(), "the neighbour goes on");
            // on lcores too: the guests' lcore survives a guest's failure
            Vm bad2 = b.vm("bad2", path, ctx -> () -> {
                throw new IllegalStateException("guest bug on an lcore");
            });
            io.havnet.nfv.fwd.MacSwapFwd reflector = new io.havnet.nfv.fwd.MacSwapFwd(b.tester, 0, b.tester, 0, 32);
            b.fromWire(good.spec().effectiveMac().value(), 32);
            b.host.start(Host.Placement.twoCores());
            try {
                reflectUntil(reflector, () -> b.appTx("good") >= 2000);
            } finally {
                b.host.stop();
            }
            assertEquals(Vm.State.CRASHED, bad2.state());
            b.host.destroyVm("bad");
            b.host.destroyVm("bad2");
            b.run();
            b.wireOut();
            b.assertNicConserved();
        }
    }

    @ParameterizedTest
    @EnumSource(IoPath.class)
    void aGuestWhoseCodeNeverReturnsIsLeftBehindAndItsNeighboursGoOn(IoPath path) throws Exception {
        try (HostTestBed b = new HostTestBed()) {
            java.util.concurrent.atomic.AtomicBoolean armed = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.atomic.AtomicBoolean release = new java.util.concurrent.atomic.AtomicBoolean();
            long freeBefore = b.host.platform().memory().pages().freeBytes();
            Vm good = b.vm("good", path, b.macswap());
            Vm stuck = b.vm("stuck", path, ctx -> () -> {
                while (armed.get() && !release.get()) {
                    Thread.onSpinWait(); // a guest loop that never ends
                }
                return 0;
            });
            io.havnet.nfv.fwd.MacSwapFwd reflector = new io.havnet.nfv.fwd.MacSwapFwd(b.tester, 0, b.tester, 0, 32);
            b.fromWire(good.spec().effectiveMac().value(), 32);
            b.host.start(Host.Placement.twoCores());
            try {
                reflectUntil(reflector, () -> b.appTx("good") >= 1000);
                armed.set(true);
                long t0 = System.nanoTime();
                while (stuck.state() != Vm.State.HUNG) {
                    assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "the watchdog notices within 5 s");
                    reflector.doWork();
                    Thread.sleep(1);
                }
                assertTrue(stuck.crashReason().contains("did not return"), stuck.crashReason());
                long before = b.appTx("good");
                reflectUntil(reflector, () -> b.appTx("good") >= before + 2000); // the lcore goes on without it
                assertThrows(IllegalStateException.class, () -> b.host.setApp("stuck", b.macswap()),
                        "no second program while the first still runs");
                long freeWithStuck = b.host.platform().memory().pages().freeBytes();
                b.host.destroyVm("stuck");
                assertEquals(java.util.List.of("stuck"), b.host.quarantined(), "its code still runs: its pages and pool are held");
                long freed = b.host.platform().memory().pages().freeBytes() - freeWithStuck;
                assertTrue(freed < stuck.spec().memoryBytes(),
                        "its RAM is not given out again (only the host's side went, IOMMU tables): " + freed);
                long after = b.appTx("good");
                reflectUntil(reflector, () -> b.appTx("good") >= after + 2000);
                String event = b.host.events().getFirst();
                assertTrue(event.startsWith("stuck: vCPU hung for "), event);
                if (System.getProperty("os.name").contains("Linux")) {
                    assertTrue(event.contains("the stuck one runs at SCHED_IDLE"), event);
                }
            } finally {
                release.set(true);
                b.host.stop();
            }
            long t1 = System.nanoTime();
            while (!b.host.quarantined().isEmpty()) {
                assertTrue(System.nanoTime() - t1 < 5_000_000_000L, "once its call returns, its resources come back");
                Thread.sleep(1);
            }
            b.host.destroyVm("good");
            b.run();
            b.wireOut();
            b.assertNicConserved();
            assertEquals(freeBefore, b.host.platform().memory().pages().freeBytes(), "every page is back");
        }
    }

    @Test
    void aVcpuOffItsCpuForLongerThanTheLimitIsNotTakenForHung() throws Exception {
        // a thread the machine does not run (here: one that sleeps) burns no CPU; only code that
        // spins is left behind, never a guest that an oversubscribed host starved
        try (HostTestBed b = new HostTestBed()) {
            java.util.concurrent.atomic.AtomicBoolean armed = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.CountDownLatch slept = new java.util.concurrent.CountDownLatch(1);
            Vm sleepy = b.vm("sleepy", IoPath.VSWITCH, ctx -> () -> {
                if (armed.getAndSet(false)) {
                    java.util.concurrent.locks.LockSupport.parkNanos(1_500_000_000L); // 3x the watchdog's limit
                    slept.countDown();
                }
                return 0;
            });
            b.host.start(Host.Placement.twoCores());
            try {
                armed.set(true);
                assertTrue(slept.await(10, java.util.concurrent.TimeUnit.SECONDS));
                Thread.sleep(200);
                assertEquals(Vm.State.RUNNING, sleepy.state());
                assertEquals(java.util.List.of(), b.host.events());
            } finally {
                b.host.stop();
            }
        }
    }

    /** What {@code havnet bench paths} relies on to run three hosts in turns. */
    @ParameterizedTest
    @EnumSource(IoPath.class)
    void aSuspendedHostMovesNoFrameUntilResumed(IoPath path) throws Exception {
        try (HostTestBed b = new HostTestBed()) {
            Vm vm = b.vm("s0", path, b.macswap());
            io.havnet.nfv.fwd.MacSwapFwd reflector = new io.havnet.nfv.fwd.MacSwapFwd(b.tester, 0, b.tester, 0, 32);
            b.fromWire(vm.spec().effectiveMac().value(), 64);
            b.host.start(Host.Placement.twoCores());
            try {
                reflectUntil(reflector, () -> b.appTx("s0") >= 2000);
                b.host.suspend();
                long atSuspend = b.appTx("s0");
                long end = System.nanoTime() + 50_000_000L;
                while (System.nanoTime() < end) {
                    reflector.doWork();
                    Thread.sleep(1);
                }
                assertEquals(atSuspend, b.appTx("s0"), "a suspended host forwards nothing");
                b.host.resume();
                reflectUntil(reflector, () -> b.appTx("s0") >= atSuspend + 2000);
                b.host.suspend();
            } finally {
                b.host.stop();
            }
            b.run();
            b.assertNicConserved();
        }
    }

    private static void reflectUntil(io.havnet.nfv.fwd.MacSwapFwd reflector, java.util.function.BooleanSupplier done) {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!done.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "the host forwards within 20 s");
            reflector.doWork();
            Thread.onSpinWait();
        }
    }
}
