package io.havnet.hypervisor;

import io.havnet.dataplane.ethdev.EthDev;
import io.havnet.dataplane.mempool.Mempool;
import io.havnet.hypervisor.accounting.Component;
import io.havnet.hypervisor.memory.GuestMemory;
import io.havnet.hypervisor.virtio.VirtioNetBackend;
import io.havnet.hypervisor.vmdq.VmdqRelay;
import io.havnet.hypervisor.vswitch.SwitchPort;
import io.havnet.platform.iommu.IommuDomain;

/**
 * A virtual machine: guest RAM behind its EPT, a vCPU that runs the guest application, and one
 * network device reached through its I/O path. Life cycle: created → running ⇄ paused →
 * destroyed; destroy gives back every page and buffer and resets an assigned VF.
 */
public final class Vm {
    /**
     * Life-cycle states; CRASHED: the guest's code failed (its vCPU stopped); HUNG: the guest's code
     * did not return and the host left its vCPU behind — see {@link #crashReason()} for both.
     */
    public enum State { CREATED, RUNNING, PAUSED, CRASHED, HUNG, DESTROYED }

    final VmSpec spec;
    final Component component;
    final GuestMemory memory;
    volatile State state = State.CREATED;
    Mempool pool;
    EthDev vnic;
    AgentGroup.Member vcpu;
    // vswitch / vmdq
    VirtioNetBackend backend;
    SwitchPort switchPort;
    int vmdqPool = -1;
    VmdqRelay relay;
    /** Why the guest's driver failed while the VM was destroyed, or null. */
    volatile String faultAtDestroy;
    // sriov
    int vf = -1;
    IommuDomain domain;

    Vm(VmSpec spec, Component component, GuestMemory memory) {
        this.spec = spec;
        this.component = component;
        this.memory = memory;
    }

    public String name() {
        return spec.name();
    }

    public VmSpec spec() {
        return spec;
    }

    public IoPath path() {
        return spec.path();
    }

    public State state() {
        State s = state;
        if ((s == State.RUNNING || s == State.PAUSED) && crashReason() != null) {
            AgentGroup.Member m = vcpu;
            return m != null && m.hung() ? State.HUNG : State.CRASHED;
        }
        return s;
    }

    /** Why the guest crashed (its application or driver threw on its vCPU) or hung, or null. */
    public String crashReason() {
        AgentGroup.Member m = vcpu;
        return m == null ? null : m.failure();
    }

    /** Its accounting component. */
    public Component component() {
        return component;
    }

    public GuestMemory memory() {
        return memory;
    }

    /** The guest's network device (virtio-net or a VF). */
    public EthDev vnic() {
        return vnic;
    }

    /** The guest's mbuf pool (in guest RAM). */
    public Mempool pool() {
        return pool;
    }

    /** The assigned VF, or -1. */
    public int vf() {
        return vf;
    }

    /**
     * Why the guest's own driver failed when the VM was destroyed (a guest that overwrote its
     * driver's state in its RAM), or null. The VM's pages, pool and function were returned anyway.
     */
    public String faultAtDestroy() {
        return faultAtDestroy;
    }

    /** The VMDq relay that lends this VM's buffers to its pool's queues, or null on another path. */
    public VmdqRelay relay() {
        return relay;
    }

    /** The VMDq pool, or -1. */
    public int vmdqPool() {
        return vmdqPool;
    }

    /** The virtio backend (vswitch and vmdq paths), or null. */
    public VirtioNetBackend backend() {
        return backend;
    }

    /** The IOMMU domain of an assigned VF, or null. */
    public IommuDomain iommuDomain() {
        return domain;
    }

    @Override
    public String toString() {
        return "VM " + spec.name() + " (" + spec.path().label() + ", " + state.name().toLowerCase() + ")";
    }
}
