package dev.batchinference.inference;

import dev.batchinference.format.ByteBlock;
import dev.batchinference.format.PredictionWriter;
import dev.batchinference.format.RowBlocks;
import dev.batchinference.format.RowReader;
import dev.batchinference.format.UnreadableRecordException;
import dev.batchinference.model.OnnxModel;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Semaphore;
import org.apache.commons.csv.CSVPrinter;

/**
 * The worker's path over rows that come in blocks: one thread reads blocks of whole records, several
 * decode them at once (parse, ONNX Runtime, and encoding the output rows where the format allows), and
 * the calling thread writes the results in input order. A fixed set of blocks circulates, so memory
 * depends on the block and batch sizes and the thread count, never on the chunk.
 */
final class BlockPredictor {
    private final OnnxModel model;
    private final List<String> labels;
    private final int batchRows;
    private final int passThroughColumns;
    private final int decoders;

    BlockPredictor(OnnxModel model, int passThroughColumns, int batchRows, int decoders) {
        this.model = model;
        this.labels = model.manifest().labels();
        this.passThroughColumns = passThroughColumns;
        this.batchRows = batchRows;
        this.decoders = decoders;
    }

    ChunkPredictor.Totals predict(int chunk, RowBlocks blocks, PredictionWriter out, CSVPrinter rejects) {
        int inFlight = 2 * decoders + 1;
        BlockingQueue<Block> free = new ArrayBlockingQueue<>(inFlight);
        BlockingQueue<Block> toDecode = new ArrayBlockingQueue<>(inFlight);
        BlockingQueue<Block> inOrder = new ArrayBlockingQueue<>(inFlight);
        for (int i = 0; i < inFlight; i++) {
            free.add(new Block());
        }
        List<Thread> threads = new ArrayList<>();
        Reader reader = new Reader(blocks, free, toDecode, inOrder);
        threads.add(thread(reader, "chunk-" + chunk + "-reader"));
        for (int d = 0; d < decoders; d++) {
            threads.add(thread(() -> decodeAll(blocks, toDecode, out), "chunk-" + chunk + "-decoder-" + d));
        }
        ChunkPredictor.Totals totals = new ChunkPredictor.Totals();
        try {
            while (true) {
                Block block = inOrder.take();
                block.decoded.acquire();
                if (block.failure != null) {
                    throw block.failure instanceof UnreadableRecordException unreadable
                            ? unreadable.after(totals.rowsIn) : block.failure;
                }
                long t0 = System.nanoTime();
                write(block, totals.rowsIn, out, rejects);
                totals.writeNanos += System.nanoTime() - t0 + block.encodeNanos;
                totals.parseNanos += block.parseNanos;
                totals.inferNanos += block.inferNanos;
                totals.rowsIn += block.rowsRead;
                totals.rowsOut += block.rowsPredicted;
                totals.rejected += block.rejections.size();
                boolean last = block.last;
                free.put(block);
                if (last) {
                    break;
                }
            }
            totals.readNanos = reader.busyNanos;
            return totals;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while predicting chunk " + chunk, e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            threads.forEach(Thread::interrupt); // the decoders wait for blocks that will not come
        }
    }

