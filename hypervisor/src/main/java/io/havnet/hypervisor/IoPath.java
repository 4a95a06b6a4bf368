package io.havnet.hypervisor;

import java.util.Locale;

/** How a VM reaches the network. */
public enum IoPath {
    /** Software virtualization: the NIC's default queue, the hypervisor's vSwitch, virtio-net. */
    VSWITCH,
    /** Intel VMDq: the NIC sorts frames into the VM's own pool; the hypervisor copies pool ↔ virtio. */
    VMDQ,
    /** Intel SR-IOV + VT-d: the VM drives a virtual function; the NIC DMAs into guest memory. */
    SRIOV;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code vswitch}, {@code vmdq} or {@code sriov}; IllegalArgumentException naming the choices. */
    public static IoPath parse(String s) {
        for (IoPath p : values()) {
            if (p.label().equals(s)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown value '" + s + "' (expected vswitch, vmdq, sriov)");
    }
}
