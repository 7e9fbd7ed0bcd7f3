package dev.batchinference.inference;

import dev.batchinference.format.ColumnMapping;
import dev.batchinference.job.ChunkResult;
import dev.batchinference.job.FailureReason;
import dev.batchinference.job.PipelineException;
import dev.batchinference.model.OnnxModel;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVPrinter;
import org.apache.commons.csv.CSVRecord;

/**
 * The worker's path for one chunk: CSV records in, predictions and rejected rows out, in input order.
 * Rows are parsed into a direct float buffer that ONNX Runtime reads without a copy, a mini-batch at a
 * time, so memory depends on the batch size, not on the chunk.
 */
public final class ChunkPredictor {
    /** Columns of a chunk's errors part: the row number is 1-based within the chunk until collation. */
    public static final List<String> ERROR_COLUMNS = List.of("row", "column", "reason");

    private final OnnxModel model;
    private final ColumnMapping mapping;
    private final CSVFormat inputFormat;
    private final int batchRows;
    private final List<String> labels;

    public ChunkPredictor(OnnxModel model, ColumnMapping mapping, char delimiter, int batchRows) {
        if (batchRows < 1) {
            throw new IllegalArgumentException("batch size must be positive: " + batchRows);
        }
        this.model = model;
        this.mapping = mapping;
        this.batchRows = batchRows;
        this.labels = model.manifest().labels();
        this.inputFormat = CSVFormat.DEFAULT.builder().setDelimiter(delimiter).setIgnoreEmptyLines(true).get();
    }

    public static CSVFormat outputFormat() {
        return CSVFormat.DEFAULT.builder().setRecordSeparator('\n').get();
    }

    /** Predicts every record of the stream (no header), writing predictions and rejected rows without headers. */
    public ChunkResult predict(int chunk, InputStream records, Writer predictions, Writer errors) {
        Batch batch = new Batch();
        long rowsIn = 0;
        long rejected = 0;
        long started = System.nanoTime();
        try (Reader reader = new InputStreamReader(records, StandardCharsets.UTF_8);
             CSVParser parser = CSVParser.parse(reader, inputFormat);
             CSVPrinter out = new CSVPrinter(predictions, outputFormat());
             CSVPrinter rejects = new CSVPrinter(errors, outputFormat())) {
            var iterator = parser.iterator();
            while (hasNext(iterator, rowsIn)) {
                CSVRecord record = iterator.next();
                rowsIn++;
                String problem = batch.add(record);
                if (problem != null) {
                    rejected++;
                    rejects.printRecord(rowsIn, problem.substring(0, problem.indexOf('\t')),
                            problem.substring(problem.indexOf('\t') + 1));
                } else if (batch.rows == batchRows) {
                    batch.flush(out);
                }
            }
            batch.flush(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        long parseMs = (System.nanoTime() - started) / 1_000_000 - batch.inferNanos / 1_000_000 - batch.writeNanos / 1_000_000;
        return new ChunkResult(chunk, rowsIn, rowsIn - rejected, rejected, Math.max(0, parseMs),
                batch.inferNanos / 1_000_000, batch.writeNanos / 1_000_000);
    }

    private static boolean hasNext(java.util.Iterator<CSVRecord> iterator, long rowsSoFar) {
        try {
            return iterator.hasNext();
        } catch (UncheckedIOException | IllegalStateException e) {
            // commons-csv reports malformed quoting this way; retrying the chunk cannot fix the file
            throw new PipelineException(FailureReason.UNREADABLE_INPUT, "record " + (rowsSoFar + 1)
                    + " of the chunk is not valid CSV: " + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()));
        }
    }

    /** One mini-batch: feature values in tensor layout, pass-through values beside them. */
    private final class Batch {
        private final int features = mapping.featureCount();
        private final FloatBuffer tensor = ByteBuffer.allocateDirect(batchRows * features * Float.BYTES)
                .order(ByteOrder.nativeOrder()).asFloatBuffer();
        private final String[][] passThrough = new String[batchRows][mapping.passThroughColumns().length];
        private final Object[] outputRow = new Object[mapping.passThroughColumns().length + 1 + labels.size()];
        private int rows;
        private long inferNanos;
        private long writeNanos;

        /** Adds the record, or returns "column\treason" when it cannot be predicted. */
        String add(CSVRecord record) {
            if (record.size() != mapping.header().size()) {
                return "\texpected " + mapping.header().size() + " columns, found " + record.size();
            }
            int base = rows * features;
            int[] featureColumns = mapping.featureColumns();
            for (int f = 0; f < features; f++) {
                String text = record.get(featureColumns[f]);
                float value = FeatureValues.parseFinite(text);
                if (Float.isNaN(value)) {
                    return mapping.header().get(featureColumns[f]) + "\t" + FeatureValues.problemWith(text);
                }
                tensor.put(base + f, value);
            }
            int[] passThroughColumns = mapping.passThroughColumns();
            for (int p = 0; p < passThroughColumns.length; p++) {
                passThrough[rows][p] = record.get(passThroughColumns[p]);
            }
            rows++;
            return null;
        }

        void flush(CSVPrinter out) throws IOException {
            if (rows == 0) {
                return;
            }
            long t0 = System.nanoTime();
            OnnxModel.Prediction prediction = model.predict(tensor, rows);
            long t1 = System.nanoTime();
            int pass = mapping.passThroughColumns().length;
            for (int r = 0; r < rows; r++) {
                System.arraycopy(passThrough[r], 0, outputRow, 0, pass);
                outputRow[pass] = labels.get(prediction.labels()[r]);
                int base = r * prediction.classes();
                for (int c = 0; c < prediction.classes(); c++) {
                    outputRow[pass + 1 + c] = Float.toString(prediction.probabilities()[base + c]);
                }
                out.printRecord(outputRow);
            }
            inferNanos += t1 - t0;
            writeNanos += System.nanoTime() - t1;
            rows = 0;
        }
    }
}
