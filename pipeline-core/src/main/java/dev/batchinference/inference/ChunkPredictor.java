package dev.batchinference.inference;

import dev.batchinference.job.ChunkResult;
import dev.batchinference.model.OnnxModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.List;
import org.apache.commons.csv.CSVPrinter;

/**
 * The worker's path for one chunk: rows in, predictions and rejected rows out, in input order. Rows are
 * read into a direct float buffer that ONNX Runtime reads without a copy, a mini-batch at a time, so
 * memory depends on the batch size, not on the chunk.
 */
public final class ChunkPredictor {
    /** Columns of an errors file. In a chunk's errors part the row number counts within the chunk. */
    public static final List<String> ERROR_COLUMNS = List.of("row", "column", "reason");

    private final OnnxModel model;
    private final int batchRows;
    private final int passThroughColumns;
    private final List<String> labels;

    public ChunkPredictor(OnnxModel model, int passThroughColumns, int batchRows) {
        if (batchRows < 1) {
            throw new IllegalArgumentException("batch size must be positive: " + batchRows);
        }
        this.model = model;
        this.batchRows = batchRows;
        this.passThroughColumns = passThroughColumns;
        this.labels = model.manifest().labels();
    }

    /** Predicts every row; rejected rows are written to {@code rejects} as (row within chunk, column, reason). */
    public ChunkResult predict(int chunk, RowReader rows, PredictionWriter out, CSVPrinter rejects) {
        Batch batch = new Batch();
        long rowsIn = 0;
        long rejected = 0;
        long started = System.nanoTime();
        try {
            while (rows.next()) {
                rowsIn++;
                RowReader.Rejection rejection = rows.readFeatures(batch.tensor, batch.rows * model.featureCount());
                if (rejection != null) {
                    rejected++;
                    rejects.printRecord(rowsIn, rejection.column(), rejection.reason());
                    continue;
                }
                rows.readPassThrough(batch.passThrough[batch.rows]);
                if (++batch.rows == batchRows) {
                    batch.flush(out);
                }
            }
            batch.flush(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        long totalMs = (System.nanoTime() - started) / 1_000_000;
        long inferMs = batch.inferNanos / 1_000_000;
        long writeMs = batch.writeNanos / 1_000_000;
        return new ChunkResult(chunk, rowsIn, rowsIn - rejected, rejected, Math.max(0, totalMs - inferMs - writeMs),
                inferMs, writeMs);
    }

    /** One mini-batch: feature values in tensor layout, pass-through values beside them. */
    private final class Batch {
        private final FloatBuffer tensor = ByteBuffer.allocateDirect(batchRows * model.featureCount() * Float.BYTES)
                .order(ByteOrder.nativeOrder()).asFloatBuffer();
        private final Object[][] passThrough = new Object[batchRows][passThroughColumns];
        private int rows;
        private long inferNanos;
        private long writeNanos;

        void flush(PredictionWriter out) throws IOException {
            if (rows == 0) {
                return;
            }
            long t0 = System.nanoTime();
            OnnxModel.Prediction prediction = model.predict(tensor, rows);
            long t1 = System.nanoTime();
            for (int r = 0; r < rows; r++) {
                out.write(passThrough[r], labels.get(prediction.labels()[r]), prediction.probabilities(),
                        r * prediction.classes());
            }
            inferNanos += t1 - t0;
            writeNanos += System.nanoTime() - t1;
            rows = 0;
        }
    }
}
