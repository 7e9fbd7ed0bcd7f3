package dev.batchinference.inference;

import java.io.IOException;

/** Where a chunk's predictions go, row by row; CSV and Parquet each have one. */
public interface PredictionWriter extends AutoCloseable {

    /** One output row: pass-through values, the label, and the class probabilities at {@code offset}. */
    void write(Object[] passThrough, String label, float[] probabilities, int offset) throws IOException;

    @Override
    void close() throws IOException;
}