    private static Thread thread(Runnable body, String name) {
        Thread thread = new Thread(body, name);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private void write(Block block, long rowsBefore, PredictionWriter out, CSVPrinter rejects) throws IOException {
        for (ChunkPredictor.Rejected r : block.rejections) {
            rejects.printRecord(rowsBefore + r.row(), r.column(), r.reason());
        }
        if (block.encoded != null) {
            out.writeEncoded(block.encoded.buffer(), 0, block.encoded.size());
            return;
        }
        for (Predicted batch : block.predicted) {
            out.write(batch.passThrough, batch.prediction, labels);
        }
    }

    /** Decodes blocks until interrupted. */
    private void decodeAll(RowBlocks blocks, BlockingQueue<Block> toDecode, PredictionWriter out) {
        FloatBuffer tensor = ByteBuffer.allocateDirect(batchRows * model.featureCount() * Float.BYTES)
                .order(ByteOrder.nativeOrder()).asFloatBuffer();
        try {
            while (true) {
                Block block = toDecode.take();
                try {
                    if (block.input.length() > 0) {
                        decode(blocks.rows(block.input), block, tensor, out);
                    }
                } catch (RuntimeException | IOException e) {
                    block.failure = e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
                } finally {
                    block.decoded.release();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the chunk is done, or failed
        }
    }

    private void decode(RowReader rows, Block block, FloatBuffer tensor, PredictionWriter out) throws IOException {
        PredictionWriter encoder = out.encoderInto(block.encodedBytes()).orElse(null);
        block.encoded = encoder == null ? null : block.encodedBytes();
        int features = model.featureCount();
        Object[][] passThrough = block.passThrough();
        int filled = 0;
        long t0 = System.nanoTime();
        while (rows.next()) {
            block.rowsRead++;
            RowReader.Rejection rejection = rows.readFeatures(tensor, filled * features);
            if (rejection != null) {
                block.rejections.add(new ChunkPredictor.Rejected(block.rowsRead, rejection.column(), rejection.reason()));
                continue;
            }
            rows.readPassThrough(passThrough[filled]);
            if (++filled == batchRows) {
                block.parseNanos += System.nanoTime() - t0;
                predictBatch(block, tensor, filled, encoder);
                filled = 0;
                passThrough = block.passThrough();
                t0 = System.nanoTime();
            }
        }
        block.parseNanos += System.nanoTime() - t0;
        if (filled > 0) {
            predictBatch(block, tensor, filled, encoder);
        }
    }

    private void predictBatch(Block block, FloatBuffer tensor, int rows, PredictionWriter encoder) throws IOException {
        long t0 = System.nanoTime();
        OnnxModel.Prediction prediction = model.predict(tensor, rows);
        long t1 = System.nanoTime();
        block.inferNanos += t1 - t0;
        block.rowsPredicted += prediction.rows();
        Object[][] passThrough = block.currentPassThrough;
        if (encoder == null) {
            block.predicted.add(new Predicted(passThrough, prediction));
            block.currentPassThrough = null; // kept with its prediction; the next batch gets new arrays
            return;
        }
        for (int r = 0; r < rows; r++) {
            encoder.write(passThrough[r], labels.get(prediction.labels()[r]), prediction.probabilities(),
                    r * prediction.classes());
        }
        block.encodeNanos += System.nanoTime() - t1;
    }

    private record Predicted(Object[][] passThrough, OnnxModel.Prediction prediction) {
    }

    /** Fills blocks in input order until the rows end or reading fails. */
    private static final class Reader implements Runnable {
        private final RowBlocks blocks;
        private final BlockingQueue<Block> free;
        private final BlockingQueue<Block> toDecode;
        private final BlockingQueue<Block> inOrder;
        volatile long busyNanos;

        Reader(RowBlocks blocks, BlockingQueue<Block> free, BlockingQueue<Block> toDecode, BlockingQueue<Block> inOrder) {
            this.blocks = blocks;
            this.free = free;
            this.toDecode = toDecode;
            this.inOrder = inOrder;
        }

        @Override
        public void run() {
            try {
                boolean more = true;
                while (more) {
                    Block block = free.take();
                    block.clear();
                    long t0 = System.nanoTime();
                    try {
                        more = blocks.fill(block.input);
                        if (!more) {
                            block.input.setLength(0);
                        }
                    } catch (IOException e) {
                        block.failure = new UncheckedIOException(e);
                        more = false;
                    } catch (RuntimeException e) {
                        block.failure = e;
                        more = false;
                    }
                    busyNanos += System.nanoTime() - t0;
                    block.last = !more;
                    inOrder.put(block);
                    if (block.failure != null) {
                        block.decoded.release();
                    } else {
                        toDecode.put(block);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // the writing side gave up: stop quietly
            }
        }
    }

    /** One block's input bytes and everything decoded from it; reused from block to block. */
    private final class Block {
        final ByteBlock input = new ByteBlock(0);
        final Semaphore decoded = new Semaphore(0);
        final List<ChunkPredictor.Rejected> rejections = new ArrayList<>();
        final List<Predicted> predicted = new ArrayList<>();
        private final ExposedBytes encodedBytes = new ExposedBytes();
        private Object[][] currentPassThrough;
        ExposedBytes encoded;
        long rowsRead;
        long rowsPredicted;
        long parseNanos;
        long inferNanos;
        long encodeNanos;
        boolean last;
        RuntimeException failure;

        ExposedBytes encodedBytes() {
            return encodedBytes;
        }

        /** Pass-through slots for the next batch: reused when encoding, new when rows wait for the writer. */
        Object[][] passThrough() {
            if (currentPassThrough == null) {
                currentPassThrough = new Object[batchRows][passThroughColumns];
            }
            return currentPassThrough;
        }

        void clear() {
            encodedBytes.reset();
            encoded = null;
            rejections.clear();
            predicted.clear();
            rowsRead = 0;
            rowsPredicted = 0;
            parseNanos = 0;
            inferNanos = 0;
            encodeNanos = 0;
            last = false;
            failure = null;
        }
    }

    /** Encoded rows: a growing byte array, written out without a copy; unsynchronized, unlike ByteArrayOutputStream. */
    private static final class ExposedBytes extends OutputStream {
        private byte[] buffer = new byte[16 * 1024]; // grows to the block's size: a small chunk needs little
        private int size;

        @Override
        public void write(int b) {
            ensure(1);
            buffer[size++] = (byte) b;
        }

        @Override
        public void write(byte[] bytes, int offset, int length) {
            ensure(length);
            System.arraycopy(bytes, offset, buffer, size, length);
            size += length;
        }

        private void ensure(int more) {
            if (size + more > buffer.length) {
                buffer = java.util.Arrays.copyOf(buffer, Math.max(buffer.length * 2, size + more));
            }
        }

        byte[] buffer() {
            return buffer;
        }

        int size() {
            return size;
        }

        void reset() {
            size = 0;
        }
    }
}
