package io.havnet.lab.scenario;

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
 */
final class Field {
    private final String file;
    private final String path;
    private final Node node;

    Field(String file, String path, Node node) {
        this.file = file;
        this.path = path;
        this.node = node;
    }

    String path() {
        return path;
    }

    int line() {
        return node.getStartMark().map(m -> m.getLine() + 1).orElse(0);
    }

    ScenarioException error(String message) {
        return new ScenarioException(file + ":" + line() + ": " + (path.isEmpty() ? "" : path + ": ") + message);
    }

    boolean isMap() {
        return node instanceof MappingNode;
    }

    boolean isList() {
        return node instanceof SequenceNode;
    }

    /** The mapping's fields by key, refusing keys that are not {@code allowed}. */
    Map<String, Field> map(Set<String> allowed) {
        if (!(node instanceof MappingNode m)) {
            throw error("expected a mapping of " + String.join(", ", allowed));
        }
        Map<String, Field> out = new LinkedHashMap<>();
        for (NodeTuple t : m.getValue()) {
            if (!(t.getKeyNode() instanceof ScalarNode k)) {
                throw error("keys must be plain names");
            }
            String key = k.getValue();
            String p = path.isEmpty() ? key : path + "." + key;
            if (!allowed.contains(key)) {
                throw new Field(file, p, t.getKeyNode()).error("unknown field (expected one of "
                        + String.join(", ", allowed) + ")");
            }
            if (out.containsKey(key)) {
                throw new Field(file, p, t.getKeyNode()).error("given twice");
            }
            out.put(key, new Field(file, p, t.getValueNode()));
        }
        return out;
    }

    List<Field> list() {
        if (!(node instanceof SequenceNode s)) {
            throw error("expected a list");
        }
        List<Field> out = new ArrayList<>();
        int i = 0;
        for (Node n : s.getValue()) {
            out.add(new Field(file, path + "[" + i++ + "]", n));
        }
        return out;
    }

    String text() {
        if (!(node instanceof ScalarNode s)) {
            throw error("expected a single value");
        }
        return s.getValue().trim();
    }

    long asLong(long min, long max) {
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

    int asInt(int min, int max) {
        return (int) asLong(min, max);
    }

    boolean asBool() {
        return switch (text().toLowerCase(Locale.ROOT)) {
            case "true", "on", "yes" -> true;
            case "false", "off", "no" -> false;
            default -> throw error("'" + text() + "' is not a boolean (expected on, off, true, false, yes or no)");
        };
    }

    /** {@code 512m}, {@code 2g}, {@code 65536} → bytes. */
    long asSize(long min, long max) {
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
    double asDuration(double min, double max) {
        String t = text().toLowerCase(Locale.ROOT);
        double v;
        try {
            if (t.endsWith("ms")) {
                v = Double.parseDouble(t.substring(0, t.length() - 2)) / 1000;
            } else if (t.endsWith("s")) {
                v = Double.parseDouble(t.substring(0, t.length() - 1));
            } else if (t.endsWith("m")) {
                v = Double.parseDouble(t.substring(0, t.length() - 1)) * 60;
            } else {
                v = Double.parseDouble(t);
            }
        } catch (NumberFormatException e) {
            throw error("'" + text() + "' is not a duration (expected e.g. 500ms, 5s, 2m)");
        }
        if (!(v >= min && v <= max)) {
            throw error(text() + " is out of range [" + min + "s, " + max + "s]");
        }
        return v;
    }

    String oneOf(String... choices) {
        String t = text();
        for (String c : choices) {
            if (c.equals(t)) {
                return t;
            }
        }
        throw error("unknown value '" + t + "' (expected " + String.join(", ", choices) + ")");
    }
}
