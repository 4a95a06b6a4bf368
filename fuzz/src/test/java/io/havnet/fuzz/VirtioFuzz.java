package io.havnet.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.mbuf.MbufPool;
import io.havnet.dataplane.memory.HugePagePolicy;
import io.havnet.dataplane.memory.MemoryRegion;
import io.havnet.dataplane.mempool.Mempool;
import io.havnet.dataplane.net.PacketBuilder;
import io.havnet.dataplane.pmd.RingEthDev;
import io.havnet.hypervisor.GuestApp;
import io.havnet.hypervisor.Host;
import io.havnet.hypervisor.IoPath;
import io.havnet.hypervisor.Vm;
import io.havnet.hypervisor.VmSpec;
import io.havnet.hypervisor.virtio.Virtio;
import io.havnet.hypervisor.virtio.VirtioNetPmd;
import io.havnet.nfv.fwd.FwdEngine;
import io.havnet.nfv.fwd.MacSwapFwd;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A hostile guest's virtqueues: arbitrary descriptors (addresses inside, across the end of and
 * outside its RAM, any length, flags and next), arbitrary available-ring entries and index jumps,
 * rings moved anywhere — written by a VM on the vSwitch (the backend copies) and by one on VMDq
 * (the relay lends its buffers to the NIC), while frames arrive for both and both run macswap. A finding is an
 * exception out of the host, a neighbour VM that stops forwarding, a frame the NIC did not
 * account for, or — checked every {@value #CANARY_EVERY} inputs — one byte changed in host
 * memory outside the guests, the host's pools and the NIC's buffer. After each input the hostile
 * driver resets its device (status 0, then a fresh start), as a real one would to recover; when
 * that driver (or its macswap, on its vCPU) fails on guest memory the devices overwrote at the
 * guest's word, the guest has crashed itself — only itself — and the VM is destroyed (every page
 * must come back) and made again.
 */
public class VirtioFuzz {
    static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final int CANARY_EVERY = 20_000;
    private static final long PEER = 0x02_00_00_00_99_01L;
    private static Host host;
    private static Vm[] hostile;
    private static Vm good;
    private static MacSwapFwd goodApp;
    private static RingEthDev far;
    private static Mempool farPool;
    private static final int[] burst = new int[64];
    private static long[] excluded;
    private static long canary;
    private static int inputs;
    /** The hostile guests run macswap too: their own driver and application meet what the devices wrote. */
    private static final GuestApp MACSWAP = ctx -> new MacSwapFwd(ctx.vnic(), 0, ctx.vnic(), 0, 32);

    static {
        RingEthDev[] wire = RingEthDev.pair("vfz-wire", "vfz-far", 1, 1024);
        far = wire[1];
        host = Host.builder(wire[0]).memory(256L << 20).vfs(1).build();
        hostile = new Vm[] {
            host.createVm(VmSpec.of("hostile-vswitch", IoPath.VSWITCH, MACSWAP).withMemory(16L << 20).withRing(128, 1023)),
            host.createVm(VmSpec.of("hostile-vmdq", IoPath.VMDQ, MACSWAP).withMemory(16L << 20).withRing(128, 1023))};
        good = host.createVm(VmSpec.of("good", IoPath.VMDQ, ctx -> goodApp = new MacSwapFwd(ctx.vnic(), 0, ctx.vnic(), 0, 32))
                .withMemory(16L << 20).withRing(128, 1023));
        farPool = MbufPool.builder("vfz-far", MemoryRegion.allocate("vfz-far", 8 << 20, HugePagePolicy.NEVER)).count(1023).build();
        protect();
    }

    public static void fuzzerTestOneInput(FuzzedDataProvider in) {
        Vm vm = hostile[in.consumeBoolean() ? 1 : 0];
        VirtioNetPmd pmd = (VirtioNetPmd) vm.vnic();
        MemorySegment ram = vm.memory().segment();
        long ramSize = vm.memory().size();
        int q = in.consumeBoolean() ? Virtio.RX_QUEUE : Virtio.TX_QUEUE;
        long[] qa = pmd.queueAddresses(q); // desc, avail, used, size
        int size = (int) qa[3];
        for (int n = in.consumeInt(0, 8), i = 0; i < n; i++) {
            long d = qa[0] + 16L * in.consumeInt(0, size - 1);
            ram.set(U64, d, address(in, ramSize));
            ram.set(U32, d + 8, in.consumeBoolean() ? in.consumeInt() : in.consumeInt(0, 4200));
            ram.set(U16, d + 12, in.consumeBoolean() ? in.consumeShort()
                    : (short) in.pickValue(new int[] {0, Virtio.DESC_F_NEXT, Virtio.DESC_F_WRITE,
                        Virtio.DESC_F_NEXT | Virtio.DESC_F_WRITE, Virtio.DESC_F_INDIRECT}));
            ram.set(U16, d + 14, in.consumeBoolean() ? in.consumeShort() : (short) in.consumeInt(0, size - 1));
        }
        for (int n = in.consumeInt(0, 4), i = 0; i < n; i++) {
            ram.set(U16, qa[1] + 4 + 2L * in.consumeInt(0, size - 1),
                    in.consumeBoolean() ? in.consumeShort() : (short) in.consumeInt(0, size - 1));
        }
        int idx = Short.toUnsignedInt(ram.get(U16, qa[1] + 2));
        int bump = in.pickValue(new int[] {0, 1, 2, 3, 8, size - 1, size, size + 1, 0x7FFF, 0xFFFF});
        ram.set(U16, qa[1] + 2, (short) (idx + bump));
        if (in.consumeInt(0, 15) == 0) {
            // the driver moves a ring (without the reset the spec asks for)
            vm.backend().setQueue(q, in.pickValue(new int[] {1, 2, 64, 128, 256, 1024}), address(in, ramSize),
                    address(in, ramSize), address(in, ramSize));
        }
        long goodRx = goodApp.counters().get(FwdEngine.RX_PACKETS);
        send(vm.spec().effectiveMac().value(), in.consumeInt(0, 4));
        send(good.spec().effectiveMac().value(), 4);
        for (int i = 0; i < 8; i++) {
            host.runOnce();
        }
        drainFar();
        if (vm.state() == Vm.State.CRASHED) {
            // its driver or its macswap failed on what the devices wrote where the guest said: the vCPU stopped
            guestCrashed(vm, new IllegalStateException(vm.crashReason()));
            return;
        }
        if (goodApp.counters().get(FwdEngine.RX_PACKETS) - goodRx != 4) {
            throw new IllegalStateException("the neighbour VM received " + (goodApp.counters().get(FwdEngine.RX_PACKETS)
                    - goodRx) + " of its 4 frames; " + host.accounting());
        }
        // the hostile driver recovers its device the way a real one does: reset, then set up afresh
        try {
            pmd.stop();
            pmd.start();
        } catch (RuntimeException e) {
            guestCrashed(vm, e);
        }
        if (host.nic().counters().rxUnaccounted() != 0 || host.nic().counters().txUnaccounted() != 0) {
            throw new IllegalStateException("the NIC lost track of frames: " + host.nic().counters().rx().snapshot()
                    + " " + host.nic().counters().tx().snapshot());
        }
        if (++inputs % CANARY_EVERY == 0 && crcOutside() != canary) {
            throw new IllegalStateException("host memory outside the guests changed after " + inputs + " inputs");
        }
    }

