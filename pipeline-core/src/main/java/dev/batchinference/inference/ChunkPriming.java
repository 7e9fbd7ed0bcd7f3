package dev.batchinference.inference;

import dev.batchinference.format.ColumnMapping;
import dev.batchinference.format.ColumnSelection;
import dev.batchinference.format.OutputCsv;
import dev.batchinference.format.OutputFormat;
import dev.batchinference.format.PredictionWriter;
import dev.batchinference.format.RowReader;
import dev.batchinference.job.ChunkResult;
import dev.batchinference.job.JobPlan;
import dev.batchinference.layout.Formats;
import dev.batchinference.layout.GeneratedInputs;
import dev.batchinference.model.OnnxModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.apache.commons.csv.CSVPrinter;

/**
 * Chunks of generated rows for a model, in every input format the worker reads (CSV, TSV, gzip'd CSV,
 * Parquet), each predicted into a CSV part and a Parquet part through the worker's own readers, predictor
 * and writers, on temporary files, a few times over. Run before a SnapStart snapshot: the snapshot then
 * holds the hot code compiled by the JIT, not only loaded, and an environment restored from it does its
 * first chunk at close to a warm environment's speed. The rows are plain numbers: every one is predicted.
 */
public final class ChunkPriming {
    /** Rows per generated chunk: enough batches and blocks that every thread of the path runs its loops. */
    public static final int DEFAULT_ROWS = 50_000;
    /** Passes over every format: the JIT compiles a method after thousands of calls, a loop after thousands of turns. */
    public static final int DEFAULT_ROUNDS = 3;

    private ChunkPriming() {
    }

    /**
     * Generates the inputs, predicts each {@code rounds} times into both output formats, deletes them;
     * returns the rows predicted in all.
     */
    public static long run(OnnxModel model, int batchRows, int rows, int rounds) {
        List<String> features = model.manifest().features();
        List<String> labels = model.manifest().labels();
        Path dir;
        try {
            dir = Files.createTempDirectory("chunk-priming-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            List<Path> inputs = GeneratedInputs.write(dir, features, labels, rows);
            long predicted = 0;
            for (int round = 0; round < rounds; round++) {
                for (Path input : inputs) {
                    for (OutputFormat output : List.of(OutputFormat.CSV, OutputFormat.PARQUET)) {
                        predicted += predict(model, batchRows, input, output, dir.resolve("part" + output.extension()));
                    }
                }
            }
            return predicted;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            delete(dir);
        }
    }

    private static long predict(OnnxModel model, int batchRows, Path input, OutputFormat output, Path part)
            throws IOException {
        List<String> labels = model.manifest().labels();
        Formats.PlannedInput planned = GeneratedInputs.plan(input);
        ColumnMapping mapping = planned.map(model.manifest().features(), ColumnSelection.defaults());
        JobPlan.Layout layout = planned.layout(mapping, output, "snappy", labels);
        ChunkResult result;
        try (RowReader rows = Formats.openFile(input, planned, mapping);
             PredictionWriter out = Formats.openPart(layout, part, labels);
             Writer rejected = Writer.nullWriter();
             CSVPrinter rejects = new CSVPrinter(rejected, OutputCsv.FORMAT)) {
            result = new ChunkPredictor(model, mapping.passThroughColumns().length, batchRows)
                    .predict(0, rows, out, rejects);
        }
        if (result.rowsOut() != planned.rows()) {
            throw new IllegalStateException("priming predicted " + result.rowsOut() + " of " + planned.rows()
                    + " rows of " + input.getFileName());
        }
        return result.rowsOut();
    }

    private static void delete(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
