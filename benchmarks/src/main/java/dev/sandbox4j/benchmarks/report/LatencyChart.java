package dev.sandbox4j.benchmarks.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.labels.ItemLabelAnchor;
import org.jfree.chart.labels.ItemLabelPosition;
import org.jfree.chart.labels.StandardCategoryItemLabelGenerator;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.category.DefaultCategoryDataset;

/**
 * The PNG bar chart of startup and exec latency (medians) per backend, with the host floor and the engine
 * CLI baselines next to the backends they compare with, on a log scale (the backends span three orders of
 * magnitude). Drawn by JFreeChart, headless.
 */
final class LatencyChart {
    static final String STARTUP = "one-shot: build + exec true + close";
    static final String EXEC = "exec true in an open sandbox";
    /** A CLI baseline drawn right after the backend it compares with: category name, startup cli, exec cli. */
    private record CliCategory(String after, String category, String startupCli, String execCli) {
    }

    private static final List<CliCategory> CLI = List.of(
            new CliCategory("bubblewrap", "bwrap CLI (same options)", "bwrap", ""),
            new CliCategory("docker", "docker CLI (run --rm / exec)", "docker-run", "docker-exec"));

    private LatencyChart() {
    }

    static void write(JmhResults jmh, RunInfo run, Path png) throws IOException {
        Map<String, Double[]> values = new LinkedHashMap<>();
        List<String> targets = new ArrayList<>();
        jmh.of("Startup").forEach(r -> targets.add(r.param("backend")));
        jmh.of("ExecLatency").stream().map(r -> r.param("backend")).filter(t -> !targets.contains(t)).forEach(targets::add);
        for (String t : targets) {
            values.put(t.equals("host") ? "host (bare ProcessBuilder)" : t, new Double[] {
                    median(jmh.find("Startup", "backend", t)), median(jmh.find("ExecLatency", "backend", t))});
            for (CliCategory c : CLI) {
                if (c.after().equals(t)) {
                    Double s = median(jmh.find("CliBaseline", "cli", c.startupCli()));
                    Double e = c.execCli().isEmpty() ? null : median(jmh.find("CliBaseline", "cli", c.execCli()));
                    if (s != null || e != null) {
                        values.put(c.category(), new Double[] {s, e});
                    }
                }
            }
        }
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        double min = Double.MAX_VALUE;
        double max = 0;
        for (Map.Entry<String, Double[]> e : values.entrySet()) {
            data.addValue(e.getValue()[0], STARTUP, e.getKey());
            data.addValue(e.getValue()[1], EXEC, e.getKey());
            for (Double v : e.getValue()) {
                if (v != null && v > 0) {
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
            }
        }
        if (max == 0) {
            min = 0.1;
            max = 1;
        }
        JFreeChart chart = ChartFactory.createBarChart("sandbox4j: startup and exec latency per backend (median, log scale)",
                null, "milliseconds (log scale)", data, PlotOrientation.HORIZONTAL, true, false, false);
        chart.setBackgroundPaint(Color.WHITE);
        // room on the right for the last tick label of the log axis
        chart.setPadding(new RectangleInsets(8, 8, 8, 28));
        chart.addSubtitle(new TextTitle(run.date() + " · " + run.cores() + " cores · kernel " + run.kernel()
                + " · load at start " + run.loadAtStart(), new Font(Font.SANS_SERIF, Font.PLAIN, 12)));
        CategoryPlot plot = chart.getCategoryPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlineStroke(new BasicStroke(1f));
        double lower = Math.pow(10, Math.floor(Math.log10(min)));
        double upper = Math.pow(10, Math.ceil(Math.log10(max * 1.5)));
        LogAxis axis = new LogAxis("milliseconds (log scale)");
        axis.setBase(10);
        axis.setTickUnit(new NumberTickUnit(1));
        axis.setNumberFormatOverride(new DecimalFormat("0.###"));
        axis.setRange(lower, upper);
        plot.setRangeAxis(axis);
        BarRenderer r = (BarRenderer) plot.getRenderer();
        // bars grow from the axis' lower bound: a log axis has no zero
        r.setBase(lower);
        r.setBarPainter(new StandardBarPainter());
        r.setShadowVisible(false);
        r.setItemMargin(0.05);
        r.setSeriesPaint(0, new Color(0x3b6ea5));
        r.setSeriesPaint(1, new Color(0xe08a2c));
        r.setDefaultItemLabelGenerator(new StandardCategoryItemLabelGenerator("{2} ms", new DecimalFormat("0.##")));
        r.setDefaultItemLabelsVisible(true);
        r.setDefaultItemLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        r.setDefaultPositiveItemLabelPosition(new ItemLabelPosition(ItemLabelAnchor.OUTSIDE3, TextAnchor.CENTER_LEFT));
        int height = 160 + 46 * values.size();
        ChartUtils.saveChartAsPNG(png.toFile(), chart, 1100, height);
    }

    private static Double median(Optional<JmhRow> r) {
        return r.map(JmhRow::median).filter(v -> !Double.isNaN(v)).orElse(null);
    }
}