    /**
     * The hostile guest's own driver failed on the guest memory the devices wrote where the guest
     * told them to (an mbuf's metadata, say): the guest crashed itself. An exception raised in
     * host code (the backend, the relay, the vSwitch, the NIC) is a finding; otherwise the VM is
     * destroyed — which must return every page whatever its driver's state — and made again.
     */
    private static void guestCrashed(Vm vm, RuntimeException e) {
        for (StackTraceElement f : e.getStackTrace()) {
            String c = f.getClassName();
            if (c.startsWith("io.havnet.fuzz.")) {
                break;
            }
            if (c.startsWith("io.havnet.hypervisor.virtio.VirtioNetBackend") || c.startsWith("io.havnet.hypervisor.vmdq.")
                    || c.startsWith("io.havnet.hypervisor.vswitch.") || c.startsWith("io.havnet.nic.")) {
                throw e;
            }
        }
        if (crcOutside() != canary) {
            throw new IllegalStateException("host memory outside the guests changed before " + vm.name() + " crashed", e);
        }
        long free = host.platform().memory().pages().freeBytes();
        host.destroyVm(vm.name());
        if (host.platform().memory().pages().freeBytes() < free + vm.memory().size()) { // its RAM and its EPT's tables
            throw new IllegalStateException(vm.name() + ": destroyed, but not every page came back", e);
        }
        int i = vm == hostile[0] ? 0 : 1;
        hostile[i] = host.createVm(VmSpec.of(vm.name(), vm.path(), MACSWAP).withMemory(16L << 20).withRing(128, 1023));
        protect();
    }

    /** The regions whose contents may change, and the CRC of everything else. */
    private static void protect() {
        excluded = new long[] {hostile[0].memory().hostPhysicalBase(), hostile[0].memory().size(),
            hostile[1].memory().hostPhysicalBase(), hostile[1].memory().size(), good.memory().hostPhysicalBase(),
            good.memory().size(), host.hostPool().region().iovaBase(), host.hostPool().region().size(),
            host.nic().packetBuffer().region().iovaBase(), host.nic().packetBuffer().region().size()};
        canary = crcOutside();
    }

    private static long address(FuzzedDataProvider in, long ramSize) {
        return switch (in.consumeInt(0, 9)) {
            case 0 -> 0;
            case 1 -> 0x1000;
            case 2 -> ramSize - 2060;
            case 3 -> ramSize - 64;
            case 4 -> ramSize - 1;
            case 5 -> ramSize;
            case 6 -> ramSize + 0x1000;
            case 7 -> -1L;
            case 8 -> in.consumeLong(0, ramSize);
            default -> in.consumeLong();
        };
    }

    private static void send(long dst, int n) {
        byte[] f = PacketBuilder.ethernet(dst, PEER).ipv4("10.0.0.1", "10.0.0.2").udp(1, 2).padTo(60).build();
        for (int i = 0; i < n; i++) {
            int m = Mbuf.fromBytes(farPool, f);
            if (m == Mbuf.NONE || far.txBurst(0, new int[] {m}, 0, 1) != 1) {
                throw new IllegalStateException("the wire's far end is full: frames are not coming back");
            }
        }
    }

    private static void drainFar() {
        int n;
        while ((n = far.rxBurst(0, burst, 0, burst.length)) > 0) {
            Mbuf.freeBulk(burst, 0, n);
        }
    }

    /** CRC32 of host memory outside the guests' RAM, the host's pools and the NIC's packet buffer. */
    private static long crcOutside() {
        return io.havnet.dataplane.TestEnv.crcOutside(host.platform().memory().segment(), excluded);
    }

    @FuzzTest(maxDuration = "10s")
    void rings(FuzzedDataProvider in) {
        fuzzerTestOneInput(in);
    }
}
