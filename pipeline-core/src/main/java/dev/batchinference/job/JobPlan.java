package dev.batchinference.job;

import dev.batchinference.failure.JobFailure;
import dev.batchinference.format.ChunkRange;
import dev.batchinference.format.ColumnMapping;
import dev.batchinference.format.InputFormat;
import dev.batchinference.format.OutputFormat;
import dev.batchinference.model.ModelManifest;
import dev.batchinference.model.ModelRef;
import java.time.Instant;
import java.util.List;

/**
 * Everything a job's workers and its writer need to know, written once by ingest to
 * {@code jobs/<jobId>/plan.json}: the pinned input version and model version, the header, the chunks.
 * A plan with a {@code failure} was rejected at planning time and has no chunks.
 */
public record JobPlan(
        String jobId,
        InputObject input,
        ModelRef model,
        ModelManifest manifest,
        Layout layout,
        List<ChunkRange> chunks,
        Instant createdAt,
        JobFailure failure) {

    public static JobPlan rejected(String jobId, InputObject input, JobFailure failure, Instant now) {
        return new JobPlan(jobId, input, null, null, null, List.of(), now, failure);
    }

    public boolean isRejected() {
        return failure != null;
    }

    /**
     * How to read the input and write the output, decided once at planning time: the input's columns
     * (CSV header or Parquet schema), the CSV delimiter, which columns feed the model and which pass
     * through, the output format and, for Parquet output, its compression and schema (Parquet's schema
     * language, {@code MessageType.toString()}).
     */
    public record Layout(InputFormat format, List<String> columns, char delimiter, List<String> featureColumns,
                         List<String> passThroughColumns, OutputFormat output, String compression,
                         String outputSchema) {

        public ColumnMapping mapping() {
            return ColumnMapping.of(columns, featureColumns, passThroughColumns);
        }
    }
}
