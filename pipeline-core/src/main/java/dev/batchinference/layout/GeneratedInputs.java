package dev.batchinference.layout;

import dev.batchinference.config.PipelineConfig;
import dev.batchinference.format.parquet.ParquetPredictionWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPOutputStream;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Types;

/**
 * Generated inputs for a model, one file per input format the worker reads (CSV, TSV, gzip'd CSV,
 * Parquet): an id column, then the features as numbers of a few shapes (in Parquet also of a few types, and a
 * text column), every row valid.
 */
public final class GeneratedInputs {
    /** The Parquet features' types, in turn. */
    private static final PrimitiveTypeName[] FEATURE_TYPES = {PrimitiveTypeName.DOUBLE, PrimitiveTypeName.INT64,
            PrimitiveTypeName.DOUBLE, PrimitiveTypeName.INT32, PrimitiveTypeName.FLOAT};
    /**
     * How many distinct values each feature has, in turn: dictionary ids of many bit widths (1 to 16), as
     * real columns have, so the JIT compiles their unpacking for any width, not only for the one or two
     * it saw while priming.
     */
    private static final int[] DISTINCT_VALUES = {50_000, 24, 1_000, 2, 97, 5_000, 7, 366};
    private static final List<String> CHANNELS = List.of("online", "in-store", "phone", "mail");

    private GeneratedInputs() {
    }

    /** Writes {@code prime.csv}, {@code prime.tsv}, {@code prime.csv.gz} and {@code prime.parquet} into {@code dir}. */
    public static List<Path> write(Path dir, List<String> features, List<String> labels, int rows) throws IOException {
        return List.of(text(dir.resolve("prime.csv"), features, rows, ','),
                text(dir.resolve("prime.tsv"), features, rows, '\t'),
                gzip(text(dir.resolve("prime.csv.gz"), features, rows, ',')),
                parquet(dir.resolve("prime.parquet"), features, labels, rows));
    }

    /** Plans one of them, as a local file is planned by {@code predict}. */
    public static Formats.PlannedInput plan(Path file) throws IOException {
        return Formats.planFile(file, null, PipelineConfig.Limits.DEFAULT_MAX_RECORD_BYTES);
    }

    /** An id column, then the features: integers, decimals, negatives, exponents. */
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

    /**
     * The shapes Parquet files of real data come in, written by the worker's own Parquet writer: optional
     * columns (as pandas and pyarrow write them) and a required one; double, int64, int32 and float
     * features of few to many distinct values (dictionary ids of many widths, and plain pages where a
     * dictionary does not pay); a unique id long enough
     * that the ids outgrow a dictionary page, so the writer falls back to plain pages (as it does for real
     * ids); and a text column of a few values in dictionary pages. A chunk's reader and writer then take
     * the same paths while priming as for a real chunk: code the JIT compiled for one shape only is
     * thrown away when another comes.
     */
    private static Path parquet(Path file, List<String> features, List<String> labels, int rows) throws IOException {
        Types.MessageTypeBuilder schema = Types.buildMessage();
        schema.optional(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named("id");
        PrimitiveTypeName[] types = new PrimitiveTypeName[features.size()];
        for (int f = 0; f < features.size(); f++) {
            types[f] = FEATURE_TYPES[f % FEATURE_TYPES.length];
            if (types[f] == PrimitiveTypeName.INT32) {
                schema.required(types[f]).named(features.get(f));
            } else {
                schema.optional(types[f]).named(features.get(f));
            }
        }
        schema.optional(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named("prime_channel");
        // the writer's shape is pass-through columns, then a label and one float per class
        schema.required(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named("label");
        for (String label : labels) {
            schema.required(PrimitiveTypeName.FLOAT).named("prob_" + label);
        }
        MessageType type = schema.named("prime");
        float[] probabilities = new float[labels.size()];
        try (ParquetPredictionWriter out = new ParquetPredictionWriter(new LocalOutputFile(file), type,
                CompressionCodecName.SNAPPY)) {
            Object[] row = new Object[features.size() + 2];
            for (int r = 0; r < rows; r++) {
                row[0] = String.format(Locale.ROOT, "prime-%09d-%016x", r, r * 0x9E3779B97F4A7C15L);
                for (int f = 0; f < features.size(); f++) {
                    int k = (r * 31 + f * 17) % DISTINCT_VALUES[f % DISTINCT_VALUES.length];
                    row[f + 1] = switch (types[f]) {
                        case INT64 -> (long) k;
                        case INT32 -> k;
                        case FLOAT -> Float.parseFloat(value(k, f));
                        default -> Double.parseDouble(value(k, f));
                    };
                }
                row[features.size() + 1] = CHANNELS.get(r % CHANNELS.size());
                out.write(row, labels.get(r % labels.size()), probabilities, 0);
            }
        }
        return file;
    }

}
