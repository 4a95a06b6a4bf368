package io.havnet.lab.report;

import io.havnet.dataplane.stats.Json;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Writes an experiment's results as {@code DIR/index.html} (a table and SVG charts: Mpps per
 * path, hypervisor cost per path, hypervisor cost against the number of VMs, latency
 * percentiles), the charts as separate {@code .svg} files, and {@code DIR/results.json}.
 */
public final class HtmlReport {
    private HtmlReport() {}

    /**
     * Creates {@code dir} if needed and checks that files can be written in it, so a run that
     * would end unable to write its report is refused before it starts.
     *
     * @throws IllegalArgumentException naming the directory and why
     */
    public static void checkWritable(Path dir) {
        try {
            Files.createDirectories(dir);
            Path probe = Files.createTempFile(dir, ".havnet-write-check", ".tmp");
            Files.delete(probe);
        } catch (IOException | UnsupportedOperationException e) {
            throw new IllegalArgumentException("report directory " + dir + " is not writable: " + e.getMessage());
        }
    }

    /** Writes the report; returns the path of index.html. */
    @SuppressWarnings("unchecked")
    public static Path write(Path dir, Map<String, Object> results) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("results.json"), Json.write(results) + "\n");
            List<Map<String, Object>> runs = (List<Map<String, Object>>) results.getOrDefault("runs", List.of());
            List<Map<String, Object>> scaling = (List<Map<String, Object>>) results.getOrDefault("scaling", List.of());
            List<String> paths = distinct(runs, "path");
            List<String> sizes = distinct(runs, "frame_size");
            List<String[]> charts = new ArrayList<>();
            charts.add(new String[] {"mpps.svg", SvgChart.bars("Throughput per path", "Mpps (millions of frames/s)", sizeLabels(sizes),
                    paths, matrix(runs, paths, sizes, "mpps"))});
            charts.add(new String[] {"hypervisor.svg", SvgChart.bars("Hypervisor CPU per packet", "ns per packet",
                    sizeLabels(sizes), paths, matrix(runs, paths, sizes, "hypervisor_ns_per_pkt"))});
            if (!scaling.isEmpty()) {
                List<String> spaths = distinct(scaling, "path");
                List<String> counts = distinct(scaling, "vms");
                double[] xs = counts.stream().mapToDouble(Double::parseDouble).toArray();
                double[][] v = new double[spaths.size()][counts.size()];
                for (int p = 0; p < spaths.size(); p++) {
                    for (int c = 0; c < counts.size(); c++) {
                        v[p][c] = value(scaling, spaths.get(p), "vms", counts.get(c), "hypervisor_ns_per_pkt");
                    }
                }
                charts.add(new String[] {"scaling.svg", SvgChart.lines("Hypervisor cost as VMs are added (64 B)",
                        "VMs on the path", "hypervisor ns per packet", xs, spaths, v, true)});
            }
            if (!sizes.isEmpty()) {
                String first = sizes.getFirst();
                double[][] lat = new double[3][paths.size()];
                String[] keys = {"p50", "p99", "p999"};
                for (int k = 0; k < 3; k++) {
                    for (int p = 0; p < paths.size(); p++) {
                        Map<String, Object> r = find(runs, paths.get(p), "frame_size", first);
                        Object l = r == null ? null : r.get("latency_us");
                        lat[k][p] = l instanceof Map<?, ?> lm && lm.get(keys[k]) instanceof Number n ? n.doubleValue() : Double.NaN;
                    }
                }
                charts.add(new String[] {"latency.svg", SvgChart.bars("Round-trip latency (" + sizeLabel(first) + ")",
                        "microseconds", paths, List.of("p50", "p99", "p99.9"), lat)});
            }
            StringBuilder h = new StringBuilder();
            h.append("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>havnet report</title>\n")
                    .append("<style>body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse}"
                            + "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f3f3f3}"
                            + "td:first-child,th:first-child{text-align:left}figure{margin:1em 0}</style></head><body>\n");
            h.append("<h1>havnet: ").append(SvgChart.esc(String.valueOf(results.getOrDefault("scenario", "results"))))
                    .append("</h1>\n<p>").append(SvgChart.esc(String.valueOf(results.getOrDefault("description", ""))))
                    .append("</p>\n");
            h.append("<h2>Side by side</h2>\n<table>\n<tr><th>path</th><th>frame</th><th>VMs</th><th>Mpps</th><th>Gbit/s</th>"
                    + "<th>hypervisor ns/pkt</th><th>NIC ns/pkt</th><th>guest ns/pkt</th><th>copies/pkt</th><th>VM exits/pkt</th>"
                    + "<th>interrupts/pkt</th><th>latency p50/p99/p99.9 µs</th><th>offered</th><th>delivered</th><th>drops</th></tr>\n");
            for (Map<String, Object> r : runs) {
                Object l = r.get("latency_us");
                String lat = l instanceof Map<?, ?> lm ? lm.get("p50") + " / " + lm.get("p99") + " / " + lm.get("p999") : "";
                h.append("<tr><td>").append(r.get("path")).append("</td><td>").append(sizeLabel(String.valueOf(r.get("frame_size"))))
                        .append("</td><td>").append(r.get("vms")).append("</td>");
                for (String k : new String[] {"mpps", "gbps", "hypervisor_ns_per_pkt", "nic_ns_per_pkt", "guest_ns_per_pkt",
                    "copies_per_pkt", "vm_exits_per_pkt", "interrupts_per_pkt"}) {
                    h.append("<td>").append(num(r.get(k))).append("</td>");
                }
                h.append("<td>").append(lat).append("</td><td>").append(r.getOrDefault("offered", ""))
                        .append("</td><td>").append(r.getOrDefault("delivered", "")).append("</td><td>")
                        .append(SvgChart.esc(String.valueOf(r.getOrDefault("drops", "")))).append("</td></tr>\n");
            }
            h.append("</table>\n<p>Per packet = per frame forwarded wire → VM → wire. CPU ns are the busy time of each"
                    + " component's agents (the NIC's two engines; the hypervisor's vSwitch, VMDq relays and PF mailbox"
                    + " service; the guests' vCPUs). Latency is the tester's round trip, queueing included.</p>\n");
            for (String[] c : charts) {
                Files.writeString(dir.resolve(c[0]), c[1]);
                h.append("<figure>").append(c[1]).append("<figcaption><a href='").append(c[0]).append("'>").append(c[0])
                        .append("</a></figcaption></figure>\n");
            }
            h.append("<p><a href='results.json'>results.json</a></p>\n</body></html>\n");
            Path index = dir.resolve("index.html");
            Files.writeString(index, h);
            return index;
        } catch (IOException e) {
            throw new UncheckedIOException("report: cannot write to " + dir + ": " + e.getMessage(), e);
        }
    }

    private static String num(Object o) {
        return o instanceof Double d ? String.format(Locale.ROOT, d >= 100 ? "%.0f" : "%.3f", d) : String.valueOf(o);
    }

    private static List<String> sizeLabels(List<String> sizes) {
        return sizes.stream().map(HtmlReport::sizeLabel).toList();
    }

    private static String sizeLabel(String s) {
        return s.equals("imix") ? "IMIX" : s + " B";
    }

    private static List<String> distinct(List<Map<String, Object>> runs, String key) {
        Set<String> s = new LinkedHashSet<>();
        for (Map<String, Object> r : runs) {
            if (r.containsKey(key)) {
                s.add(String.valueOf(r.get(key)));
            }
        }
        return List.copyOf(s);
    }

    private static double[][] matrix(List<Map<String, Object>> runs, List<String> paths, List<String> sizes, String key) {
        double[][] m = new double[paths.size()][sizes.size()];
        for (int p = 0; p < paths.size(); p++) {
            for (int s = 0; s < sizes.size(); s++) {
                m[p][s] = value(runs, paths.get(p), "frame_size", sizes.get(s), key);
            }
        }
        return m;
    }

    private static Map<String, Object> find(List<Map<String, Object>> runs, String path, String key, String val) {
        for (Map<String, Object> r : runs) {
            if (path.equals(String.valueOf(r.get("path"))) && val.equals(String.valueOf(r.get(key)))) {
                return r;
            }
        }
        return null;
    }

    private static double value(List<Map<String, Object>> runs, String path, String key, String val, String field) {
        Map<String, Object> r = find(runs, path, key, val);
        return r != null && r.get(field) instanceof Number n ? n.doubleValue() : Double.NaN;
    }
}
