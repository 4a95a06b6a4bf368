package io.havnet.hypervisor.accounting;

/**
 * Modelled cost of the events havnet counts but cannot time — a VM exit (trap, hypervisor
 * handling, re-entry) and an interrupt injected into a guest — reported apart from measured CPU
 * time. Off by default.
 *
 * <p>Defaults and their sources: a VM exit and re-entry costs on the order of 1,000–2,000 cycles
 * on recent Intel cores (the order of magnitude of the null-exit round trips, e.g. cpuid or
 * vmcall, that KVM's {@code kvm-unit-tests} vmexit test reports) and an MMIO exit handled by an
 * in-kernel ioeventfd adds to that; havnet charges 1,500 cycles per exit. Injecting a virtual
 * interrupt, with the guest's handler entry and EOI, is charged 1,000 cycles. Cycles become time
 * at {@code ghz} (2.5 GHz, the reference machine). All three are settings: state the values you
 * used next to any figure that includes them.
 */
public record CostModel(boolean enabled, long cyclesPerExit, long cyclesPerInterrupt, double ghz) {
    public static final CostModel OFF = new CostModel(false, 1500, 1000, 2.5);

    public static CostModel defaults() {
        return new CostModel(true, 1500, 1000, 2.5);
    }

    public CostModel {
        if (cyclesPerExit < 0 || cyclesPerInterrupt < 0 || !(ghz > 0)) {
            throw new IllegalArgumentException("cost model: cycles must be >= 0 and GHz > 0");
        }
    }

    /** Modelled nanoseconds for {@code exits} VM exits and {@code interrupts} interrupts (0 when off). */
    public double nanos(long exits, long interrupts) {
        if (!enabled) {
            return 0;
        }
        return (exits * (double) cyclesPerExit + interrupts * (double) cyclesPerInterrupt) / ghz;
    }
}
