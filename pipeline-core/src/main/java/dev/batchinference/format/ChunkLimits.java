package dev.batchinference.format;

/** How big a chunk may grow: a chunk ends at the first record boundary (or row group) after either limit is reached. */
public record ChunkLimits(long maxRows, long maxBytes) {
    public static final long DEFAULT_MAX_ROWS = 200_000;
    public static final long DEFAULT_MAX_BYTES = 32L * 1024 * 1024;

    public ChunkLimits {
        if (maxRows < 1 || maxBytes < 1) {
            throw new IllegalArgumentException("chunk limits must be positive: rows=" + maxRows + " bytes=" + maxBytes);
        }
    }

    public static ChunkLimits defaults() {
        return new ChunkLimits(DEFAULT_MAX_ROWS, DEFAULT_MAX_BYTES);
    }
}
