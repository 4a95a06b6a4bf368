package io.havnet.dataplane;

/**
 * Switchable debug checks (STYLE lesson 9): mbuf sanity, mempool cookies, double-free and
 * bounds checks. Off by default so the fast path pays nothing; the test suite runs with
 * {@code -Dhavnet.debug=true}. Being {@code static final}, a disabled check is removed by the JIT.
 */
public final class Debug {
    /** {@code -Dhavnet.debug=true}: cookies, ownership and bounds checks in mempool and mbuf. */
    public static final boolean CHECKS = Boolean.getBoolean("havnet.debug");

    private Debug() {}
}
