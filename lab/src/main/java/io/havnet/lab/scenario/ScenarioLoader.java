package io.havnet.lab.scenario;

import io.havnet.dataplane.net.MacAddress;
import io.havnet.dataplane.net.Net;
import io.havnet.hypervisor.IoPath;
import io.havnet.nfv.config.ConfigException;
import io.havnet.nfv.config.ConfigNode;
import io.havnet.nic.Nic;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a scenario file and checks every field, reporting the first problem as one line with
 * file, line and field path — {@code lab.yaml:12: vms[2].path: unknown value 'sr-iov'
 * (expected vswitch, vmdq, sriov)}.
 */
public final class ScenarioLoader {
    static final Set<String> TOP = Set.of("name", "host", "wire", "traffic", "vms", "soak");
    static final Set<String> HOST = Set.of("memory", "vfs", "pools", "veb", "cost_model", "line_rate_mbps");
    static final Set<String> TRAFFIC = Set.of("frame_size", "frame_sizes", "in_flight", "rate_pps", "flows", "duration");
    static final Set<String> VM = Set.of("name", "path", "count", "vcpus", "memory", "mac", "vlan", "qos", "app", "spoofchk",
            "trust", "max_tx_rate", "ip", "tap");
    public static final String[] APPS = io.havnet.lab.apps.GuestApps.NAMES;

    private ScenarioLoader() {}

    /** Loads {@code file}; a missing file or bad content is a {@link ConfigException}. */
    public static Scenario load(Path file) {
        ConfigNode top = ConfigNode.load(file);
        return parse(top, file.toAbsolutePath().getParent());
    }

    /** Parses scenario {@code text}; {@code name} labels error messages; relative paths resolve against {@code dir}. */
    public static Scenario parse(String name, String text, Path dir) {
        return parse(ConfigNode.parse(name, text), dir);
    }

    private static Scenario parse(ConfigNode top, Path dir) {
        String name = top.file();
        Map<String, ConfigNode> f = top.map(TOP);
        String label = f.containsKey("name") ? f.get("name").text() : name;
        Scenario.HostConf host = host(f.get("host"));
        Scenario.WireConf wire = wire(f.get("wire"), dir);
        Scenario.TrafficConf traffic = traffic(f.get("traffic"));
        if (!f.containsKey("vms")) {
            throw top.error("vms: required (a list of VMs)");
        }
        List<Scenario.VmConf> vms = new ArrayList<>();
        Set<String> names = new HashSet<>();
        Set<String> taps = new HashSet<>();
        Map<String, String> macs = new HashMap<>(); // "MAC/VLAN" -> the VM that has it
        int sriov = 0;
        for (ConfigNode v : f.get("vms").list()) {
            Map<String, ConfigNode> m = v.map(VM);
            int count = m.containsKey("count") ? m.get("count").asInt(1, 64) : 1;
            for (int i = 0; i < count; i++) {
                Scenario.VmConf c = vm(v, m, count == 1 ? -1 : i);
                if (c.tap() != null && !taps.add(c.tap().name())) {
                    throw v.error("tap " + c.tap().name() + " is used twice");
                }
                if (!names.add(c.name())) {
                    throw v.error("name: '" + c.name() + "' is used twice");
                }
                if (c.mac() != null) { // one station per address and VLAN: the NIC's filters and the vSwitch know one
                    String other = macs.putIfAbsent(c.mac() + "/" + c.vlan(), c.name());
                    if (other != null) {
                        throw v.error("mac " + c.mac() + (c.vlan() >= 0 ? " on VLAN " + c.vlan() : "")
                                + " is already " + other + "'s");
                    }
                }
                if (c.path() == IoPath.SRIOV) {
                    sriov++;
                }
                vms.add(c);
            }
        }
        if (vms.isEmpty()) {
            throw f.get("vms").error("at least one VM is needed");
        }
        if (sriov > host.vfs()) {
            throw f.get("vms").error(sriov + " VMs on sriov but host.vfs is " + host.vfs());
        }
        long vmdq = vms.stream().filter(v -> v.path() == IoPath.VMDQ).count();
        int pools = host.pools() > 0 ? host.pools() : host.vfs() <= 15 ? 16 : host.vfs() <= 31 ? 32 : 64;
        if (host.vfs() + 1 + vmdq > pools) {
            throw f.get("vms").error(vmdq + " VMs on vmdq need a pool each, but " + pools + " pools hold only "
                    + (pools - host.vfs() - 1) + " after " + host.vfs() + " VFs and the PF's (set host.pools to 64 or "
                    + "lower host.vfs)");
        }
        long ram = vms.stream().mapToLong(Scenario.VmConf::memory).sum();
        if (ram + (256L << 20) > host.memory()) {
            throw (f.containsKey("host") ? f.get("host") : top).error("memory: " + (host.memory() >> 20)
                    + " MiB cannot hold the VMs' " + (ram >> 20) + " MiB plus 256 MiB for the host");
        }
        double soak = 0;
        if (f.containsKey("soak")) {
            if (!wire.kind().equals(Scenario.WireConf.GENERATOR)) {
                throw f.get("soak").error("a soak run needs the generator wire (the tester measures every round)");
            }
            soak = f.get("soak").asDuration(1, 86_400);
        }
        return new Scenario(label, host, wire, traffic, List.copyOf(vms), soak);
    }

