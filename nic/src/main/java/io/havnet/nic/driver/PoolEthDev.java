package io.havnet.nic.driver;

import io.havnet.dataplane.ethdev.LinkStatus;
import io.havnet.dataplane.memory.MemoryRegion;
import io.havnet.dataplane.net.MacAddress;
import io.havnet.nic.Nic;
import io.havnet.nic.regs.Registers;
import io.havnet.nic.vmdq.Pool;

/**
 * The host's port onto one VMDq pool ({@code net_ixgbe_vmdq}): the pool's queue pairs, driven
 * through the PF's BAR with rings and buffers in host memory. The hypervisor's VMDq relay reads
 * a VM's frames from here; the vSwitch uses the PF's default pool this way.
 */
public final class PoolEthDev extends IxgbeEthDev {
    private static final LinkStatus DOWN = LinkStatus.down(null);
    private final Nic nic;
    private final LinkStatus up;
    private final Pool pool;

    public PoolEthDev(String name, Nic nic, int pool, MemoryRegion hostMemory) {
        super(name, info("net_ixgbe_vmdq", nic.queuesPerPool()), new MacAddress(nic.pool(pool).config().mac()),
                nic.pfRegisters(), hostMemory);
        if (nic.pool(pool).isVf()) {
            throw new IllegalArgumentException("pool " + pool + " belongs to VF " + nic.pool(pool).function().vfIndex());
        }
        this.nic = nic;
        this.up = LinkStatus.up(nic.linkSpeedMbps());
        this.pool = nic.pool(pool);
    }

    public Pool pool() {
        return pool;
    }

    private int hw(int q) {
        return pool.firstQueue() + q;
    }

    @Override
    protected int rdbal(int q) {
        return Registers.RDBAL(hw(q));
    }

    @Override
    protected int rdbah(int q) {
        return Registers.RDBAH(hw(q));
    }

    @Override
    protected int rdlen(int q) {
        return Registers.RDLEN(hw(q));
    }

    @Override
    protected int srrctl(int q) {
        return Registers.SRRCTL(hw(q));
    }

    @Override
    protected int rdt(int q) {
        return Registers.RDT(hw(q));
    }

    @Override
    protected int rxdctl(int q) {
        return Registers.RXDCTL(hw(q));
    }

    @Override
    protected int tdbal(int q) {
        return Registers.TDBAL(hw(q));
    }

    @Override
    protected int tdbah(int q) {
        return Registers.TDBAH(hw(q));
    }

    @Override
    protected int tdlen(int q) {
        return Registers.TDLEN(hw(q));
    }

    @Override
    protected int tdt(int q) {
        return Registers.TDT(hw(q));
    }

    @Override
    protected int tdh(int q) {
        return Registers.TDH(hw(q));
    }

    @Override
    protected int txdctl(int q) {
        return Registers.TXDCTL(hw(q));
    }

    @Override
    protected int reta(int n) {
        return Registers.RETA(n);
    }

    @Override
    protected int mrqc() {
        return Registers.MRQC;
    }

    @Override
    public LinkStatus link() {
        return isStarted() && nic.wire().link().up() ? up : DOWN;
    }
}
