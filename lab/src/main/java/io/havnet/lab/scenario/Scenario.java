package io.havnet.lab.scenario;

import io.havnet.dataplane.net.MacAddress;
import io.havnet.hypervisor.IoPath;

import java.nio.file.Path;
import java.util.List;

/**
 * An experiment: a host, its wire, VMs and the traffic to run (see docs/scenarios.md).
 *
 * @param name    a label for reports
 * @param host    the server
 * @param wire    what the NIC's port is connected to
 * @param traffic the traffic the tester offers
 * @param vms     the VMs (with {@code count} already expanded)
 */
public record Scenario(String name, HostConf host, WireConf wire, TrafficConf traffic, List<VmConf> vms, double soakSeconds) {

    /** A scenario that is not a soak run. */
    public Scenario(String name, HostConf host, WireConf wire, TrafficConf traffic, List<VmConf> vms) {
        this(name, host, wire, traffic, vms, 0);
    }

    /** A soak run: the phases repeat for {@link #soakSeconds()} (scenario key {@code soak}). */
    public boolean soak() {
        return soakSeconds > 0;
    }

    /** The server; {@code lineRateMbps} paces the NIC's port (0: not paced). */
    public record HostConf(long memory, int vfs, int pools, boolean veb, boolean costModel, long lineRateMbps) {
        public HostConf(long memory, int vfs, int pools, boolean veb, boolean costModel) {
            this(memory, vfs, pools, veb, costModel, 0);
        }
    }

    /**
     * The wire: a tester generating traffic; a pcap file replayed (what the NIC sends is written to
     * another); a Linux interface (AF_PACKET); or a VXLAN tunnel over UDP to another host.
     */
    public record WireConf(String kind, Path pcapIn, Path pcapOut, String iface, VxlanConf vxlan) {
        public static final String GENERATOR = "generator";
        public static final String PCAP = "pcap";
        public static final String AF_PACKET = "af_packet";
        public static final String VXLAN = "vxlan";

        public static WireConf generator() {
            return new WireConf(GENERATOR, null, null, null, null);
        }

        /** True for wires that are real interfaces or sockets (no tester, the host just runs). */
        public boolean real() {
            return kind.equals(AF_PACKET) || kind.equals(VXLAN);
        }
    }

    /** A VXLAN uplink: local and remote UDP endpoints and the VNI. */
    public record VxlanConf(int local, int localPort, int remote, int remotePort, int vni) {}

    /**
     * A guest operating system for a VM: a TAP interface named {@code name} in network namespace
     * {@code netns} with address {@code cidr} (e.g. 10.9.0.11/24); the VM bridges its vNIC to it.
     */
    public record TapConf(String name, String netns, String cidr) {}

    /** A frame size in bytes (FCS included) or IMIX (7 × 64 : 4 × 576 : 1 × 1518). */
    public record FrameSize(int bytes) {
        public static final FrameSize IMIX = new FrameSize(0);

        public boolean imix() {
            return bytes == 0;
        }

        public Object label() {
            return imix() ? "imix" : bytes;
        }

        @Override
        public String toString() {
            return imix() ? "IMIX" : bytes + " B";
        }
    }

    /**
     * Traffic: one phase per (frame size, path).
     *
     * @param sizes     frame sizes, one phase each
     * @param inFlight  frames per VM circulating in the closed loop
     * @param ratePps   0: closed loop (as fast as the host goes); > 0: open loop at this many frames/s
     * @param flows     UDP flows per VM
     * @param seconds   measured seconds per phase
     */
    public record TrafficConf(List<FrameSize> sizes, int inFlight, long ratePps, int flows, double seconds) {}

    /** One VM. */
    public record VmConf(String name, IoPath path, int vcpus, long memory, MacAddress mac, int vlan, int qos, String app,
                         boolean spoofCheck, boolean trust, long maxTxRateMbps, String ip, TapConf tap) {}

    /** The paths present, in the order vswitch, vmdq, sriov. */
    public List<IoPath> paths() {
        return java.util.Arrays.stream(IoPath.values()).filter(p -> vms.stream().anyMatch(v -> v.path() == p)).toList();
    }
}
