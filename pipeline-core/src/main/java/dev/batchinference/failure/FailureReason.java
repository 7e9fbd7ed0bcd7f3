package dev.batchinference.failure;

/** Stable reason codes for a FAILED job; they appear verbatim in {@code summary.json}. */
public enum FailureReason {
    /** The input object cannot be read or parsed at all. */
    UNREADABLE_INPUT,
    /** The input object has no bytes, not even a header. */
    EMPTY_INPUT,
    /** The input's format is not one the pipeline reads (by its extension). */
    UNSUPPORTED_FORMAT,
    /** The input object changed (overwritten) while its job was running. */
    INPUT_CHANGED,
    /** No {@code models/<name>/current.json} for the model the input's prefix names. */
    UNKNOWN_MODEL,
    /** The model's manifest or ONNX file is missing from the store. */
    MODEL_FILE_MISSING,
    /** The ONNX file's sha256 differs from the manifest's. */
    CHECKSUM_MISMATCH,
    /** The manifest or the ONNX graph cannot be used (bad JSON, wrong tensor names or shapes). */
    MODEL_INVALID,
    /** The input's columns do not match the model's features. */
    SCHEMA_MISMATCH,
    /** A chunk kept failing until its retries ran out. */
    CHUNK_FAILED,
    /** More rows were rejected than the deployment tolerates. */
    ERROR_THRESHOLD,
    /** The job made no progress for {@code STALLED_JOB_SECONDS}, even after a scheduled run re-drove it. */
    STALLED,
    /** The input exceeds a safety limit (record length, uncompressed size, row group size). */
    LIMIT_EXCEEDED,
    /**
     * The rows do not add up: in some chunk the rows the planner counted, the rows a worker read, and the
     * rows it predicted plus those it rejected are not all equal. A fault of the pipeline, never of the input.
     */
    ROWS_UNACCOUNTED,
    /** The input's key has an empty, {@code .} or {@code ..} path segment, which file systems read as another path. */
    INVALID_KEY,
    /**
     * The job's outputs could not be written: collating it failed {@code COLLATE_MAX_ATTEMPTS} times (a write
     * refused, a key the store will not take, a store error, a writer that never finished). The message names the
     * key and the error of the last attempt.
     */
    OUTPUT_WRITE_FAILED
}
