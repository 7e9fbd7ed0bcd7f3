package dev.batchinference.format;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.util.Optional;

/** The rows of one chunk, one at a time, in input order; CSV and Parquet each have one. */
public interface RowReader extends AutoCloseable {

    /** Moves to the next row; false at the end. */
    boolean next() throws IOException;

    /** Puts the row's features into the tensor from {@code offset}; null, or why the row cannot be predicted. */
    Rejection readFeatures(FloatBuffer tensor, int offset);

    /** The row's pass-through values, in the mapping's order. */
    void readPassThrough(Object[] into);

    /**
     * The rows not read yet, as blocks other threads can decode in parallel; empty (the default) when this
     * reader can only be read row by row. Ask before reading any row: the blocks take over the input.
     */
    default Optional<RowBlocks> blocks() {
        return Optional.empty();
    }

    @Override
    void close() throws IOException;

    /** A row that cannot be predicted: the column at fault (empty for the whole row) and why. */
    record Rejection(String column, String reason) {
    }
}