    private static Scenario.HostConf host(ConfigNode h) {
        if (h == null) {
            return new Scenario.HostConf(2L << 30, 16, 0, true, false);
        }
        Map<String, ConfigNode> m = h.map(HOST);
        long mem = m.containsKey("memory") ? m.get("memory").asSize(256L << 20, 16L << 30) : 2L << 30;
        int vfs = m.containsKey("vfs") ? m.get("vfs").asInt(0, 63) : 16;
        int pools = 0;
        if (m.containsKey("pools")) {
            pools = Integer.parseInt(m.get("pools").oneOf("8", "16", "32", "64"));
            if (vfs >= pools) {
                throw m.get("pools").error(vfs + " VFs need more than " + pools + " pools (one is the PF's)");
            }
        }
        boolean veb = !m.containsKey("veb") || m.get("veb").asBool();
        boolean cm = m.containsKey("cost_model") && m.get("cost_model").asBool();
        long line = m.containsKey("line_rate_mbps") ? m.get("line_rate_mbps").asLong(0, Nic.MAX_LINE_RATE_MBPS) : 0;
        return new Scenario.HostConf(mem, vfs, pools, veb, cm, line);
    }

    private static Scenario.WireConf wire(ConfigNode w, Path dir) {
        if (w == null) {
            return Scenario.WireConf.generator();
        }
        if (w.isMap()) {
            Map<String, ConfigNode> m = w.map(Set.of("vxlan"));
            Map<String, ConfigNode> v = m.get("vxlan").map(Set.of("local", "remote", "vni"));
            for (String k : List.of("local", "remote", "vni")) {
                if (!v.containsKey(k)) {
                    throw m.get("vxlan").error(k + ": required ({local: IP:PORT, remote: IP:PORT, vni: N})");
                }
            }
            int[] l = endpoint(v.get("local"));
            int[] r = endpoint(v.get("remote"));
            return new Scenario.WireConf(Scenario.WireConf.VXLAN, null, null, null,
                    new Scenario.VxlanConf(l[0], l[1], r[0], r[1], v.get("vni").asInt(0, 0xFFFFFF)));
        }
        String t = w.text();
        if (t.equals("generator")) {
            return Scenario.WireConf.generator();
        }
        if (t.startsWith("af_packet:")) {
            String ifname = t.substring(10);
            if (!ifname.matches("[A-Za-z0-9_.@:-]{1,15}")) {
                throw w.error("'" + ifname + "' is not an interface name (1-15 letters, digits, . _ - @ :)");
            }
            return new Scenario.WireConf(Scenario.WireConf.AF_PACKET, null, null, ifname, null);
        }
        if (t.startsWith("pcap:")) {
            Path in = dir == null ? Path.of(t.substring(5)) : dir.resolve(t.substring(5));
            if (!Files.isRegularFile(in)) {
                throw w.error("pcap file " + in + " does not exist");
            }
            return new Scenario.WireConf(Scenario.WireConf.PCAP, in, null, null, null);
        }
        throw w.error("unknown value '" + t + "' (expected generator, pcap:FILE, af_packet:IF, {vxlan: {local: IP:PORT, remote: IP:PORT, vni: N}})");
    }

