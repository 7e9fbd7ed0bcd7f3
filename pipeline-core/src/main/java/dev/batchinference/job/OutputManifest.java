package dev.batchinference.job;

import java.util.List;

/**
 * The manifest of predictions written as part objects ({@code <file>.predictions/manifest.json}, a contract:
 * docs/design.md): the parts in input order, so that reading them one after another gives the rows, in order, that
 * one object would hold. Each part is a whole file of the output's format: a CSV part starts with the header
 * ({@code columns}), a Parquet part has the footer of {@code schema}. Written after every part it lists, and before
 * the job's summary.
 *
 * @param format   {@code csv} or {@code parquet}
 * @param columns  the output's columns, in order
 * @param schema   the Parquet schema of every part (Parquet only)
 * @param rows     predicted rows in all the parts: the summary's {@code rowsOut}
 * @param bytes    the parts' sizes summed
 */
public record OutputManifest(String jobId, String format, List<String> columns, String schema, long rows, long bytes,
                             List<Part> parts) {

    /**
     * One part object: its key, the job's chunks it holds ({@code firstChunk} to {@code lastChunk}, both included), its
     * predicted rows, its size and its ETag as S3 reported it after writing it.
     */
    public record Part(String key, int firstChunk, int lastChunk, long rows, long bytes, String etag) {
    }
}
