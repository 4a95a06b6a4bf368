package io.havnet.cli.bench;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** A plain-text table with right-aligned numeric columns. */
public final class Table {
    private final String[] headers;
    private final List<String[]> rows = new ArrayList<>();

    public Table(String... headers) {
        this.headers = headers;
    }

    public Table row(Object... cells) {
        String[] r = new String[cells.length];
        for (int i = 0; i < cells.length; i++) {
            r[i] = String.valueOf(cells[i]);
        }
        rows.add(r);
        return this;
    }

    public void print(PrintWriter out) {
        int[] w = new int[headers.length];
        for (int i = 0; i < headers.length; i++) {
            w[i] = headers[i].length();
        }
        for (String[] r : rows) {
            for (int i = 0; i < r.length && i < w.length; i++) {
                w[i] = Math.max(w[i], r[i].length());
            }
        }
        line(out, headers, w);
        StringBuilder sep = new StringBuilder();
        for (int i = 0; i < w.length; i++) {
            sep.append(i == 0 ? "" : "  ").append("-".repeat(w[i]));
        }
        out.println(sep);
        for (String[] r : rows) {
            line(out, r, w);
        }
    }

    private static void line(PrintWriter out, String[] cells, int[] w) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < cells.length && i < w.length; i++) {
            if (i > 0) {
                b.append("  ");
            }
            String c = cells[i];
            b.append(i == 0 ? String.format("%-" + w[i] + "s", c) : String.format("%" + w[i] + "s", c));
        }
        out.println(b.toString().stripTrailing());
    }
}