    private static int[] endpoint(ConfigNode n) {
        String t = n.text();
        int colon = t.lastIndexOf(':');
        try {
            int port = colon < 0 ? Net.VXLAN_PORT : Integer.parseInt(t.substring(colon + 1));
            int addr = Net.parseIpv4(colon < 0 ? t : t.substring(0, colon));
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException();
            }
            return new int[] {addr, port};
        } catch (IllegalArgumentException e) {
            throw n.error("'" + t + "' is not IP:PORT");
        }
    }

    private static Scenario.TrafficConf traffic(ConfigNode t) {
        if (t == null) {
            return new Scenario.TrafficConf(List.of(new Scenario.FrameSize(64)), 32, 0, 1, 5);
        }
        Map<String, ConfigNode> m = t.map(TRAFFIC);
        List<Scenario.FrameSize> sizes = new ArrayList<>();
        if (m.containsKey("frame_size") && m.containsKey("frame_sizes")) {
            throw m.get("frame_sizes").error("give frame_size or frame_sizes, not both");
        }
        if (m.containsKey("frame_size")) {
            sizes.add(size(m.get("frame_size")));
        } else if (m.containsKey("frame_sizes")) {
            for (ConfigNode s : m.get("frame_sizes").list()) {
                sizes.add(size(s));
            }
        } else {
            sizes.add(new Scenario.FrameSize(64));
        }
        int inFlight = m.containsKey("in_flight") ? m.get("in_flight").asInt(1, 512) : 32;
        long rate = m.containsKey("rate_pps") ? m.get("rate_pps").asLong(0, 100_000_000) : 0;
        int flows = m.containsKey("flows") ? m.get("flows").asInt(1, 65536) : 1;
        double secs = m.containsKey("duration") ? m.get("duration").asDuration(0.05, 3600) : 5;
        return new Scenario.TrafficConf(List.copyOf(sizes), inFlight, rate, flows, secs);
    }

    private static Scenario.FrameSize size(ConfigNode f) {
        if (f.text().equalsIgnoreCase("imix")) {
            return Scenario.FrameSize.IMIX;
        }
        return new Scenario.FrameSize(f.asInt(64, 9018));
    }

    private static Scenario.VmConf vm(ConfigNode v, Map<String, ConfigNode> m, int index) {
        if (!m.containsKey("name")) {
            throw v.error("name: required");
        }
        if (!m.containsKey("path")) {
            throw v.error("path: required (vswitch, vmdq, sriov)");
        }
        String name = m.get("name").text() + (index >= 0 ? "-" + index : "");
        if (!name.matches("[A-Za-z0-9_.-]{1,32}")) {
            throw m.get("name").error("'" + name + "' must be 1-32 letters, digits, '.', '_' or '-'");
        }
        IoPath path = IoPath.valueOf(m.get("path").oneOf("vswitch", "vmdq", "sriov").toUpperCase());
        int vcpus = m.containsKey("vcpus") ? m.get("vcpus").asInt(1, 1) : 1;
        long mem = m.containsKey("memory") ? m.get("memory").asSize(16L << 20, 4L << 30) : 64L << 20;
        MacAddress mac = null;
        if (m.containsKey("mac")) {
            try {
                mac = MacAddress.parse(m.get("mac").text());
            } catch (IllegalArgumentException e) {
                throw m.get("mac").error(e.getMessage());
            }
            if (!mac.isUnicast()) {
                throw m.get("mac").error(mac + " is not a unicast address");
            }
            if (index >= 0) {
                mac = new MacAddress(mac.value() + index);
            }
        }
        int vlan = m.containsKey("vlan") ? m.get("vlan").asInt(0, 4094) : -1;
        int qos = m.containsKey("qos") ? m.get("qos").asInt(0, 7) : 0;
        String app = m.containsKey("app") ? (m.get("app").text().equals("tap-bridge") ? "tap-bridge" : m.get("app").oneOf(APPS))
                : "macswap";
        boolean spoof = !m.containsKey("spoofchk") || m.get("spoofchk").asBool();
        boolean trust = m.containsKey("trust") && m.get("trust").asBool();
        long rate = m.containsKey("max_tx_rate") ? m.get("max_tx_rate").asLong(0, 10_000) : 0;
        String ip = null;
        if (m.containsKey("ip")) {
            ip = m.get("ip").text();
            try {
                int a = Net.parseIpv4(ip);
                if (index >= 0) {
                    ip = Net.ipv4ToString(a + index);
                }
            } catch (IllegalArgumentException e) {
                throw m.get("ip").error(e.getMessage());
            }
        }
        if (path != IoPath.SRIOV && (m.containsKey("spoofchk") || m.containsKey("trust") || m.containsKey("max_tx_rate"))) {
            throw v.error("spoofchk, trust and max_tx_rate are VF settings: only for path sriov");
        }
        Scenario.TapConf tap = null;
        if (m.containsKey("tap")) {
            if (m.containsKey("app") && !app.equals("tap-bridge")) {
                throw m.get("app").error("a VM with a tap runs tap-bridge (its guest OS is the namespace)");
            }
            if (index >= 0) {
                throw m.get("tap").error("a tap needs its own VM (no count)");
            }
            Map<String, ConfigNode> t = m.get("tap").map(Set.of("name", "netns", "ip"));
            for (String k : List.of("name", "netns", "ip")) {
                if (!t.containsKey(k)) {
                    throw m.get("tap").error(k + ": required ({name: T, netns: NS, ip: A.B.C.D/LEN})");
                }
            }
            String tn = t.get("name").text();
            if (!tn.matches("[A-Za-z0-9_.-]{1,15}")) {
                throw t.get("name").error("'" + tn + "' is not an interface name (1-15 letters, digits, . _ -)");
            }
            String ns = t.get("netns").text();
            if (!ns.matches("[A-Za-z0-9_.-]{1,64}")) {
                throw t.get("netns").error("'" + ns + "' is not a namespace name");
            }
            String cidr = t.get("ip").text();
            int slash = cidr.indexOf('/');
            try {
                Net.parseIpv4(slash < 0 ? cidr : cidr.substring(0, slash));
                int len = slash < 0 ? -1 : Integer.parseInt(cidr.substring(slash + 1));
                if (len < 1 || len > 32) {
                    throw new IllegalArgumentException();
                }
            } catch (IllegalArgumentException e) {
                throw t.get("ip").error("'" + cidr + "' is not A.B.C.D/LEN");
            }
            tap = new Scenario.TapConf(tn, ns, cidr);
            app = "tap-bridge";
        }
        return new Scenario.VmConf(name, path, vcpus, mem, mac, vlan, qos, app, spoof, trust, rate, ip, tap);
    }
}
