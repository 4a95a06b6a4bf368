package io.havnet.lab.report;

import java.util.List;
import java.util.Locale;

/** Small, dependency-free SVG charts: grouped bars and lines, with axes, ticks, units and a legend. */
public final class SvgChart {
    private static final String[] COLORS = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b07aa1"};
    private static final int W = 720;
    private static final int H = 360;
    private static final int LEFT = 80;
    private static final int RIGHT = 150;
    private static final int TOP = 40;
    private static final int BOTTOM = 60;

    private SvgChart() {}

    /**
     * Grouped bars: one group per category, one bar per series. {@code values[s][c]}; NaN leaves
     * a bar out.
     */
    public static String bars(String title, String yLabel, List<String> categories, List<String> series, double[][] values) {
        double max = niceMax(values);
        StringBuilder b = start(title, yLabel, max);
        int plotW = W - LEFT - RIGHT;
        int plotH = H - TOP - BOTTOM;
        double groupW = plotW / (double) categories.size();
        double barW = groupW * 0.8 / series.size();
        for (int c = 0; c < categories.size(); c++) {
            double gx = LEFT + c * groupW + groupW * 0.1;
            for (int s = 0; s < series.size(); s++) {
                double v = values[s][c];
                if (Double.isNaN(v)) {
                    continue;
                }
                double h = max == 0 ? 0 : v / max * plotH;
                double x = gx + s * barW;
                double y = TOP + plotH - h;
                b.append(String.format(Locale.ROOT,
                        "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='%s'><title>%s %s: %s</title></rect>%n",
                        x, y, barW - 2, h, COLORS[s % COLORS.length], esc(series.get(s)), esc(categories.get(c)), fmt(v)));
                b.append(String.format(Locale.ROOT, "<text x='%.1f' y='%.1f' font-size='10' text-anchor='middle'>%s</text>%n",
                        x + (barW - 2) / 2, y - 3, fmt(v)));
            }
            b.append(String.format(Locale.ROOT, "<text x='%.1f' y='%d' font-size='12' text-anchor='middle'>%s</text>%n",
                    gx + groupW * 0.4, H - BOTTOM + 18, esc(categories.get(c))));
        }
        legend(b, series);
        return b.append("</svg>\n").toString();
    }

    /** Lines over numeric x values (log-spaced positions when {@code logX}). */
    public static String lines(String title, String xLabel, String yLabel, double[] xs, List<String> series,
                               double[][] values, boolean logX) {
        double max = niceMax(values);
        StringBuilder b = start(title, yLabel, max);
        int plotW = W - LEFT - RIGHT;
        int plotH = H - TOP - BOTTOM;
        double x0 = logX ? Math.log(xs[0]) : xs[0];
        double x1 = logX ? Math.log(xs[xs.length - 1]) : xs[xs.length - 1];
        for (double x : xs) {
            double px = LEFT + (x1 == x0 ? 0 : ((logX ? Math.log(x) : x) - x0) / (x1 - x0) * plotW);
            b.append(String.format(Locale.ROOT, "<text x='%.1f' y='%d' font-size='12' text-anchor='middle'>%s</text>%n", px,
                    H - BOTTOM + 18, fmt(x)));
        }
        b.append(String.format(Locale.ROOT, "<text x='%d' y='%d' font-size='12' text-anchor='middle'>%s</text>%n",
                LEFT + plotW / 2, H - 12, esc(xLabel)));
        for (int s = 0; s < series.size(); s++) {
            StringBuilder pts = new StringBuilder();
            for (int i = 0; i < xs.length; i++) {
                double v = values[s][i];
                if (Double.isNaN(v)) {
                    continue;
                }
                double px = LEFT + (x1 == x0 ? 0 : ((logX ? Math.log(xs[i]) : xs[i]) - x0) / (x1 - x0) * plotW);
                double py = TOP + plotH - (max == 0 ? 0 : v / max * plotH);
                pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", px, py));
                b.append(String.format(Locale.ROOT, "<circle cx='%.1f' cy='%.1f' r='3' fill='%s'><title>%s, %s: %s</title></circle>%n",
                        px, py, COLORS[s % COLORS.length], esc(series.get(s)), fmt(xs[i]), fmt(v)));
            }
            b.append(String.format(Locale.ROOT, "<polyline points='%s' fill='none' stroke='%s' stroke-width='2'/>%n", pts,
                    COLORS[s % COLORS.length]));
        }
        legend(b, series);
        return b.append("</svg>\n").toString();
    }

    private static StringBuilder start(String title, String yLabel, double max) {
        StringBuilder b = new StringBuilder();
        int plotW = W - LEFT - RIGHT;
        int plotH = H - TOP - BOTTOM;
        b.append(String.format(Locale.ROOT, "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' "
                + "viewBox='0 0 %d %d' font-family='sans-serif'>%n", W, H, W, H));
        b.append("<rect width='100%' height='100%' fill='white'/>\n");
        b.append(String.format(Locale.ROOT, "<text x='%d' y='22' font-size='15' font-weight='bold'>%s</text>%n", LEFT, esc(title)));
        b.append(String.format(Locale.ROOT, "<text x='18' y='%d' font-size='12' transform='rotate(-90 18 %d)' "
                + "text-anchor='middle'>%s</text>%n", TOP + plotH / 2, TOP + plotH / 2, esc(yLabel)));
        for (int i = 0; i <= 5; i++) {
            double v = max * i / 5;
            double y = TOP + plotH - plotH * i / 5.0;
            b.append(String.format(Locale.ROOT, "<line x1='%d' y1='%.1f' x2='%d' y2='%.1f' stroke='#ddd'/>%n", LEFT, y,
                    LEFT + plotW, y));
            b.append(String.format(Locale.ROOT, "<text x='%d' y='%.1f' font-size='11' text-anchor='end'>%s</text>%n",
                    LEFT - 6, y + 4, fmt(v)));
        }
        b.append(String.format(Locale.ROOT, "<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='black'/>%n", LEFT, TOP, LEFT,
                TOP + plotH));
        b.append(String.format(Locale.ROOT, "<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='black'/>%n", LEFT, TOP + plotH,
                LEFT + plotW, TOP + plotH));
        return b;
    }

    private static void legend(StringBuilder b, List<String> series) {
        int x = W - RIGHT + 15;
        for (int s = 0; s < series.size(); s++) {
            int y = TOP + 10 + s * 20;
            b.append(String.format(Locale.ROOT, "<rect x='%d' y='%d' width='12' height='12' fill='%s'/>%n", x, y - 10,
                    COLORS[s % COLORS.length]));
            b.append(String.format(Locale.ROOT, "<text x='%d' y='%d' font-size='12'>%s</text>%n", x + 18, y, esc(series.get(s))));
        }
    }

    private static double niceMax(double[][] values) {
        double m = 0;
        for (double[] row : values) {
            for (double v : row) {
                if (!Double.isNaN(v)) {
                    m = Math.max(m, v);
                }
            }
        }
        if (m <= 0) {
            return 1;
        }
        double p = Math.pow(10, Math.floor(Math.log10(m)));
        for (double f : new double[] {1, 2, 2.5, 5, 10}) {
            if (f * p >= m * 1.05) {
                return f * p;
            }
        }
        return 10 * p;
    }

    static String fmt(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e9) {
            return String.valueOf((long) v);
        }
        return Math.abs(v) >= 100 ? String.format(Locale.ROOT, "%.0f", v)
                : Math.abs(v) >= 10 ? String.format(Locale.ROOT, "%.1f", v) : String.format(Locale.ROOT, "%.2f", v);
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;");
    }
}
