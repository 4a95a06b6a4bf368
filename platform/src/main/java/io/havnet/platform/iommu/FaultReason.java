package io.havnet.platform.iommu;

/** Why the IOMMU refused a DMA (VT-d spec §7.1.3 fault reasons, simplified). */
public enum FaultReason {
    /** The requester is not attached to any domain (context entry not present). */
    NO_DOMAIN,
    /** No mapping for the address (second-level entry not present). */
    NOT_PRESENT,
    /** A write to a page mapped read-only. */
    WRITE_DENIED,
    /** A read from a page mapped without read permission. */
    READ_DENIED,
    /** The address is outside the domain's reach (beyond 48 bits or beyond host memory). */
    OUT_OF_RANGE
}
