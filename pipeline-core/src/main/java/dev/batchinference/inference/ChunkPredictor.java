package dev.batchinference.inference;

import dev.batchinference.format.PredictionWriter;
import dev.batchinference.format.RowBlocks;
import dev.batchinference.format.RowReader;
import dev.batchinference.job.ChunkResult;
import dev.batchinference.model.OnnxModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import org.apache.commons.csv.CSVPrinter;

/**
 * The worker's path for one chunk: rows in, predictions and rejected rows out, in input order.
 *
 * <p>Rows that come in blocks (CSV) are decoded by several threads at once, see {@link BlockPredictor}.
 * Others (Parquet) are read one by one: a reader thread parses rows into a mini-batch and runs ONNX Runtime
 * on it while this thread writes out the previous one (writing, Parquet's encoding and compression, is the
 * heavier half, so it gets a thread of its own, and the writer is handed whole batches: Parquet's shares a
 * batch's columns with a helper thread). Either way a fixed set of buffers circulates,
 * so memory depends on the batch size, not on the chunk. Each batch's tensor is a direct buffer ONNX
 * Runtime reads without a copy.
 */
public final class ChunkPredictor {
    private static final int BATCHES_IN_FLIGHT = 3;

    private final OnnxModel model;
    private final int batchRows;
    private final int passThroughColumns;
    private final List<String> labels;
    private final int decoders;

    /** With one decoding thread per processor where the rows come in blocks (CSV). */
    public ChunkPredictor(OnnxModel model, int passThroughColumns, int batchRows) {
        this(model, passThroughColumns, batchRows, Runtime.getRuntime().availableProcessors());
    }

    public ChunkPredictor(OnnxModel model, int passThroughColumns, int batchRows, int decoders) {
        if (batchRows < 1) {
            throw new IllegalArgumentException("batch size must be positive: " + batchRows);
        }
        if (decoders < 1) {
            throw new IllegalArgumentException("at least one decoding thread is needed: " + decoders);
        }
        this.model = model;
        this.batchRows = batchRows;
        this.passThroughColumns = passThroughColumns;
        this.labels = model.manifest().labels();
        this.decoders = decoders;
    }

    /** Predicts every row; rejected rows are written to {@code rejects} as (row within chunk, column, reason). */
    public ChunkResult predict(int chunk, RowReader rows, PredictionWriter out, CSVPrinter rejects) {
        Optional<RowBlocks> blocks = rows.blocks();
        if (blocks.isPresent()) {
            Totals totals = new BlockPredictor(model, passThroughColumns, batchRows, decoders)
                    .predict(chunk, blocks.get(), out, rejects);
            return new ChunkResult(chunk, totals.rowsIn, totals.rowsOut, totals.rejected,
                    (totals.readNanos + totals.parseNanos) / 1_000_000, totals.inferNanos / 1_000_000,
                    totals.writeNanos / 1_000_000);
        }
        return predictRowByRow(chunk, rows, out, rejects);
    }

    /** Where the time went and what came out, summed over the threads that did the work. */
    static final class Totals {
        /** Rows read, predicted and rejected, each counted where it happens, so that a lost row shows. */
        long rowsIn;
        long rowsOut;
        long rejected;
        long readNanos;
        long parseNanos;
        long inferNanos;
        long writeNanos;
    }

