package dev.batchinference.local.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchinference.local.cli.PipelineCli;
import dev.batchinference.testing.Samples;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The benchmark on tiny sizes: it runs end to end and prints its table; speeds are not asserted. */
class BenchCommandIT {
    @TempDir
    Path dir;

    @Test
    void printsOneTableWithARowPerMeasurementAndTheTargetsBesideThem() {
        PrintStream out = System.out;
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        int exit;
        try {
            System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
            exit = PipelineCli.execute("bench", "--rows", "3000", "--runs", "1", "--memory-rows", "3000",
                    "--memory-runs", "1", "--samples", Samples.root().toString(), "--data", dir.toString());
        } finally {
            System.setOut(out);
        }
        String table = stdout.toString(StandardCharsets.UTF_8);

        assertThat(exit).as(table).isZero();
        List<String> rows = table.lines().filter(l -> l.startsWith("| ") && !l.startsWith("| -")).toList();
        assertThat(rows.get(0)).contains("measurement", "rows", "median", "unit", "min – max", "runs", "target");
        assertThat(rows.subList(1, rows.size())).hasSize(19);
        assertThat(table).contains("ONNX Runtime alone", "parse CSV alone", "parse Parquet alone",
                "worker path, CSV → CSV (predict)", "worker path, Parquet → Parquet (predict)",
                "whole pipeline (run), CSV, 1 chunk: wall time", "cold start floor",
                "fresh worker JVM, spawn → first chunk done, CSV", "fresh worker JVM, first invocation alone, Parquet",
                "same worker JVM, warm: invocations 3–5 (median), CSV",
                "worker JVM primed as for a SnapStart snapshot, first invocation, Parquet",
                "peak RSS", "peak heap");
        assertThat(table).contains("| rows/s |", "| ms     |", "| MB     |");
        assertThat(table).contains("≥ 1,200,000 rows/s:", "≥ 2,000,000 rows/s:", "≤ 1.5 × worker path CSV",
                "≥ 50% of warm:");
    }

    @Test
    void onlyMeasuresTheFiguresItNames() {
        PrintStream out = System.out;
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        int exit;
        try {
            System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
            exit = PipelineCli.execute("bench", "--only", "parse,memory", "--rows", "2000", "--runs", "1",
                    "--memory-rows", "2000", "--memory-runs", "1", "--memory-heap", "128m",
                    "--samples", Samples.root().toString(), "--data", dir.toString());
        } finally {
            System.setOut(out);
        }
        String table = stdout.toString(StandardCharsets.UTF_8);

        assertThat(exit).as(table).isZero();
        List<String> rows = table.lines().filter(l -> l.startsWith("| ") && !l.startsWith("| -")).toList();
        assertThat(rows.subList(1, rows.size())).hasSize(4);
        assertThat(table).contains("parse CSV alone", "parse Parquet alone", "peak RSS, worker path (predict) CSV → CSV, "
                + "fresh JVM, -Xmx128m", "peak heap").doesNotContain("worker path, CSV → CSV (predict)", "cold start");
        assertThat(PipelineCli.execute("bench", "--only", "everything", "--data", dir.toString())).isEqualTo(2);
    }
}
