package dev.batchinference.local.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/** The benchmark's one table, as Markdown: readable in a terminal and pasted into the README as it is. */
final class ResultTable {
    static final List<String> COLUMNS = List.of("measurement", "rows", "median", "unit", "min – max", "runs", "target");

    private ResultTable() {
    }

    static void print(List<Measurement> measurements, PrintStream out) {
        List<List<String>> cells = new ArrayList<>();
        cells.add(COLUMNS);
        for (Measurement m : measurements) {
            cells.add(List.of(m.name(), String.format("%,d", m.rows()), number(m.median()), m.unit(),
                    number(m.min()) + " – " + number(m.max()), Integer.toString(m.runs()), m.target()));
        }
        int[] widths = new int[COLUMNS.size()];
        for (List<String> row : cells) {
            for (int c = 0; c < widths.length; c++) {
                widths[c] = Math.max(widths[c], row.get(c).length());
            }
        }
        for (int r = 0; r < cells.size(); r++) {
            out.println(line(cells.get(r), widths));
            if (r == 0) {
                List<String> rule = new ArrayList<>();
                for (int c = 0; c < widths.length; c++) {
                    boolean numeric = c == 1 || c == 2 || c == 5;
                    rule.add("-".repeat(Math.max(1, widths[c] - 1)) + (numeric ? ":" : "-"));
                }
                out.println(line(rule, widths));
            }
        }
    }

    private static String line(List<String> row, int[] widths) {
        StringBuilder s = new StringBuilder("|");
        for (int c = 0; c < widths.length; c++) {
            boolean rightAligned = c == 1 || c == 2 || c == 5;
            String cell = row.get(c);
            String pad = " ".repeat(widths[c] - cell.length());
            s.append(' ').append(rightAligned ? pad + cell : cell + pad).append(" |");
        }
        return s.toString();
    }

    /** Whole numbers with thousands separators; small values keep one decimal so they do not round to 0 or 1. */
    static String number(double value) {
        return Math.abs(value) >= 100 ? String.format("%,.0f", value) : String.format("%,.1f", value);
    }
}
