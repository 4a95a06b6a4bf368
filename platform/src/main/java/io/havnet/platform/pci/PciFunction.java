package io.havnet.platform.pci;

/**
 * A PCI function as the IOMMU sees it: its requester id (bus:device.function) names it in every
 * DMA it makes. A physical function (PF) or one of its SR-IOV virtual functions (VF).
 *
 * @param bus      bus number
 * @param device   device number (0..31)
 * @param function function number (0..7)
 * @param vfIndex  the VF's index under its PF, or -1 for a PF
 */
public record PciFunction(int bus, int device, int function, int vfIndex) {
    /** The 82599's SR-IOV capability: First VF Offset 0x80, VF Stride 2 (datasheet §9.4.4). */
    public static final int FIRST_VF_OFFSET = 0x80;
    public static final int VF_STRIDE = 2;

    public PciFunction {
        if (bus < 0 || bus > 255 || device < 0 || device > 31 || function < 0 || function > 7) {
            throw new IllegalArgumentException("bad PCI address " + bus + ":" + device + "." + function);
        }
    }

    /** A physical function at bus:device.function. */
    public static PciFunction pf(int bus, int device, int function) {
        return new PciFunction(bus, device, function, -1);
    }

    /** VF {@code n} of this PF: routing id = PF rid + first offset + n × stride (PCIe SR-IOV §3.3.10). */
    public PciFunction vf(int n) {
        if (isVf()) {
            throw new IllegalStateException(this + " is a VF; VFs have no VFs");
        }
        int rid = requesterId() + FIRST_VF_OFFSET + n * VF_STRIDE;
        return new PciFunction(rid >>> 8 & 0xFF, rid >>> 3 & 0x1F, rid & 7, n);
    }

    /** The 16-bit requester id (bus << 8 | device << 3 | function). */
    public int requesterId() {
        return bus << 8 | device << 3 | function;
    }

    public boolean isVf() {
        return vfIndex >= 0;
    }

    /** {@code 0000:03:00.0}, as lspci prints it. */
    @Override
    public String toString() {
        return String.format("0000:%02x:%02x.%x", bus, device, function);
    }
}
