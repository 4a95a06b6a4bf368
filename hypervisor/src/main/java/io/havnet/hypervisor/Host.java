package io.havnet.hypervisor;

import io.havnet.dataplane.agent.Agent;
import io.havnet.dataplane.agent.IdleStrategy;
import io.havnet.dataplane.agent.Lcore;
import io.havnet.dataplane.agent.LcoreId;
import io.havnet.dataplane.os.Affinity;
import io.havnet.dataplane.clock.Clock;
import io.havnet.dataplane.ethdev.EthConf;
import io.havnet.dataplane.ethdev.EthDev;
import io.havnet.dataplane.mbuf.MbufPool;
import io.havnet.dataplane.memory.HugePagePolicy;
import io.havnet.dataplane.memory.MemoryRegion;
import io.havnet.dataplane.mempool.Mempool;
import io.havnet.hypervisor.accounting.Component;
import io.havnet.hypervisor.accounting.CostModel;
import io.havnet.hypervisor.memory.GuestMemory;
import io.havnet.hypervisor.virtio.Virtio;
import io.havnet.hypervisor.virtio.VirtioNetBackend;
import io.havnet.hypervisor.virtio.VirtioNetPmd;
import io.havnet.hypervisor.vmdq.VmdqRelay;
import io.havnet.hypervisor.vmdq.VmdqRelays;
import io.havnet.hypervisor.vswitch.VSwitch;
import io.havnet.nic.Nic;
import io.havnet.nic.engine.NicCounters;
import io.havnet.nic.driver.PfDriver;
import io.havnet.nic.driver.PoolEthDev;
import io.havnet.nic.driver.VmdqQueuePair;
import io.havnet.nic.driver.IxgbeEthDev;
import io.havnet.nic.driver.VfEthDev;
import io.havnet.nic.sriov.LinkState;
import io.havnet.platform.Platform;
import io.havnet.platform.memory.PageAllocator;
import io.havnet.platform.paging.PageTable;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * One server: host memory, IOMMU, the NIC and its PF driver, the hypervisor's vSwitch, and VMs,
 * each on its own I/O path (paths can be mixed). The host runs either deterministically
 * ({@link #runOnce()}, for tests) or on lcores ({@link #start(Placement)}).
 *
 * <p>Agents are grouped by where their time belongs: the NIC engines (NIC time), the hypervisor
 * (PF mailbox service, vSwitch, VMDq relays) and the guests (one vCPU agent per VM).
 */
public final class Host implements AutoCloseable {
    private final Platform platform;
    private final EthDev wire;
    private final Nic nic;
    private final PfDriver pf;
    private final Clock clock;
    private final CostModel costModel;
    private final MemoryRegion hostRegion;
    private final Mempool hostPool;
    private final PoolEthDev uplink;
    private final VSwitch vswitch;
    private final VmdqRelays relays = new VmdqRelays();
    /** The queue pair of each VMDq pool a VM has held, by pool: stopped while no VM holds it. */
    private final Map<Integer, VmdqQueuePair> poolQueues = new java.util.HashMap<>();
    private final Component nicComponent = new Component("nic", Component.Kind.NIC);
    private final Component hypervisor = new Component("hypervisor", Component.Kind.HYPERVISOR);
    private final AgentGroup nicGroup = new AgentGroup("nic");
    private final AgentGroup hvGroup = new AgentGroup("hypervisor");
    /** A guest's code that throws crashes that guest only: its vCPU stops, the others go on. */
    private final AgentGroup guestGroup = new AgentGroup("guests", true);
    private final AgentGroup wireGroup = new AgentGroup("wire");
    /** Components of destroyed VMs: what they counted is kept. */
    private final List<Component> retired = new ArrayList<>();
    private final Map<String, Vm> vms = new LinkedHashMap<>();
    private final boolean[] vfTaken;
    private List<Lcore> lcores = List.of();
    /** The lcore that runs the guests, while on lcores. */
    private volatile Lcore guestLcore;
    private Thread watchdog;
    private final long vcpuHangNanos;
    /** Destroyed VMs whose vCPU was left behind in a call that has not returned: their RAM, pool and VF are held. */
    private final List<Vm> quarantined = new ArrayList<>();
    private final List<String> events = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** The VM of each vCPU, for the watchdog (which takes no host lock). */
    private final Map<AgentGroup.Member, String> vcpuOwners = new java.util.concurrent.ConcurrentHashMap<>();
    private boolean deterministicLcoreId;
    private volatile boolean appsRunning = true;
    /** At most this many rounds at close for the frames in flight to settle (a wire generator never does). */
    private static final int CLOSE_ROUNDS = 10_000;

    private Host(Builder b) {
        this.platform = b.platform != null ? b.platform : Platform.create(b.memory, b.hugePages);
        this.wire = b.wire;
        this.clock = b.clock;
        this.costModel = b.costModel;
        this.vcpuHangNanos = b.vcpuHangMillis * 1_000_000L;
        this.nic = Nic.builder("nic0", platform, wire).numVfs(b.vfs).pools(b.pools).veb(b.veb).clock(clock)
                .lineRateMbps(b.lineRateMbps).build();
        this.pf = new PfDriver(nic);
        this.vfTaken = new boolean[b.vfs];
        this.hostRegion = platform.memory().allocateRegion("host-pools", MbufPool.bytesFor(b.hostMbufs, 2048) + (16L << 20));
        this.hostPool = MbufPool.builder("host", hostRegion).count(b.hostMbufs).build();
        nicGroup.add(nic.rxEngine(), nicComponent);
        nicGroup.add(nic.txEngine(), nicComponent);
        hvGroup.add(pf.mailboxService(), hypervisor);
        nicComponent.addDrops("nic-rx", nic.counters().rx(), NicCounters.RX_DROP_BAD_FRAME, NicCounters.RX_DROP_TOO_LONG,
                NicCounters.RX_DROP_NO_POOL, NicCounters.RX_DROP_POOL_DOWN, NicCounters.RX_DROP_QUEUE_FULL,
                NicCounters.RX_DROP_IOMMU_FAULT);
        nicComponent.addDrops("nic-tx", nic.counters().tx(), NicCounters.TX_DROP_SPOOF, NicCounters.TX_DROP_MALFORMED,
                NicCounters.TX_DROP_IOMMU_FAULT, NicCounters.TX_DROP_LINK_DOWN, NicCounters.TX_DROP_POOL_DISABLED,
                NicCounters.TX_DROP_TOO_LONG, NicCounters.TX_DROP_VEB_FULL, NicCounters.TX_DROP_IPSEC, NicCounters.TX_DROP_RESET);
        // the PF's default pool is the vSwitch's uplink
        this.uplink = pf.openPool("pf-pool", nic.pfPool(), hostRegion);
        uplink.configure(1, 1, EthConf.defaults());
        // one receive queue for every vSwitch VM: as many descriptors as four VMs' own queues on
        // the other paths (OVS-DPDK's default for a DPDK port is 2048 too)
        uplink.rxQueueSetup(0, UPLINK_RX_DESCRIPTORS, hostPool);
        uplink.txQueueSetup(0, 512);
        uplink.start();
        this.vswitch = new VSwitch("vswitch", hypervisor, clock, b.macAgingNanos, hostPool);
        vswitch.addUplink("uplink", uplink);
        hvGroup.add(vswitch, hypervisor);
        hvGroup.add(relays, hypervisor);
    }

    /** Receive descriptors of the vSwitch's uplink queue (the PF's default pool). */
    public static final int UPLINK_RX_DESCRIPTORS = 2048;

    public static Builder builder(EthDev wire) {
        return new Builder(wire);
    }

    public Platform platform() {
        return platform;
    }

    public Nic nic() {
        return nic;
    }

    public PfDriver pf() {
        return pf;
    }

    /** The host's port on the PF's default pool (the vSwitch uplink). */
    public PoolEthDev uplink() {
        return uplink;
    }

    public VSwitch vswitch() {
        return vswitch;
    }

    public Clock clock() {
        return clock;
    }

    public CostModel costModel() {
        return costModel;
    }

    /** Host mbufs (uplink, vSwitch, relays). */
    public Mempool hostPool() {
        return hostPool;
    }

    /**
     * Every mbuf pool of the host — its own, the NIC's packet buffer, each VM's — to check, after
     * {@link #close()}, that every buffer came back.
     */
    public List<Mempool> mempools() {
        List<Mempool> l = new ArrayList<>(List.of(hostPool, nic.packetBuffer()));
        for (Vm v : vms.values()) {
            l.add(v.pool);
        }
        return l;
    }

    public Component hypervisorComponent() {
        return hypervisor;
    }

    public Component nicComponent() {
        return nicComponent;
    }

    public synchronized List<Vm> vms() {
        return List.copyOf(vms.values());
    }

    public synchronized Vm vm(String name) {
        Vm v = vms.get(name);
        if (v == null) {
            throw new IllegalArgumentException("no VM named '" + name + "'");
        }
        return v;
    }

    // ------------------------------------------------------------------ running

    /** One deterministic round of every agent (NIC, hypervisor, guests) on the calling thread. */
    public int runOnce() {
        if (!lcores.isEmpty()) {
            throw new IllegalStateException("the host runs on lcores; runOnce is for deterministic runs");
        }
        if (!deterministicLcoreId) {
            LcoreId.acquire();
            deterministicLcoreId = true;
        }
        return wireGroup.doWork() + nicGroup.doWork() + hvGroup.doWork() + guestGroup.doWork();
    }

    /** Deterministic rounds until {@code idleRounds} rounds in a row did nothing (at most {@code max} rounds). */
    public long runUntilIdle(int idleRounds, long max) {
        long work = settle(idleRounds, max);
        if (work < 0) {
            throw new IllegalStateException("host still busy after " + max + " rounds");
        }
        return work;
    }

    /** {@link #runUntilIdle}'s rounds; the work done, or -1 if the host was still busy after {@code max}. */
    private long settle(int idleRounds, long max) {
        long work = 0;
        int idle = 0;
        for (long r = 0; r < max; r++) {
            int w = runOnce();
            work += w;
            idle = w == 0 ? idle + 1 : 0;
            if (idle >= idleRounds) {
                return work;
            }
        }
        return -1;
    }

    /** Where each group of agents runs. */
    public record Placement(int nicCpu, int hypervisorCpu, int guestCpu, int wireCpu) {
        /**
         * The NIC alone on CPU 0 (the card's silicon); hypervisor, guests and the outside world
         * on CPU 1 (the reference machine has two).
         */
        public static Placement twoCores() {
            return new Placement(0, 1, 1, 1);
        }
    }

    /** Starts the agents on lcores, one per distinct CPU of {@code p}, busy-polling. */
    public synchronized void start(Placement p) {
        if (!lcores.isEmpty()) {
            throw new IllegalStateException("already started");
        }
        Map<Integer, List<Agent>> byCpu = new LinkedHashMap<>();
        byCpu.computeIfAbsent(p.nicCpu(), k -> new ArrayList<>()).add(nicGroup);
        byCpu.computeIfAbsent(p.hypervisorCpu(), k -> new ArrayList<>()).add(hvGroup);
        byCpu.computeIfAbsent(p.guestCpu(), k -> new ArrayList<>()).add(guestGroup);
        byCpu.computeIfAbsent(p.wireCpu(), k -> new ArrayList<>()).add(wireGroup);
        List<Lcore> ls = new ArrayList<>();
        for (Map.Entry<Integer, List<Agent>> e : byCpu.entrySet()) {
            Lcore l = Lcore.builder().name("host-cpu" + e.getKey()).cpu(e.getKey()).idle(IdleStrategy.spin())
                    .agents(e.getValue()).start();
            ls.add(l);
            if (e.getKey() == p.guestCpu()) {
                guestLcore = l;
            }
        }
        lcores = ls;
        Thread w = Thread.ofPlatform().name("host-vcpu-watchdog").daemon(true).unstarted(this::watch);
        watchdog = w;
        w.start();
    }

    /** Stops the lcores (the host can then run deterministically again or be closed). */
    public synchronized void stop() {
        Thread w = watchdog;
        watchdog = null;
        if (w != null) {
            w.interrupt();
            try {
                w.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (Lcore l : lcores) {
            l.close();
        }
        lcores = List.of();
        guestLcore = null;
    }

    /**
     * The vCPU watchdog, while on lcores: a guest whose code has not returned from one call for
     * {@code vcpuHangMillis} stalls every agent of its lcore — the other guests, and where they
     * share it the hypervisor and the wire. Guests are agents, not threads, so the host cannot
     * preempt one; it leaves the stuck thread behind instead: the guest is switched off as HUNG,
     * its lcore goes on with a new thread on the same CPU, and the stuck one is moved to
     * SCHED_IDLE, where it takes only CPU time nothing else wants. Takes no host lock: a control
     * thread may be holding it while it waits for the stalled lcore.
     */
    private void watch() {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long lastWall = System.nanoTime();
        long lastCpu = -1;
        Thread lastThread = null;
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Thread.sleep(Math.max(1, vcpuHangNanos / 5_000_000L));
            } catch (InterruptedException e) {
                return;
            }
            Lcore l = guestLcore;
            if (l == null) {
                continue;
            }
            long now = System.nanoTime();
            Thread t = l.thread();
            boolean measurable = threads.isThreadCpuTimeSupported() && threads.isThreadCpuTimeEnabled();
            long cpu = measurable ? threads.getThreadCpuTime(t.threadId()) : -1; // -1 too once it has ended
            // stuck in code, the thread burns its CPU; starved by the machine (an oversubscribed
            // host), it gets none — that is no reason to give up on the guest
            boolean spinning = !measurable
                    || (t == lastThread && cpu >= 0 && lastCpu >= 0 && cpu - lastCpu >= (now - lastWall) / 5);
            lastWall = now;
            lastCpu = cpu;
            lastThread = t;
            if (!spinning) {
                continue;
            }
            for (AgentGroup.Member m : guestGroup.members()) {
                long since = m.inCallSince();
                if (since > 0 && now - since > vcpuHangNanos && leaveBehind(l, m, since, (now - since) / 1_000_000L)) {
                    lastThread = null;
                    break;
                }
            }
        }
    }

    /** Gives up on the call {@code m} began at {@code since}; false if it returned meanwhile. */
    private boolean leaveBehind(Lcore l, AgentGroup.Member m, long since, long millis) {
        String vm = vcpuOwners.getOrDefault(m, m.stats().name());
        if (!guestGroup.abandon(m, since, "vCPU did not return from its code for " + millis + " ms: left behind")) {
            return false;
        }
        int tid = l.respawn();
        String refused = Affinity.demoteToIdle(tid);
        events.add(vm + ": vCPU hung for " + millis + " ms; the guests' lcore goes on with a new thread"
                + (refused == null ? ", the stuck one runs at SCHED_IDLE" : "; the stuck one keeps its priority (" + refused + ")"));
        return true;
    }

    /** What the host did on its own (a hung vCPU left behind), oldest first. */
    public List<String> events() {
        return List.copyOf(events);
    }

    /**
     * Destroyed VMs whose vCPU was left behind in a call that has not returned yet: their pages,
     * mbuf pool and VF stay out of use until it does, so that code still running cannot write into
     * another VM. Given back once the call returns (checked by every create, destroy and this).
     */
    public synchronized List<String> quarantined() {
        reapQuarantined();
        return quarantined.stream().map(Vm::name).toList();
    }

    private void reapQuarantined() {
        for (java.util.Iterator<Vm> it = quarantined.iterator(); it.hasNext(); ) {
            Vm vm = it.next();
            if (vm.vcpu.inCallSince() == 0) {
                it.remove();
                closeGuestDriver(vm);
                releaseGuestSide(vm);
                events.add(vm.name() + ": the vCPU left behind returned; its pages, pool and VF are back");
            }
        }
    }

    public boolean running() {
        return !lcores.isEmpty();
    }

    /** {@link Lcore#rounds()} of each of the host's lcores, in a fixed order (empty when not on lcores). */
    public long[] lcoreRounds() {
        List<Lcore> ls = lcores;
        long[] r = new long[ls.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = ls.get(i).rounds();
        }
        return r;
    }

    /**
     * Parks every lcore of the host between rounds (see {@link Lcore#suspend()}): nothing moves
     * until {@link #resume()}. Control operations that wait for the lcores (pause, destroy, set an
     * app) must not be called meanwhile; {@link #stop()} and {@link #close()} may.
     */
    public synchronized void suspend() {
        for (Lcore l : lcores) {
            l.suspend();
        }
    }

    /** Lets the lcores of a suspended host run again. */
    public synchronized void resume() {
        for (Lcore l : lcores) {
            l.resume();
        }
    }

    /** Waits until {@code cond} holds, driving the host when it runs deterministically. */
    private void await(BooleanSupplier cond, String what) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        int spins = 0;
        while (!cond.getAsBoolean()) {
            if (lcores.isEmpty()) {
                runOnce();
            } else if (++spins < 200) {
                Thread.onSpinWait();
            } else {
                // the lcore we wait for may share this CPU with a busy-polling one: spinning or
                // yielding keeps this thread off it until the scheduler's next slice (milliseconds);
                // a short sleep gives the CPU away, and the wake-up preempts the poller
                LockSupport.parkNanos(20_000);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out waiting for " + what);
            }
        }
    }

    /**
     * Waits until a round of {@code g} that began after now sees the change just made to its
     * members (removed, switched off): no call of a removed member runs any more.
     */
    private void awaitRounds(AgentGroup g) {
        long token = g.ask();
        await(() -> g.answered(token), g.roleName() + " to move on");
    }

    private Runnable pump() {
        return () -> {
            if (lcores.isEmpty()) {
                runOnce();
            } else {
                Thread.onSpinWait();
            }
        };
    }

    /**
     * Runs {@code a} as part of the outside world — what stands at the other end of the wire in
     * benchmarks and demos (a traffic generator or reflector) — on the placement's wire CPU,
     * accounted to {@code c}.
     */
    public AgentGroup.Member addWireAgent(Agent a, Component c) {
        return wireGroup.add(a, c);
    }

    /** The hypervisor's agents (PF mailbox service, vSwitch, VMDq relays), with their stats. */
    public List<AgentGroup.Member> hypervisorAgents() {
        return hvGroup.members();
    }

    // ------------------------------------------------------------------ VMs

    /** Creates, connects and starts a VM. */
    public synchronized Vm createVm(VmSpec spec) {
        reapQuarantined();
        if (vms.containsKey(spec.name())) {
            throw new IllegalArgumentException("a VM named '" + spec.name() + "' exists already");
        }
        Component comp = new Component("vm:" + spec.name(), Component.Kind.GUEST);
        GuestMemory mem = GuestMemory.allocate(spec.name(), platform.memory(), spec.memoryBytes());
        Vm vm = new Vm(spec, comp, mem);
        try {
            vm.pool = MbufPool.builder(spec.name(), mem.region()).count(spec.mbufs()).build();
            switch (spec.path()) {
                case VSWITCH -> connectVswitch(vm);
                case VMDQ -> connectVmdq(vm);
                case SRIOV -> connectSriov(vm);
            }
            if (spec.path() != IoPath.VSWITCH) {
                // the hypervisor knows where it put this VM: behind the uplink, so the vSwitch never floods for it
                vswitch.addStatic(vswitch.uplinkPort(), Math.max(0, spec.vlan()), spec.effectiveMac().value());
            }
            vm.vcpu = guestGroup.add(spec.app().create(new GuestApp.Context(spec.name(), vm.vnic, vm.pool, clock, comp)), comp,
                    appsRunning);
            vcpuOwners.put(vm.vcpu, spec.name());
            vm.state = Vm.State.RUNNING;
            vms.put(spec.name(), vm);
            return vm;
        } catch (RuntimeException e) {
            teardown(vm);
            throw e;
        }
    }

    private void startVnic(Vm vm, EthDev d) {
        d.configure(1, 1, EthConf.defaults());
        d.rxQueueSetup(0, vm.spec.ringSize(), vm.pool);
        d.txQueueSetup(0, vm.spec.ringSize());
        d.start();
        vm.vnic = d;
    }

    private static void countResetDrops(Vm vm) {
        vm.component.addDrops(vm.spec.name() + "-virtio-pmd", ((VirtioNetPmd) vm.vnic).resetDrops(),
                VirtioNetPmd.RX_DROPPED_ON_RESET, VirtioNetPmd.TX_DROPPED_ON_RESET);
    }

    /**
     * The VM's virtio-net device. Its config says the link runs at the speed of the host's port
     * (the vSwitch's uplink and the VMDq pools' port), full duplex, as QEMU's {@code speed=} and
     * {@code duplex=full} would: a guest on a host paced at 1 Gbit/s sees 1 Gbps, as a VF does.
     */
    private VirtioNetBackend virtioBackend(Vm vm) {
        VirtioNetBackend b = new VirtioNetBackend(vm.spec.name() + "-virtio", vm.memory, vm.spec.effectiveMac().value(),
                vm.component, hypervisor);
        b.setSpeedDuplex(nic.linkSpeedMbps(), Virtio.DUPLEX_FULL);
        return b;
    }

    private void connectVswitch(Vm vm) {
        VmSpec s = vm.spec;
        vm.backend = virtioBackend(vm);
        startVnic(vm, VirtioNetPmd.probe(s.name() + "-eth0", vm.backend, vm.memory.region(), s.pollMode()));
        countResetDrops(vm);
        vm.switchPort = vswitch.addVirtioPort(s.name(), vm.backend, Math.max(0, s.vlan()), s.effectiveMac().value(),
                s.spoofCheck());
        // the NIC must know the VMs behind the PF, or its VEB sends VF traffic for them to the wire
        // (the "bridge fdb add MAC dev PF self" of a Linux host)
        pf.addPfMac(s.effectiveMac().value());
    }

    private void connectVmdq(Vm vm) {
        VmSpec s = vm.spec;
        vm.vmdqPool = pf.allocateVmdqPool(s.effectiveMac().value(), s.vlan());
        pf.setPoolSpoofCheck(vm.vmdqPool, s.spoofCheck());
        vm.backend = virtioBackend(vm);
        // the pool's queue pair takes the guest's own buffers (2 KiB each, as the guest's mbufs hold);
        // its rings are made once per pool and serve every VM that holds the pool after (host
        // memory is handed out by a bump allocator: rings per VM would run it dry as VMs come and go)
        VmdqQueuePair queues = poolQueues.computeIfAbsent(vm.vmdqPool,
                p -> new VmdqQueuePair("pool" + p, nic, p, hostRegion, 256, 256, 2));
        vm.relay = new VmdqRelay(s.name() + "-relay", queues, vm.memory, vm.backend, hypervisor);
        startVnic(vm, VirtioNetPmd.probe(s.name() + "-eth0", vm.backend, vm.memory.region(), s.pollMode()));
        countResetDrops(vm);
        vm.relay.start();
        relays.add(vm.relay);
    }

    private void connectSriov(Vm vm) {
        VmSpec s = vm.spec;
        int vf = -1;
        for (int i = 0; i < vfTaken.length; i++) {
            if (!vfTaken[i]) {
                vf = i;
                break;
            }
        }
        if (vf < 0) {
            throw new IllegalStateException("VM " + s.name() + ": all " + vfTaken.length + " VFs are assigned");
        }
        vfTaken[vf] = true;
        vm.vf = vf;
        // VT-d: the VF's DMA goes through a domain that maps exactly the VM's RAM at its GPAs
        vm.domain = platform.iommu().createDomain("vm:" + s.name());
        vm.domain.map(0, vm.memory.hostPhysicalBase(), vm.memory.size(), PageAllocator.PAGE_2M,
                PageTable.READ | PageTable.WRITE);
        platform.iommu().attach(nic.vf(vf), vm.domain);
        pf.newOwner(vf);
        pf.setVfMac(vf, s.effectiveMac());
        pf.setVfVlan(vf, Math.max(0, s.vlan()), s.qos());
        pf.setVfSpoofCheck(vf, s.spoofCheck());
        pf.setVfTrust(vf, s.trust());
        pf.setVfMaxTxRate(vf, s.maxTxRateMbps());
        // the VF's BAR is mapped into the VM: the guest's driver talks to it without exits
        startVnic(vm, VfEthDev.probe(s.name() + "-vf" + vf, nic.vfRegisters(vf), vm.memory.region(), pump()));
        vm.component.addDrops(s.name() + "-vf", ((VfEthDev) vm.vnic).resetDrops(), IxgbeEthDev.RX_DROPPED_ON_RESET,
                IxgbeEthDev.TX_DROPPED_ON_RESET);
    }

    /**
     * Replaces the application a VM's vCPU runs (testpmd's {@code set fwd}). Returns once the old
     * one can no longer be running; the new one runs if the VM runs and applications are on.
     */
    public synchronized void setApp(String name, GuestApp app) {
        Vm vm = vm(name);
        AgentGroup.Member old = vm.vcpu;
        if (old.hung()) {
            throw new IllegalStateException(vm + " is hung (its code still runs on the thread left behind): destroy it");
        }
        guestGroup.remove(old);
        if (old.enabled) {
            awaitRounds(guestGroup);
        } // else it was switched off by pauseVm or runApps, which waited until it had left its round
        vm.component.retireAgent(old.stats());
        vcpuOwners.remove(old);
        vm.vcpu = guestGroup.add(app.create(new GuestApp.Context(name, vm.vnic, vm.pool, clock, vm.component)),
                vm.component, vm.state != Vm.State.PAUSED && appsRunning);
        vcpuOwners.put(vm.vcpu, name);
    }

    /**
     * Switches the applications of every VM off or on — testpmd's {@code stop} and {@code start}.
     * Off, the VMs stay up and their devices keep receiving (frames wait in the rings or are counted
     * as missed), but no guest application runs: no frame is forwarded or generated. Switching off
     * returns once every application has left the round it was in. Paused VMs stay paused.
     */
    public synchronized void runApps(boolean on) {
        if (on == appsRunning) {
            return;
        }
        appsRunning = on;
        for (Vm vm : vms.values()) {
            if (vm.state == Vm.State.RUNNING) {
                vm.vcpu.setEnabled(on);
            }
        }
        if (!on) {
            awaitRounds(guestGroup);
        }
    }

    /**
     * Stops a VM's vCPU (its device keeps its buffers; frames for it queue up or are dropped and
     * counted). Returns once the vCPU has left the round it was in: nothing of the guest runs after.
     */
    public synchronized void pauseVm(String name) {
        Vm vm = vm(name);
        if (vm.state != Vm.State.RUNNING) {
            throw new IllegalStateException(vm + " is not running");
        }
        vm.vcpu.setEnabled(false);
        awaitRounds(guestGroup);
        vm.state = Vm.State.PAUSED;
    }

    public synchronized void resumeVm(String name) {
        Vm vm = vm(name);
        if (vm.state != Vm.State.PAUSED) {
            throw new IllegalStateException(vm + " is not paused");
        }
        vm.vcpu.setEnabled(appsRunning);
        vm.state = Vm.State.RUNNING;
    }

    /**
     * The guest resets its port, as a DPDK application does on {@code RTE_ETH_EVENT_INTR_RESET}
     * ({@code rte_eth_dev_reset}; testpmd's {@code port reset}): after an FLR, or when the PF asked it
     * to (a trust withdrawn), the VF driver waits for the device, resets through the mailbox, asks again
     * for its receive modes and restarts its queues. The VM's vCPU is held meanwhile, so nothing of the
     * guest uses the port while it resets. Only a VF port resets this way.
     *
     * @throws IllegalStateException when the port is not a VF's, the VM is neither running nor paused,
     *                               or the PF refuses the reset
     */
    public synchronized void resetPort(String name) {
        Vm vm = vm(name);
        if (!(vm.vnic instanceof VfEthDev vf)) {
            throw new IllegalStateException(vm + ": only a VF port resets (this port's driver is "
                    + vm.vnic.info().driverName() + ")");
        }
        boolean running = vm.state == Vm.State.RUNNING;
        if (!running && vm.state != Vm.State.PAUSED) {
            throw new IllegalStateException(vm + " is not running");
        }
        if (running) {
            pauseVm(name);
        }
        try {
            vf.recover();
        } finally {
            if (running) {
                resumeVm(name);
            }
        }
    }

    /**
     * Sets a VM's link up or down from the host, as pulling and plugging its cable: a virtio
     * device's config says so and the device drops what the guest sends and what comes for it,
     * counted (QEMU's {@code set_link}, libvirt's {@code domif-setlink}); a VF gets the administrative
     * link state {@code disable} (down) or {@code auto} (up), as {@code ip link set PF vf N state}
     * would, and the NIC drops what comes for it, counted as for a pool that is down.
     */
    public synchronized void setVmLink(String name, boolean up) {
        Vm vm = vm(name);
        if (vm.spec.path() == IoPath.SRIOV) {
            pf.setVfLinkState(vm.vf, up ? LinkState.AUTO : LinkState.DISABLE);
        } else {
            vm.backend.setLinkUp(up);
        }
    }

    /**
     * Destroys a VM: its vCPU stops, the hypervisor forgets its port or relay, an assigned VF is
     * reset (FLR) and its IOMMU domain removed, every guest buffer is freed and every page returned.
     */
    public synchronized void destroyVm(String name) {
        reapQuarantined();
        Vm vm = vm(name);
        guestGroup.remove(vm.vcpu);
        awaitRounds(guestGroup);
        if (vm.switchPort != null) {
            vswitch.removePort(vm.switchPort);
            awaitRounds(hvGroup);
            pf.removePfMac(vm.spec.effectiveMac().value());
        }
        if (vm.relay != null) {
            relays.remove(vm.relay);
            awaitRounds(hvGroup);
        }
        if (vm.spec.path() != IoPath.VSWITCH) {
            vswitch.removeAddress(Math.max(0, vm.spec.vlan()), vm.spec.effectiveMac().value());
        }
        if (vm.vf >= 0) {
            nic.resetVf(vm.vf);
            int vf = vm.vf;
            await(() -> !nic.resetPending(vf), "the reset of VF " + vf);
        }
        teardown(vm);
        vms.remove(name);
        if (vm.vcpu != null) {
            vcpuOwners.remove(vm.vcpu);
        }
        retired.add(vm.component); // its counters (drops at destroy included) stay in the accounts
    }

    private void teardown(Vm vm) {
        if (vm.relay != null) {
            // the NIC gives back the guest's buffers (TX chains returned used) before the guest's
            // driver counts what its rings still hold and the RAM goes
            vm.relay.stop();
        }
        if (vm.vcpu != null && vm.vcpu.hung() && vm.vcpu.inCallSince() != 0) {
            // its code still runs on the thread left behind: the host's side goes, the guest's
            // driver, pool, VF and pages stay as they are until that call returns
            releaseHostSide(vm);
            quarantined.add(vm);
            vm.state = Vm.State.DESTROYED;
            return;
        }
        closeGuestDriver(vm);
        releaseHostSide(vm);
        releaseGuestSide(vm);
    }

    private static void closeGuestDriver(Vm vm) {
        if (vm.vnic != null) {
            try {
                vm.vnic.close();
            } catch (RuntimeException e) {
                // the guest's own driver choked on guest memory the guest wrecked: the guest's
                // problem, not a reason to keep its pages, pool or function
                vm.faultAtDestroy = vm.vnic.name() + ": " + e.getMessage();
            }
        }
    }

    private void releaseHostSide(Vm vm) {
        if (vm.vmdqPool >= 0) {
            pf.releaseVmdqPool(vm.vmdqPool);
        }
        if (vm.domain != null) {
            platform.iommu().destroyDomain(vm.domain);
        }
    }

    /** The VF, the pool and the pages: what code on the VM's vCPU may have been using. */
    private void releaseGuestSide(Vm vm) {
        if (vm.vf >= 0) {
            vfTaken[vm.vf] = false;
        }
        if (vm.pool != null) {
            vm.pool.close();
        }
        vm.memory.destroy();
        vm.state = Vm.State.DESTROYED;
    }

    /**
     * Frames made out of other frames so far: the vSwitch's flood copies and the NIC's extra
     * placements of one frame in several pools. Frames in + replicas = delivered + dropped.
     */
    public long replicas() {
        long nicExtra = nic.counters().rx().get(NicCounters.RX_REPLICAS) - nic.counters().rx().get(NicCounters.RX_DELIVERED);
        return vswitch.replicas() + Math.max(0, nicExtra);
    }

    /** Everything measured so far: the NIC, the hypervisor, every VM (destroyed ones last). */
    public synchronized List<Component.Snapshot> accounting() {
        List<Component.Snapshot> l = new ArrayList<>();
        l.add(nicComponent.snapshot());
        l.add(hypervisor.snapshot());
        for (Vm v : vms.values()) {
            l.add(v.component.snapshot());
        }
        for (Component c : retired) {
            l.add(c.snapshot());
        }
        return l;
    }

    @Override
    public synchronized void close() {
        stop();
        for (String n : new ArrayList<>(vms.keySet())) {
            destroyVm(n);
        }
        // frames still on their way (in the wire's rings, the NIC, the vSwitch) arrive or are
        // dropped and counted while the pools they came from are still there; a wire generator
        // never falls quiet, so this is bounded and not an error
        settle(4, CLOSE_ROUNDS);
        uplink.close();
        hostPool.close();
        nic.close();
        if (deterministicLcoreId) {
            LcoreId.release();
        }
        platform.close();
    }

    /** Host parameters. */
    public static final class Builder {
        private final EthDev wire;
        private Platform platform;
        private long memory = 1L << 30;
        private HugePagePolicy hugePages = HugePagePolicy.AUTO;
        private int vfs = 8;
        private int pools;
        private boolean veb = true;
        private long lineRateMbps;
        private Clock clock = Clock.SYSTEM;
        private CostModel costModel = CostModel.OFF;
        private int hostMbufs = 16383;
        private long macAgingNanos = 300_000_000_000L;
        private long vcpuHangMillis = 500;

        Builder(EthDev wire) {
            this.wire = wire;
        }

        public Builder memory(long bytes) {
            this.memory = bytes;
            return this;
        }

        public Builder hugePages(HugePagePolicy p) {
            this.hugePages = p;
            return this;
        }

        public Builder platform(Platform p) {
            this.platform = p;
            return this;
        }

        public Builder vfs(int n) {
            this.vfs = n;
            return this;
        }

        public Builder pools(int n) {
            this.pools = n;
            return this;
        }

        public Builder veb(boolean on) {
            this.veb = on;
            return this;
        }

        public Builder clock(Clock c) {
            this.clock = c;
            return this;
        }

        /** Paces the NIC's port at {@code mbps} Mbit/s each way, as its MAC would (0, the default: not paced). */
        public Builder lineRateMbps(long mbps) {
            this.lineRateMbps = mbps;
            return this;
        }

        public Builder costModel(CostModel m) {
            this.costModel = m;
            return this;
        }

        public Builder hostMbufs(int n) {
            this.hostMbufs = n;
            return this;
        }

        /** vSwitch MAC aging time (default 300 s, Linux bridge's default). */
        /**
         * How long a guest's code may stay in one call before the host leaves its vCPU behind
         * (default 500 ms; a call is one burst, microseconds).
         */
        public Builder vcpuHangMillis(long ms) {
            if (ms < 10 || ms > 60_000) {
                throw new IllegalArgumentException("vcpuHangMillis must be in [10, 60000]: " + ms);
            }
            this.vcpuHangMillis = ms;
            return this;
        }

        public Builder macAging(long nanos) {
            this.macAgingNanos = nanos;
            return this;
        }

        public Host build() {
            return new Host(this);
        }
    }
}
