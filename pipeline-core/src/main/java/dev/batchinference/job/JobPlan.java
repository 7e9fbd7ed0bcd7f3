package dev.batchinference.job;

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
        CsvLayout layout,
        List<ChunkRange> chunks,
        Instant createdAt,
        JobFailure failure) {

    public static JobPlan rejected(String jobId, InputObject input, JobFailure failure, Instant now) {
        return new JobPlan(jobId, input, null, null, null, List.of(), now, failure);
    }

    public boolean isRejected() {
        return failure != null;
    }

    /** The header and dialect of a CSV input, read once at planning time. */
    public record CsvLayout(List<String> header, char delimiter) {
    }
}
