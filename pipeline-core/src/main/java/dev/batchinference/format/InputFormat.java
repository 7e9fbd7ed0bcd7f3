package dev.batchinference.format;

import dev.batchinference.failure.FailureReason;
import dev.batchinference.failure.PipelineException;
import java.util.Locale;

/** The input formats the pipeline reads, known by the key's extension. */
public enum InputFormat {
    /** Plain text, split by byte ranges on record boundaries. */
    CSV,
    /** gzip'd CSV: not splittable by range, so ingest stages uncompressed chunks. */
    CSV_GZIP,
    /** Parquet, split by row groups. */
    PARQUET;

    public static InputFormat of(String key) {
        String lower = key.toLowerCase(Locale.ROOT);
        if (lower.endsWith(".csv") || lower.endsWith(".tsv")) {
            return CSV;
        }
        if (lower.endsWith(".csv.gz") || lower.endsWith(".tsv.gz")) {
            return CSV_GZIP;
        }
        if (lower.endsWith(".parquet")) {
            return PARQUET;
        }
        String name = key.substring(key.lastIndexOf('/') + 1);
        throw new PipelineException(FailureReason.UNSUPPORTED_FORMAT, "'" + name + "' is not a file the pipeline"
                + " reads: name it .csv, .tsv, .csv.gz, .tsv.gz or .parquet");
    }

    /** The delimiter the extension implies, if any: tab for .tsv. */
    public static Character delimiterImpliedBy(String key) {
        String lower = key.toLowerCase(Locale.ROOT);
        return lower.endsWith(".tsv") || lower.endsWith(".tsv.gz") ? '\t' : null;
    }
}
