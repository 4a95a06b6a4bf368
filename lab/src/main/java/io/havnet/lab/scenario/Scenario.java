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
public record Scenario(String name, HostConf host, WireConf wire, TrafficConf traffic, List<VmConf> vms) {

    /** The server. */
    public record HostConf(long memory, int vfs, int pools, boolean veb, boolean costModel) {}

    /** The wire: a tester generating traffic, or a pcap file replayed (what the NIC sends is written to another). */
    public record WireConf(String kind, Path pcapIn, Path pcapOut, String iface) {
        public static final String GENERATOR = "generator";
        public static final String PCAP = "pcap";
    }

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
                         boolean spoofCheck, boolean trust, long maxTxRateMbps, String ip) {}

    /** The paths present, in the order vswitch, vmdq, sriov. */
    public List<IoPath> paths() {
        return java.util.Arrays.stream(IoPath.values()).filter(p -> vms.stream().anyMatch(v -> v.path() == p)).toList();
    }
}
