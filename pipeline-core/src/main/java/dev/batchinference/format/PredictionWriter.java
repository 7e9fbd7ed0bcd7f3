package dev.batchinference.format;

import dev.batchinference.model.OnnxModel;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Optional;

/** Where a chunk's predictions go, row by row; CSV and Parquet each have one. */
public interface PredictionWriter extends AutoCloseable {

    /** One output row: pass-through values, the label, and the class probabilities at {@code offset}. */
    void write(Object[] passThrough, String label, float[] probabilities, int offset) throws IOException;

    /**
     * A batch of output rows, the same as {@link #write} for each: row {@code r} has the pass-through values
     * {@code passThrough[r]}, the label {@code labels.get(prediction.labels()[r])} and the probabilities at
     * {@code r * prediction.classes()}. A format may write a batch faster than row by row.
     */
    default void write(Object[][] passThrough, OnnxModel.Prediction prediction, List<String> labels) throws IOException {
        for (int r = 0; r < prediction.rows(); r++) {
            write(passThrough[r], labels.get(prediction.labels()[r]), prediction.probabilities(), r * prediction.classes());
        }
    }

    /**
     * A writer of this format's rows into {@code bytes}, for rows encoded on another thread and then
     * appended in order with {@link #writeEncoded}; empty (the default) when the format cannot be encoded
     * in pieces, so every row goes through {@link #write}.
     */
    default Optional<PredictionWriter> encoderInto(OutputStream bytes) {
        return Optional.empty();
    }

    /** Appends rows that a writer from {@link #encoderInto} encoded. */
    default void writeEncoded(byte[] bytes, int offset, int length) throws IOException {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot take encoded rows");
    }

    @Override
    void close() throws IOException;
}
