package io.havnet.lab.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The results as a terminal table: one block per frame size, the paths side by side in columns,
 * one row per measure with its unit; then the hypervisor's cost per VM count and the drops by reason.
 */
public final class TextTable {
    private static final String[][] ROWS = {
            {"throughput", "Mpps", "mpps"},
            {"", "Gbit/s", "gbps"},
            {"hypervisor CPU", "ns/pkt", "hypervisor_ns_per_pkt"},
            {"NIC", "ns/pkt", "nic_ns_per_pkt"},
            {"guest CPU", "ns/pkt", "guest_ns_per_pkt"},
            {"copies", "per pkt", "copies_per_pkt"},
            {"VM exits", "per pkt", "vm_exits_per_pkt"},
            {"interrupts", "per pkt", "interrupts_per_pkt"},
            {"latency p50", "us", "latency_us.p50"},
            {"latency p99", "us", "latency_us.p99"},
            {"latency p99.9", "us", "latency_us.p999"},
            {"offered", "frames", "offered"},
            {"delivered", "frames", "delivered"},
            {"dropped", "frames", "drops"},
    };

    private TextTable() {}

    @SuppressWarnings("unchecked")
    public static String render(Map<String, Object> results) {
        List<Map<String, Object>> runs = (List<Map<String, Object>>) results.getOrDefault("runs", List.of());
        StringBuilder b = new StringBuilder();
        Set<String> sizes = new LinkedHashSet<>();
        for (Map<String, Object> r : runs) {
            sizes.add(String.valueOf(r.get("frame_size")));
        }
        for (String size : sizes) {
            List<Map<String, Object>> cols = new ArrayList<>();
            for (Map<String, Object> r : runs) {
                if (String.valueOf(r.get("frame_size")).equals(size)) {
                    cols.add(r);
                }
            }
            String title = (size.equals("imix") ? "IMIX" : size + " B") + " frames";
            b.append(String.format(Locale.ROOT, "%-24s %-8s", title, ""));
            for (Map<String, Object> c : cols) {
                b.append(String.format(Locale.ROOT, " %12s", c.get("path") + " (" + c.get("vms") + ")"));
            }
            b.append('\n');
            for (String[] row : ROWS) {
                b.append(String.format(Locale.ROOT, "  %-22s %-8s", row[0], row[1]));
                for (Map<String, Object> c : cols) {
                    b.append(String.format(Locale.ROOT, " %12s", cell(c, row[2])));
                }
                b.append('\n');
            }
            Map<String, Map<String, Long>> reasons = new LinkedHashMap<>();
            for (Map<String, Object> c : cols) {
                Object d = c.get("drops");
                if (d instanceof Map<?, ?> m) {
                    for (Map.Entry<?, ?> e : m.entrySet()) {
                        reasons.computeIfAbsent(String.valueOf(e.getKey()), k -> new LinkedHashMap<>())
                                .put(String.valueOf(c.get("path")), ((Number) e.getValue()).longValue());
                    }
                }
            }
            for (Map.Entry<String, Map<String, Long>> e : reasons.entrySet()) {
                b.append(String.format(Locale.ROOT, "    drop %-17s %-8s", shorten(e.getKey(), 17), "frames"));
                for (Map<String, Object> c : cols) {
                    b.append(String.format(Locale.ROOT, " %12d", e.getValue().getOrDefault(String.valueOf(c.get("path")), 0L)));
                }
                b.append('\n');
            }
            b.append('\n');
        }
        List<Map<String, Object>> scaling = (List<Map<String, Object>>) results.getOrDefault("scaling", List.of());
        if (!scaling.isEmpty()) {
            Set<String> paths = new LinkedHashSet<>();
            Set<Integer> counts = new java.util.TreeSet<>();
            for (Map<String, Object> r : scaling) {
                paths.add(String.valueOf(r.get("path")));
                counts.add(((Number) r.get("vms")).intValue());
            }
            b.append(String.format(Locale.ROOT, "%-24s %-8s", "hypervisor CPU, 64 B", ""));
            for (String p : paths) {
                b.append(String.format(Locale.ROOT, " %12s", p));
            }
            b.append('\n');
            for (int n : counts) {
                b.append(String.format(Locale.ROOT, "  %-22s %-8s", n + " VM" + (n == 1 ? "" : "s") + " per path", "ns/pkt"));
                for (String p : paths) {
                    Map<String, Object> hit = null;
                    for (Map<String, Object> r : scaling) {
                        if (String.valueOf(r.get("path")).equals(p) && ((Number) r.get("vms")).intValue() == n) {
                            hit = r;
                        }
                    }
                    b.append(String.format(Locale.ROOT, " %12s", hit == null ? "-" : cell(hit, "hypervisor_ns_per_pkt")));
                }
                b.append('\n');
            }
        }
        return b.toString();
    }

    private static String shorten(String s, int n) {
        return s.length() <= n ? s : "…" + s.substring(s.length() - n + 1);
    }

    private static String cell(Map<String, Object> r, String key) {
        Object v;
        if (key.equals("drops")) {
            long sum = 0;
            if (r.get("drops") instanceof Map<?, ?> m) {
                for (Object o : m.values()) {
                    sum += ((Number) o).longValue();
                }
            }
            return Long.toString(sum);
        }
        int dot = key.indexOf('.');
        if (dot > 0) {
            v = r.get(key.substring(0, dot)) instanceof Map<?, ?> m ? m.get(key.substring(dot + 1)) : null;
        } else {
            v = r.get(key);
        }
        if (v == null) {
            return "-";
        }
        if (v instanceof Double d) {
            double a = Math.abs(d);
            return a >= 100 ? String.format(Locale.ROOT, "%.0f", d)
                    : a >= 10 ? String.format(Locale.ROOT, "%.1f", d)
                    : String.format(Locale.ROOT, "%.3f", d);
        }
        return v.toString();
    }
}
