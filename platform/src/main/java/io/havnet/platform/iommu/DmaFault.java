package io.havnet.platform.iommu;

import io.havnet.platform.pci.PciFunction;

/**
 * A fault record (VT-d §7.2): which function, which address, read or write, why. The access was
 * not performed.
 */
public record DmaFault(PciFunction function, long iova, boolean write, FaultReason reason, long sequence) {
    @Override
    public String toString() {
        return String.format("%s %s 0x%x: %s", function, write ? "write" : "read", iova,
                reason.name().toLowerCase().replace('_', ' '));
    }
}
