package io.havnet.lab.control;

import io.havnet.dataplane.net.MacAddress;
import io.havnet.hypervisor.Host;
import io.havnet.hypervisor.Vm;
import io.havnet.nic.Nic;
import io.havnet.nic.driver.PfDriver;
import io.havnet.nic.sriov.LinkState;
import io.havnet.nic.sriov.VfInfo;

import java.util.Locale;

/**
 * VF administration the way {@code ip link} does it, on a host's physical function {@code pf0}:
 * <pre>
 * set pf0 vf 3 mac 02:00:00:00:00:03 vlan 10 qos 3 spoofchk on trust off max_tx_rate 500 state enable
 * show pf0
 * </pre>
 * A line is checked whole before anything changes; a bad one is an {@link IllegalArgumentException}
 * naming the word and what was expected.
 */
public final class VfAdmin {
    public static final String PF = "pf0";
    private final Host host;

    public VfAdmin(Host host) {
        this.host = host;
    }

    /** Runs one {@code set ...} or {@code show ...} line; returns what it prints. */
    public String execute(String line) {
        String[] w = line.trim().split("\\s+");
        if (w.length == 0 || w[0].isEmpty()) {
            throw new IllegalArgumentException("empty command (expected: set pf0 vf N ..., show pf0)");
        }
        return switch (w[0]) {
            case "set" -> set(w);
            case "show" -> {
                if (w.length != 2) {
                    throw new IllegalArgumentException("usage: show " + PF);
                }
                checkPf(w[1]);
                yield show();
            }
            default -> throw new IllegalArgumentException("unknown command '" + w[0] + "' (expected set, show)");
        };
    }

    private static void checkPf(String dev) {
        if (!dev.equals(PF)) {
            throw new IllegalArgumentException("Cannot find device \"" + dev + "\" (this host has " + PF + ")");
        }
    }

    private int vfIndex(String s) {
        int n = host.nic().numVfs();
        int vf;
        try {
            vf = Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("vf '" + s + "' is not a number");
        }
        if (vf < 0 || vf >= n) {
            throw new IllegalArgumentException("vf " + vf + " does not exist (" + PF + " has " + n + " VFs: 0-" + (n - 1) + ")");
        }
        return vf;
    }

    private String set(String[] w) {
        if (w.length < 4 || !w[2].equals("vf")) {
            throw new IllegalArgumentException("usage: set " + PF + " vf N [mac M] [vlan V [qos Q]] [spoofchk on|off]"
                    + " [trust on|off] [max_tx_rate Mbps] [state auto|enable|disable]");
        }
        checkPf(w[1]);
        int vf = vfIndex(w[3]);
        if (w.length == 4 || (w.length - 4) % 2 != 0) {
            throw new IllegalArgumentException("set " + PF + " vf " + vf + ": expected KEY VALUE pairs after the VF number");
        }
        // parse everything first: a line applies whole or not at all
        MacAddress mac = null;
        Integer vlan = null;
        Integer qos = null;
        Boolean spoof = null;
        Boolean trust = null;
        Long rate = null;
        LinkState state = null;
        for (int i = 4; i < w.length; i += 2) {
            String k = w[i];
            String v = w[i + 1];
            switch (k) {
                case "mac" -> {
                    mac = MacAddress.parse(v);
                    if (!mac.isUnicast() || mac.value() == 0) {
                        throw new IllegalArgumentException("mac " + v + ": must be a unicast address");
                    }
                }
                case "vlan" -> vlan = number("vlan", v, 0, 4094);
                case "qos" -> qos = number("qos", v, 0, 7);
                case "spoofchk" -> spoof = onOff("spoofchk", v);
                case "trust" -> trust = onOff("trust", v);
                case "max_tx_rate", "rate" -> rate = (long) number(k, v, 0, 10_000);
                case "state" -> state = LinkState.parse(v);
                default -> throw new IllegalArgumentException("unknown VF setting '" + k
                        + "' (expected mac, vlan, qos, spoofchk, trust, max_tx_rate, state)");
            }
        }
        if (qos != null && vlan == null) {
            throw new IllegalArgumentException("qos needs a vlan on the same line (vlan V qos Q)");
        }
        if (qos != null && vlan == 0 && qos != 0) {
            throw new IllegalArgumentException("qos " + qos + " needs a vlan other than 0");
        }
        PfDriver pf = host.pf();
        if (mac != null) {
            pf.setVfMac(vf, mac);
        }
        if (vlan != null) {
            pf.setVfVlan(vf, vlan, qos == null ? 0 : qos);
        }
        if (spoof != null) {
            pf.setVfSpoofCheck(vf, spoof);
        }
        if (trust != null) {
            pf.setVfTrust(vf, trust);
        }
        if (rate != null) {
            pf.setVfMaxTxRate(vf, rate);
        }
        if (state != null) {
            pf.setVfLinkState(vf, state);
        }
        return "";
    }

    private static int number(String what, String v, int min, int max) {
        int n;
        try {
            n = Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " '" + v + "' is not a number");
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException(what + " " + n + " is out of range [" + min + ", " + max + "]");
        }
        return n;
    }

    private static boolean onOff(String what, String v) {
        return switch (v) {
            case "on" -> true;
            case "off" -> false;
            default -> throw new IllegalArgumentException(what + " '" + v + "': expected on or off");
        };
    }

    /** The PF and its VFs, as {@code ip -s link show pf0} prints them; each VF's user is named. */
    public String show() {
        Nic nic = host.nic();
        StringBuilder b = new StringBuilder();
        boolean up = nic.wire().link().up();
        b.append("1: ").append(PF).append(": <BROADCAST,MULTICAST").append(up ? ",UP,LOWER_UP" : "")
                .append("> mtu 1500 state ").append(up ? "UP" : "DOWN").append(" vfs ").append(nic.numVfs())
                .append(" pools ").append(nic.numPools()).append('\n');
        b.append("    link/ether ").append(MacAddress.toString(nic.portMac())).append(" brd ff:ff:ff:ff:ff:ff\n");
        for (int vf = 0; vf < nic.numVfs(); vf++) {
            VfInfo i = host.pf().vfInfo(vf);
            b.append("    ").append(i.ipLinkLine());
            String user = userOf(vf);
            b.append(user == null ? "" : "  [" + user + "]").append('\n');
            b.append(i.statsLines().indent(4));
        }
        return b.toString();
    }

    private String userOf(int vf) {
        for (Vm v : host.vms()) {
            if (v.vf() == vf) {
                return "vm " + v.name() + ", " + v.vnic().link().toString().toLowerCase(Locale.ROOT);
            }
        }
        return null;
    }
}
