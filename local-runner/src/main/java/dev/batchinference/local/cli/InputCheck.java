package dev.batchinference.local.cli;

import dev.batchinference.config.PipelineConfig;
import dev.batchinference.failure.FailureReason;
import dev.batchinference.failure.PipelineException;
import dev.batchinference.format.ChunkLimits;
import dev.batchinference.format.InputFormat;
import dev.batchinference.format.csv.CsvChunkPlanner;
import dev.batchinference.layout.Formats;
import dev.batchinference.model.ModelManifest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Checks an input against a model before anything is uploaded: its kind by name, its header (CSV: the first
 * record only; Parquet: the footer's schema) and the model's feature columns, with the deployment's column
 * settings, as ingest would. A mismatch is a usage error naming the file, the column and the model, in a
 * second instead of a FAILED job after the whole start-up and upload.
 */
final class InputCheck {
    private static final ChunkLimits ONE_CHUNK = new ChunkLimits(Long.MAX_VALUE, Long.MAX_VALUE);

    private InputCheck() {
    }

    /** The input's columns as ingest would read them, or the reason ingest would refuse it. */
    static Formats.PlannedInput header(Path file, PipelineConfig settings) {
        String name = file.getFileName().toString();
        InputFormat format = InputFormat.of(name);
        Character delimiter = settings.data().delimiter() != null ? settings.data().delimiter()
                : InputFormat.delimiterImpliedBy(name);
        long maxRecord = settings.limits().maxRecordBytes();
        try {
            if (format == InputFormat.PARQUET) {
                return Formats.planFile(file, delimiter, maxRecord);
            }
            try (InputStream raw = new java.io.BufferedInputStream(Files.newInputStream(file));
                 InputStream in = format == InputFormat.CSV_GZIP ? new GZIPInputStream(raw) : raw) {
                CsvChunkPlanner.CsvPlan plan = new CsvChunkPlanner(ONE_CHUNK, delimiter, maxRecord, Long.MAX_VALUE)
                        .plan(new ByteArrayInputStream(firstLine(in, maxRecord)));
                return new Formats.PlannedInput(format, plan.header(), plan.delimiter(), plan.dataStart(), List.of(), 0, null,
                        null);
            }
        } catch (IOException e) {
            throw new PipelineCli.UsageException("cannot read " + file + ": " + e.getMessage());
        } catch (UncheckedIOException e) {
            throw new PipelineCli.UsageException("cannot read " + file + ": " + e.getCause().getMessage());
        }
    }

    /**
     * Throws a usage error naming the file, the problem and the model when ingest would refuse the file for
     * this model (its kind, its header, a feature column missing or of the wrong type).
     */
    static void check(Path file, String model, ModelManifest manifest, PipelineConfig settings) {
        try {
            header(file, settings).map(manifest.features(), settings.data().columns());
        } catch (PipelineException e) {
            if (e.reason() == FailureReason.UNSUPPORTED_FORMAT || e.reason() == FailureReason.UNREADABLE_INPUT) {
                throw new PipelineCli.UsageException(file + ": " + e.getMessage());
            }
            throw new PipelineCli.UsageException(file + " does not fit model '" + model + "' v" + manifest.version() + " ("
                    + e.reason() + "): " + e.getMessage() + ". Choose another --model, map columns with --feature-columns,"
                    + " or pass --no-check to go ahead anyway");
        }
    }

    /** The bytes up to the first line end (the header record), at most one record's worth. */
    private static byte[] firstLine(InputStream in, long maxRecordBytes) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        long limit = Math.min(maxRecordBytes + 2, Integer.MAX_VALUE - 8);
        int b;
        while (line.size() < limit && (b = in.read()) >= 0) {
            line.write(b);
            if (b == '\n') {
                break;
            }
        }
        return line.toByteArray();
    }
}
