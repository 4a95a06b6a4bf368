package io.havnet.platform;

import io.havnet.dataplane.memory.HugePagePolicy;
import io.havnet.platform.iommu.Iommu;
import io.havnet.platform.memory.HostMemory;

/** The server's board minus the NIC: host physical memory and the IOMMU in front of it. */
public record Platform(HostMemory memory, Iommu iommu) implements AutoCloseable {
    /** A platform with {@code bytes} of host memory (hugetlb-backed when reserved). */
    public static Platform create(long bytes) {
        HostMemory m = HostMemory.allocate(bytes, HugePagePolicy.AUTO);
        return new Platform(m, new Iommu(m));
    }

    public static Platform create(long bytes, HugePagePolicy policy) {
        HostMemory m = HostMemory.allocate(bytes, policy);
        return new Platform(m, new Iommu(m));
    }

    @Override
    public void close() {
        memory.close();
    }
}
