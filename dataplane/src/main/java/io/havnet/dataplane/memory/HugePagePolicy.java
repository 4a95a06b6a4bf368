package io.havnet.dataplane.memory;

/** How a {@link MemoryRegion} chooses its backing pages. */
public enum HugePagePolicy {
    /** hugetlb 2 MiB pages when reserved, otherwise normal pages with a one-line notice. */
    AUTO,
    /** normal pages, 2 MiB aligned (no notice). */
    NEVER,
    /** hugetlb pages or an {@link IllegalStateException} saying why not. */
    REQUIRE
}
