package io.havnet.nfv.config;

import io.havnet.dataplane.net.Net;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A YAML node with the path that leads to it ({@code vms[2].path}) and its line, so every
 * validation error can say where it is: {@code demo.yaml:14: vms[2].path: unknown value ...}.
 * Scenario files, gateway (IPsec) configs, route tables and ACLs are all read through it.
 */
public final class ConfigNode {
    private final String file;
    private final String path;
    private final Node node;

    /**
     * Parses {@code text} (labelled {@code name} in messages) into its root node; YAML syntax
     * errors become one-line {@link ConfigException}s with the line.
     */
    public static ConfigNode parse(String name, String text) {
        try {
            java.util.Optional<Node> n = new org.snakeyaml.engine.v2.api.lowlevel.Compose(
                    org.snakeyaml.engine.v2.api.LoadSettings.builder().setLabel(name).build()).composeString(text);
            if (n.isEmpty()) {
                throw new ConfigException(name + ": empty file");
            }
            return new ConfigNode(name, "", n.get());
        } catch (org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException e) {
            int line = e.getProblemMark().map(m -> m.getLine() + 1).orElse(0);
            throw new ConfigException(name + ":" + line + ": YAML error: " + e.getProblem());
        } catch (org.snakeyaml.engine.v2.exceptions.YamlEngineException e) {
            throw new ConfigException(name + ": YAML error: " + e.getMessage().lines().findFirst().orElse(""));
        } catch (ConfigException e) {
            throw e;
        } catch (RuntimeException e) {
            // the YAML library refuses some inputs with plain exceptions (a tag with spaces, ...): still one line
            throw new ConfigException(name + ": YAML error: " + (e.getMessage() == null ? e.getClass().getSimpleName()
                    : e.getMessage().lines().findFirst().orElse("")));
        }
    }

    /** Reads and parses {@code file}; a missing or unreadable file is a {@link ConfigException}. */
    public static ConfigNode load(java.nio.file.Path file) {
        String text;
        try {
            text = java.nio.file.Files.readString(file);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new ConfigException(file + ": no such file");
        } catch (java.io.IOException e) {
            throw new ConfigException(file + ": " + e.getMessage());
        }
        return parse(file.toString(), text);
    }

    public ConfigNode(String file, String path, Node node) {
        this.file = file;
        this.path = path;
        this.node = node;
    }

    public String path() {
        return path;
    }

    public int line() {
        return node.getStartMark().map(m -> m.getLine() + 1).orElse(0);
    }

    public ConfigException error(String message) {
        return new ConfigException(file + ":" + line() + ": " + (path.isEmpty() ? "" : path + ": ") + message);
    }

    public boolean isMap() {
        return node instanceof MappingNode;
    }

    public boolean isList() {
        return node instanceof SequenceNode;
    }

    /** The mapping's fields by key, refusing keys that are not {@code allowed}. */
    public Map<String, ConfigNode> map(Set<String> allowed) {
        if (!(node instanceof MappingNode m)) {
            throw error("expected a mapping of " + String.join(", ", new java.util.TreeSet<>(allowed)));
        }
        Map<String, ConfigNode> out = new LinkedHashMap<>();
        for (NodeTuple t : m.getValue()) {
            if (!(t.getKeyNode() instanceof ScalarNode k)) {
                throw error("keys must be plain names");
            }
            String key = k.getValue();
            String p = path.isEmpty() ? key : path + "." + key;
            if (!allowed.contains(key)) {
                throw new ConfigNode(file, p, t.getKeyNode()).error("unknown field (expected one of "
                        + String.join(", ", new java.util.TreeSet<>(allowed)) + ")");
            }
            if (out.containsKey(key)) {
                throw new ConfigNode(file, p, t.getKeyNode()).error("given twice");
            }
            out.put(key, new ConfigNode(file, p, t.getValueNode()));
        }
        return out;
    }

    public List<ConfigNode> list() {
        if (!(node instanceof SequenceNode s)) {
            throw error("expected a list");
        }
        List<ConfigNode> out = new ArrayList<>();
        int i = 0;
        for (Node n : s.getValue()) {
            out.add(new ConfigNode(file, path + "[" + i++ + "]", n));
        }
        return out;
    }

    public String text() {
        if (!(node instanceof ScalarNode s)) {
            throw error("expected a single value");
        }
        return s.getValue().trim();
    }

    public long asLong(long min, long max) {
        String t = text();
        long v;
        try {
            v = t.startsWith("0x") ? Long.parseLong(t.substring(2), 16) : Long.parseLong(t.replace("_", ""));
        } catch (NumberFormatException e) {
            throw error("'" + t + "' is not a whole number");
        }
        if (v < min || v > max) {
            throw error(v + " is out of range [" + min + ", " + max + "]");
        }
        return v;
    }

    /** A port ({@code 80}) or range ({@code 1024-65535}) as {lo, hi} within [0, 65535]. */
    public int[] asPortRange() {
        String t = text();
        int dash = t.indexOf('-');
        try {
            int lo = Integer.parseInt(dash < 0 ? t : t.substring(0, dash).trim());
            int hi = dash < 0 ? lo : Integer.parseInt(t.substring(dash + 1).trim());
            if (lo < 0 || hi > 65535 || lo > hi) {
                throw error("'" + t + "' is not a port range in [0, 65535]");
            }
            return new int[] {lo, hi};
        } catch (NumberFormatException e) {
            throw error("'" + t + "' is not a port or a range (80, 1024-65535)");
        }
    }

