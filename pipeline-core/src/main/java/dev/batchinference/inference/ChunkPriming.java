package dev.batchinference.inference;

import dev.batchinference.config.PipelineConfig;
import dev.batchinference.format.ColumnMapping;
import dev.batchinference.format.ColumnSelection;
import dev.batchinference.format.OutputFormat;
import dev.batchinference.format.PredictionWriter;
import dev.batchinference.format.RowReader;
import dev.batchinference.format.parquet.ParquetPredictionWriter;
import dev.batchinference.format.OutputCsv;
import dev.batchinference.job.ChunkResult;
import dev.batchinference.job.JobPlan;
import dev.batchinference.layout.Formats;
import dev.batchinference.model.OnnxModel;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.csv.CSVPrinter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Types;

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
            List<Path> inputs = List.of(text(dir.resolve("prime.csv"), features, rows, ','),
                    text(dir.resolve("prime.tsv"), features, rows, '\t'),
                    gzip(text(dir.resolve("prime.csv.gz"), features, rows, ',')),
                    parquet(dir.resolve("prime.parquet"), features, labels, rows));
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
        Formats.PlannedInput planned = Formats.planFile(input, null, PipelineConfig.Limits.DEFAULT_MAX_RECORD_BYTES);
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

    /** An id column, then the features: numbers of a few shapes (integers, decimals, negatives, exponents). */
    private static Path text(Path file, List<String> features, int rows, char delimiter) throws IOException {
        StringBuilder csv = new StringBuilder(rows * features.size() * 8);
        csv.append("id");
        for (String feature : features) {
            csv.append(delimiter).append(feature);
        }
        csv.append('\n');
        for (int r = 0; r < rows; r++) {
            csv.append("row-").append(r);
            for (int f = 0; f < features.size(); f++) {
                csv.append(delimiter).append(value(r, f));
            }
            csv.append('\n');
        }
        return Files.writeString(file, csv, StandardCharsets.UTF_8);
    }

    private static String value(int row, int feature) {
        int n = row * 31 + feature * 17;
        int whole = n % 1000;
        int fraction = n % 997;
        return switch (n % 4) {
            case 0 -> Integer.toString(whole);
            case 1 -> whole + "." + fraction;
            case 2 -> "-" + whole + "." + (fraction % 100);
            default -> whole % 10 + "." + fraction + "e" + (n % 7 - 3);
        };
    }

    private static Path gzip(Path csv) throws IOException {
        Path gz = csv.resolveSibling(csv.getFileName() + ".tmp");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
            Files.copy(csv, out);
        }
        Files.move(gz, csv, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        return csv;
    }

    /** The same shape as Parquet: a string id, double features; written by the worker's own Parquet writer. */
    private static Path parquet(Path file, List<String> features, List<String> labels, int rows) throws IOException {
        Types.MessageTypeBuilder schema = Types.buildMessage();
        schema.required(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named("id");
        for (String feature : features) {
            schema.required(PrimitiveTypeName.DOUBLE).named(feature);
        }
        // the writer's shape is pass-through columns, then a label and one float per class
        schema.required(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named("label");
        for (String label : labels) {
            schema.required(PrimitiveTypeName.FLOAT).named("prob_" + label);
        }
        MessageType type = schema.named("prime");
        float[] probabilities = new float[labels.size()];
        try (ParquetPredictionWriter out = new ParquetPredictionWriter(new LocalOutputFile(file), type,
                CompressionCodecName.SNAPPY)) {
            Object[] row = new Object[features.size() + 1];
            for (int r = 0; r < rows; r++) {
                row[0] = "row-" + r;
                for (int f = 0; f < features.size(); f++) {
                    row[f + 1] = Double.parseDouble(value(r, f));
                }
                out.write(row, labels.get(r % labels.size()), probabilities, 0);
            }
        }
        return file;
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
