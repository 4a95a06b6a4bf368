package io.havnet.hypervisor;

import io.havnet.dataplane.net.MacAddress;

/**
 * A VM to create.
 *
 * @param name         unique name
 * @param path         how it reaches the network
 * @param memoryBytes  guest RAM (rounded up to 2 MiB)
 * @param mac          its MAC (null: one is derived from the name)
 * @param vlan         vswitch: access VLAN (0 untagged); vmdq: the pool's VLAN; sriov: port VLAN; -1 none
 * @param qos          802.1p priority for a port VLAN (sriov)
 * @param spoofCheck   sriov: anti-spoofing
 * @param trust        sriov: trusted VF
 * @param maxTxRateMbps sriov: rate limit, 0 none
 * @param app          what its vCPU runs
 * @param pollMode     virtio guests: poll (no interrupts) or interrupt-driven
 * @param ringSize     descriptors per RX and TX queue
 * @param mbufs        mbufs in the guest's pool
 */
public record VmSpec(String name, IoPath path, long memoryBytes, MacAddress mac, int vlan, int qos, boolean spoofCheck,
                     boolean trust, long maxTxRateMbps, GuestApp app, boolean pollMode, int ringSize, int mbufs) {
    public VmSpec {
        if (name == null || !name.matches("[A-Za-z0-9_.-]{1,32}")) {
            throw new IllegalArgumentException("VM name '" + name + "' must be 1-32 letters, digits, '.', '_' or '-'");
        }
        if (path == null) {
            throw new IllegalArgumentException("VM " + name + ": path is required (vswitch, vmdq, sriov)");
        }
        if (memoryBytes < (8L << 20)) {
            throw new IllegalArgumentException("VM " + name + ": memory must be at least 8 MiB");
        }
        if (vlan < -1 || vlan > 4094 || qos < 0 || qos > 7) {
            throw new IllegalArgumentException("VM " + name + ": vlan must be in [0, 4094] (or none) and qos in [0, 7]");
        }
        if (Integer.bitCount(ringSize) != 1 || ringSize < 32 || ringSize > 1024) {
            throw new IllegalArgumentException("VM " + name + ": ring size " + ringSize + " must be a power of two in [32, 1024]");
        }
        if (mbufs < 2 * ringSize + 256) {
            throw new IllegalArgumentException("VM " + name + ": " + mbufs + " mbufs cannot fill two rings of " + ringSize);
        }
    }

    /** A VM with defaults: 64 MiB, derived MAC, no VLAN, spoof checking on, 256-descriptor rings, 2047 mbufs, poll mode. */
    public static VmSpec of(String name, IoPath path, GuestApp app) {
        return new VmSpec(name, path, 64L << 20, null, -1, 0, true, false, 0, app, true, 256, 2047);
    }

    public VmSpec withMac(MacAddress m) {
        return new VmSpec(name, path, memoryBytes, m, vlan, qos, spoofCheck, trust, maxTxRateMbps, app, pollMode, ringSize, mbufs);
    }

    public VmSpec withVlan(int v, int q) {
        return new VmSpec(name, path, memoryBytes, mac, v, q, spoofCheck, trust, maxTxRateMbps, app, pollMode, ringSize, mbufs);
    }

    public VmSpec withMemory(long bytes) {
        return new VmSpec(name, path, bytes, mac, vlan, qos, spoofCheck, trust, maxTxRateMbps, app, pollMode, ringSize, mbufs);
    }

    public VmSpec withRing(int size, int nMbufs) {
        return new VmSpec(name, path, memoryBytes, mac, vlan, qos, spoofCheck, trust, maxTxRateMbps, app, pollMode, size, nMbufs);
    }

    public VmSpec withVfAdmin(boolean spoof, boolean trusted, long mbps) {
        return new VmSpec(name, path, memoryBytes, mac, vlan, qos, spoof, trusted, mbps, app, pollMode, ringSize, mbufs);
    }

    public VmSpec withPollMode(boolean poll) {
        return new VmSpec(name, path, memoryBytes, mac, vlan, qos, spoofCheck, trust, maxTxRateMbps, app, poll, ringSize, mbufs);
    }

    /** The MAC to use: the given one, or 02:xx derived from the name. */
    public MacAddress effectiveMac() {
        return mac != null ? mac : MacAddress.local(0x48_0000_0000L | (name.hashCode() & 0xFFFF_FFFFL));
    }
}