    /** An IP protocol: {@code tcp}, {@code udp}, {@code icmp}, {@code esp}, a number 0–255, or {@code any} (-1). */
    public int asIpProtocol() {
        return switch (text()) {
            case "tcp" -> Net.IPPROTO_TCP;
            case "udp" -> Net.IPPROTO_UDP;
            case "icmp" -> Net.IPPROTO_ICMP;
            case "esp" -> Net.IPPROTO_ESP;
            case "any" -> -1;
            default -> asInt(0, 255);
        };
    }

    public int asInt(int min, int max) {
        return (int) asLong(min, max);
    }

    public boolean asBool() {
        return switch (text().toLowerCase(Locale.ROOT)) {
            case "true", "on", "yes" -> true;
            case "false", "off", "no" -> false;
            default -> throw error("'" + text() + "' is not a boolean (expected on, off, true, false, yes or no)");
        };
    }

    /** {@code 512m}, {@code 2g}, {@code 65536} → bytes. */
    public long asSize(long min, long max) {
        String t = text().toLowerCase(Locale.ROOT).strip();
        if (t.endsWith("ib")) {
            t = t.substring(0, t.length() - 2);
        } else if (t.endsWith("b") && t.length() > 1 && Character.isLetter(t.charAt(t.length() - 2))) {
            t = t.substring(0, t.length() - 1);
        }
        long mult = 1;
        if (t.endsWith("k")) {
            mult = 1L << 10;
        } else if (t.endsWith("m")) {
            mult = 1L << 20;
        } else if (t.endsWith("g")) {
            mult = 1L << 30;
        }
        String num = mult == 1 ? t : t.substring(0, t.length() - 1);
        long v;
        try {
            v = Long.parseLong(num) * mult;
        } catch (NumberFormatException e) {
            throw error("'" + text() + "' is not a size (expected a number of bytes with an optional unit: 64MiB, 2GiB, 512k)");
        }
        if (v < min || v > max) {
            throw error(text() + " is out of range [" + min + ", " + max + "] bytes");
        }
        return v;
    }

    /** {@code 5s}, {@code 500ms}, {@code 2m} → seconds. */
    public double asDuration(double min, double max) {
        double v;
        try {
            v = seconds(text());
        } catch (NumberFormatException e) {
            throw error("'" + text() + "' is not a duration (expected e.g. 500ms, 5s, 2m, 1h)");
        }
        if (!(v >= min && v <= max)) {
            throw error(text() + " is out of range [" + min + "s, " + max + "s]");
        }
        return v;
    }

    /**
     * A duration as seconds: {@code 90}, {@code 500ms}, {@code 5s}, {@code 2m}, {@code 1h}.
     *
     * @throws NumberFormatException when {@code text} is not one
     */
    public static double seconds(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        double unit = 1;
        if (t.endsWith("ms")) {
            unit = 0.001;
            t = t.substring(0, t.length() - 2);
        } else if (t.endsWith("s")) {
            t = t.substring(0, t.length() - 1);
        } else if (t.endsWith("m")) {
            unit = 60;
            t = t.substring(0, t.length() - 1);
        } else if (t.endsWith("h")) {
            unit = 3600;
            t = t.substring(0, t.length() - 1);
        }
        if (!t.matches("[0-9]+(\\.[0-9]+)?")) {
            throw new NumberFormatException("not a duration: " + text);
        }
        return Double.parseDouble(t) * unit;
    }

    /** The whole node's file label. */
    public String file() {
        return file;
    }

    /** An IPv4 address in dotted form, as an int. */
    public int asIpv4() {
        try {
            return io.havnet.dataplane.net.Net.parseIpv4(text());
        } catch (IllegalArgumentException e) {
            throw error("'" + text() + "' is not an IPv4 address");
        }
    }

    /** An IPv4 prefix {@code a.b.c.d/len} as {address, length}; host bits must be zero. */
    public int[] asIpv4Prefix() {
        String t = text();
        int slash = t.indexOf('/');
        if (slash < 0) {
            throw error("'" + t + "' is not a prefix (expected a.b.c.d/len)");
        }
        int len;
        int addr;
        try {
            len = Integer.parseInt(t.substring(slash + 1));
            addr = io.havnet.dataplane.net.Net.parseIpv4(t.substring(0, slash));
        } catch (IllegalArgumentException e) {
            throw error("'" + t + "' is not a prefix (expected a.b.c.d/len)");
        }
        if (len < 0 || len > 32) {
            throw error("'" + t + "': prefix length must be in [0, 32]");
        }
        int mask = len == 0 ? 0 : -1 << (32 - len);
        if ((addr & ~mask) != 0) {
            throw error("'" + t + "' has host bits set (did you mean "
                    + io.havnet.dataplane.net.Net.ipv4ToString(addr & mask) + "/" + len + "?)");
        }
        return new int[] {addr, len};
    }

    /** A MAC address {@code 02:00:00:00:00:01}. */
    public io.havnet.dataplane.net.MacAddress asMac() {
        try {
            return io.havnet.dataplane.net.MacAddress.parse(text());
        } catch (IllegalArgumentException e) {
            throw error("'" + text() + "' is not a MAC address");
        }
    }

    public String oneOf(String... choices) {
        String t = text();
        for (String c : choices) {
            if (c.equals(t)) {
                return t;
            }
        }
        throw error("unknown value '" + t + "' (expected " + String.join(", ", choices) + ")");
    }
}