    /** Reading overlapping the rest, for rows that can only be read one after the other (Parquet). */
    private ChunkResult predictRowByRow(int chunk, RowReader rows, PredictionWriter out, CSVPrinter rejects) {
        BlockingQueue<Batch> empty = new ArrayBlockingQueue<>(BATCHES_IN_FLIGHT);
        BlockingQueue<Batch> filled = new ArrayBlockingQueue<>(BATCHES_IN_FLIGHT);
        for (int i = 0; i < BATCHES_IN_FLIGHT; i++) {
            empty.add(new Batch());
        }
        Reader reader = new Reader(rows, empty, filled);
        Thread thread = new Thread(reader, "chunk-" + chunk + "-reader");
        thread.setDaemon(true);
        long writeNanos = 0;
        long rowsIn = 0;
        long rowsOut = 0;
        long rejected = 0;
        thread.start();
        try {
            while (true) {
                Batch batch = filled.take();
                if (batch.failure != null) {
                    throw batch.failure;
                }
                OnnxModel.Prediction prediction = batch.prediction;
                long t1 = System.nanoTime();
                for (Rejected r : batch.rejections) {
                    rejects.printRecord(r.row, r.column, r.reason);
                }
                if (batch.rows > 0) {
                    out.write(batch.passThrough, prediction, labels);
                    rowsOut += prediction.rows();
                }
                writeNanos += System.nanoTime() - t1;
                rowsIn += batch.rowsRead;
                rejected += batch.rejections.size();
                boolean last = batch.last;
                batch.clear();
                empty.put(batch);
                if (last) {
                    break;
                }
            }
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while predicting chunk " + chunk, e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            thread.interrupt(); // stops the reader if this side failed; harmless once it has finished
        }
        long inferMs = reader.inferNanos / 1_000_000;
        long writeMs = writeNanos / 1_000_000;
        return new ChunkResult(chunk, rowsIn, rowsOut, rejected, reader.busyNanos / 1_000_000, inferMs, writeMs);
    }

    record Rejected(long row, String column, String reason) {
    }

    /** One mini-batch: feature values in tensor layout, pass-through values and rejected rows beside them. */
    private final class Batch {
        final FloatBuffer tensor = ByteBuffer.allocateDirect(batchRows * model.featureCount() * Float.BYTES)
                .order(ByteOrder.nativeOrder()).asFloatBuffer();
        final Object[][] passThrough = new Object[batchRows][passThroughColumns];
        final List<Rejected> rejections = new ArrayList<>();
        int rows;
        /** Set by the reader once the batch is full; null when it holds no rows. */
        OnnxModel.Prediction prediction;
        long rowsRead;
        boolean last;
        RuntimeException failure;

        void clear() {
            rows = 0;
            prediction = null;
            rowsRead = 0;
            rejections.clear();
        }
    }

    /** Fills batches from the rows and predicts them, in order, until the rows end or something fails. */
    private final class Reader implements Runnable {
        private final RowReader rows;
        private final BlockingQueue<Batch> empty;
        private final BlockingQueue<Batch> filled;
        private long rowNumber;
        volatile long busyNanos;
        volatile long inferNanos;

        Reader(RowReader rows, BlockingQueue<Batch> empty, BlockingQueue<Batch> filled) {
            this.rows = rows;
            this.empty = empty;
            this.filled = filled;
        }

        @Override
        public void run() {
            try {
                boolean more = true;
                while (more) {
                    Batch batch = empty.take();
                    long t0 = System.nanoTime();
                    try {
                        more = fill(batch);
                    } catch (IOException e) {
                        batch.failure = new UncheckedIOException(e);
                        more = false;
                    } catch (RuntimeException e) {
                        batch.failure = e;
                        more = false;
                    }
                    long t1 = System.nanoTime();
                    busyNanos += t1 - t0;
                    if (batch.failure == null && batch.rows > 0) {
                        try {
                            batch.prediction = model.predict(batch.tensor, batch.rows);
                        } catch (RuntimeException e) {
                            batch.failure = e;
                            more = false;
                        }
                        inferNanos += System.nanoTime() - t1;
                    }
                    batch.last = !more;
                    filled.put(batch);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // the predicting side gave up: stop quietly
            }
        }

        /** Fills the batch; false once the rows have ended. */
        private boolean fill(Batch batch) throws IOException {
            int features = model.featureCount();
            while (batch.rows < batchRows) {
                if (!rows.next()) {
                    return false;
                }
                rowNumber++;
                batch.rowsRead++;
                RowReader.Rejection rejection = rows.readFeatures(batch.tensor, batch.rows * features);
                if (rejection != null) {
                    batch.rejections.add(new Rejected(rowNumber, rejection.column(), rejection.reason()));
                    continue;
                }
                rows.readPassThrough(batch.passThrough[batch.rows]);
                batch.rows++;
            }
            return true;
        }
    }
}
