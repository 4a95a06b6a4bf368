package io.havnet.platform.iommu;

import io.havnet.platform.memory.HostMemory;
import io.havnet.platform.paging.PageTable;
import io.havnet.platform.pci.PciFunction;

import java.util.ArrayList;
import java.util.List;

/**
 * The DMA remapping unit (Intel VT-d): a context table from requester id to domain, the domains'
 * second-level page tables, and the fault log. Translation itself is done by
 * {@link io.havnet.platform.dma.Dma} engines, each with its own IOTLB, through
 * {@link #domainOf(int)} and {@link IommuDomain#walk(long)}.
 */
public final class Iommu {
    private final HostMemory mem;
    private final IommuDomain[] context = new IommuDomain[1 << 16];
    private final List<IommuDomain> domains = new ArrayList<>();
    private final FaultLog faults = new FaultLog();
    private final IommuDomain passthrough;
    private int nextId = 1;

    public Iommu(HostMemory mem) {
        this.mem = mem;
        this.passthrough = new IommuDomain(0, "passthrough", null, mem.size());
        domains.add(passthrough);
    }

    public HostMemory memory() {
        return mem;
    }

    /** A new, empty domain with its own page table in host memory. */
    public synchronized IommuDomain createDomain(String name) {
        IommuDomain d = new IommuDomain(nextId++, name, new PageTable(mem), 0);
        domains.add(d);
        return d;
    }

    /** The identity domain for the host's own functions (IOVA = HPA over all host memory). */
    public IommuDomain passthroughDomain() {
        return passthrough;
    }

    /** Points {@code f}'s context entry at {@code d}; its next DMA is translated by {@code d}. */
    public synchronized void attach(PciFunction f, IommuDomain d) {
        if (d.isDestroyed()) {
            throw new IllegalStateException(d + " was destroyed");
        }
        context[f.requesterId()] = d;
        d.invalidate();
    }

    /** Clears {@code f}'s context entry: every DMA it makes faults (NO_DOMAIN) until attached again. */
    public synchronized void detach(PciFunction f) {
        IommuDomain d = context[f.requesterId()];
        context[f.requesterId()] = null;
        if (d != null) {
            d.invalidate();
        }
    }

    /** The domain of requester id {@code rid}, or null. */
    public IommuDomain domainOf(int rid) {
        return context[rid];
    }

    public IommuDomain domainOf(PciFunction f) {
        return context[f.requesterId()];
    }

    /** Detaches every function from {@code d} and returns its page-table pages. */
    public synchronized void destroyDomain(IommuDomain d) {
        if (d == passthrough) {
            throw new IllegalArgumentException("the passthrough domain cannot be destroyed");
        }
        for (int i = 0; i < context.length; i++) {
            if (context[i] == d) {
                context[i] = null;
            }
        }
        d.destroy();
        domains.remove(d);
    }

    public FaultLog faults() {
        return faults;
    }

    /** Records a refused access (called by DMA engines). */
    public void recordFault(PciFunction f, long iova, boolean write, FaultReason reason) {
        faults.record(f, iova, write, reason);
    }

    public synchronized List<IommuDomain> domains() {
        return List.copyOf(domains);
    }
}
