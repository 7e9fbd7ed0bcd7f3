package dev.batchinference.format.parquet;

import dev.batchinference.format.PredictionWriter;
import dev.batchinference.model.OnnxModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnWriteStore;
import org.apache.parquet.column.ColumnWriter;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.apache.parquet.hadoop.ColumnChunkPageWriteStore;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;

/**
 * Predictions written straight to Parquet's column writers, for an output schema whose columns are all
 * top-level, non-repeated primitives (the usual case). It skips the record layer ({@code ParquetWriter}
 * with a {@code WriteSupport}), which for every value tracks which fields a record has set and looks up
 * its column writer; the values, encodings, statistics, codec and row groups are those the record layer
 * produces with the same {@link ParquetProperties}.
 *
 * <p>Each column has a column store of its own, so a batch's columns can be written at once: the calling
 * thread and {@code helpers} other threads take the columns in turn, the costliest first (encoding and
 * compressing a column chunk is independent of the others). Pages then end where each column's own size
 * checks put them, which may differ from one shared store's choice; the values do not. Schemas with
 * nested or repeated columns go through the record layer ({@link ParquetPredictionWriter}).
 */
final class ParquetColumnWriter implements PredictionWriter {
    /** Rows between two checks of the buffered size against the row group size, row by row. */
    private static final int SIZE_CHECK_ROWS = 1024;

    private final ParquetFileWriter file;
    private final MessageType schema;
    private final ParquetProperties properties;
    private final List<CompressionCodecFactory.BytesInputCompressor> compressors = new ArrayList<>();
    private final long rowGroupBytes;
    private final PrimitiveType.PrimitiveTypeName[] types;
    private final boolean[] optional;
    private final String[] names;
    /** the one-column schemas of the column stores */
    private final MessageType[] columnSchemas;
    /** the columns, costliest first, in the order threads take them */
    private final int[] byCost;
    private final Map<String, Binary> labels = new HashMap<>();
    private final ColumnWriter[] columns;
    private final ColumnWriteStore[] stores;
    private final ExecutorService helpers;
    private final int helperCount;
    private ColumnChunkPageWriteStore pages;
    private long rowsInGroup;

    /** True when {@code schema} has only top-level, non-repeated primitive columns. */
    static boolean handles(MessageType schema) {
        for (Type field : schema.getFields()) {
            if (!field.isPrimitive() || field.isRepetition(Type.Repetition.REPEATED)) {
                return false;
            }
        }
        return true;
    }

    /** @param helpers threads besides the caller's that write a batch's columns (0: the caller writes them all) */
    ParquetColumnWriter(OutputFile out, MessageType schema, CompressionCodecName codec, ParquetProperties properties,
            CompressionCodecFactory codecs, long rowGroupBytes, int maxPaddingBytes, int helpers) throws IOException {
        if (!handles(schema)) {
            throw new IllegalArgumentException("only flat schemas of primitive columns: " + schema);
        }
        this.schema = schema;
        this.properties = properties;
        this.rowGroupBytes = rowGroupBytes;
        int count = schema.getFieldCount();
        this.types = new PrimitiveType.PrimitiveTypeName[count];
        this.optional = new boolean[count];
        this.names = new String[count];
        this.columnSchemas = new MessageType[count];
        for (int f = 0; f < count; f++) {
            Type type = schema.getType(f);
            types[f] = type.asPrimitiveType().getPrimitiveTypeName();
            optional[f] = type.isRepetition(Type.Repetition.OPTIONAL);
            names[f] = type.getName();
            columnSchemas[f] = new MessageType(schema.getName(), type);
            // a compressor keeps state between pages, so each column (written by one thread at a time) has its own
            compressors.add(codecs.getCompressor(codec));
        }
        this.byCost = IntStream.range(0, count).boxed()
                .sorted(Comparator.comparingInt((Integer f) -> types[f] == PrimitiveType.PrimitiveTypeName.BINARY ? 0 : 1))
                .mapToInt(Integer::intValue).toArray();
        this.columns = new ColumnWriter[count];
        this.stores = new ColumnWriteStore[count];
        this.helperCount = Math.min(helpers, count - 1);
        this.helpers = helperCount <= 0 ? null : Executors.newFixedThreadPool(helperCount, task -> {
            Thread thread = new Thread(task, "parquet-column-writer");
            thread.setDaemon(true);
            return thread;
        });
        this.file = new ParquetFileWriter(out, schema, ParquetFileWriter.Mode.OVERWRITE, rowGroupBytes, maxPaddingBytes,
                null, properties);
        file.start();
        startRowGroup();
    }

    private void startRowGroup() {
        pages = ColumnChunkPageWriteStore.builder()
                .withCompressorProvider(column -> compressors.get(schema.getFieldIndex(column.getPath()[0])))
                .withSchema(schema)
                .withAllocator(properties.getAllocator())
                .withColumnIndexTruncateLength(properties.getColumnIndexTruncateLength())
                .withPageWriteChecksumEnabled(properties.getPageWriteChecksumEnabled())
                .build();
        for (int f = 0; f < columns.length; f++) {
            stores[f] = properties.newColumnWriteStore(columnSchemas[f], pages, pages);
            ColumnDescriptor column = columnSchemas[f].getColumns().get(0);
            columns[f] = stores[f].getColumnWriter(column);
        }
        rowsInGroup = 0;
    }

    @Override
    public void write(Object[] passThrough, String label, float[] probabilities, int offset) throws IOException {
        // checked before any column takes a value, so a refused row leaves no trace in the file
        checkRequired(passThrough);
        int field = 0;
        for (; field < passThrough.length; field++) {
            writeValue(field, passThrough[field]);
        }
        columns[field].write(labels.computeIfAbsent(label, ParquetBytes::text), 0, optional[field] ? 1 : 0);
        field++;
        for (int c = offset; field < columns.length; field++, c++) {
            columns[field].write(probabilities[c], 0, optional[field] ? 1 : 0);
        }
        for (ColumnWriteStore store : stores) {
            store.endRecord();
        }
        rowsInGroup++;
        if (rowsInGroup >= properties.getRowGroupRowCountLimit()
                || rowsInGroup % SIZE_CHECK_ROWS == 0 && bufferedSize() >= rowGroupBytes) {
            nextRowGroup();
        }
    }

    /**
     * A batch, column by column, its columns shared out among the threads. Every row is checked before any
     * is written, so a refused batch leaves no trace in the file. The row group's size is checked after the
     * batch; a row group limited to a number of rows may end inside it.
     */
    @Override
    public void write(Object[][] passThrough, OnnxModel.Prediction prediction, List<String> labelNames)
            throws IOException {
        int rows = prediction.rows();
        for (int r = 0; r < rows; r++) {
            checkRequired(passThrough[r]);
        }
        Binary[] labelValues = labelNames.stream().map(l -> labels.computeIfAbsent(l, ParquetBytes::text))
                .toArray(Binary[]::new);
        for (int from = 0; from < rows; ) {
            // a row group may end inside the batch when it is limited to a number of rows
            int to = (int) Math.min(rows, from + properties.getRowGroupRowCountLimit() - rowsInGroup);
            int first = from;
            writeColumns(field -> writeColumn(field, passThrough, prediction, labelValues, first, to));
            rowsInGroup += to - from;
            from = to;
            if (rowsInGroup >= properties.getRowGroupRowCountLimit() || bufferedSize() >= rowGroupBytes) {
                nextRowGroup();
            }
        }
    }

    private interface ColumnTask {
        void write(int field);
    }

    /** Runs {@code task} for every column, on this thread and the helpers, each column on one thread. */
    private void writeColumns(ColumnTask task) throws IOException {
        AtomicInteger next = new AtomicInteger();
        Runnable takeColumns = () -> {
            for (int i = next.getAndIncrement(); i < byCost.length; i = next.getAndIncrement()) {
                task.write(byCost[i]);
            }
        };
        List<Future<?>> helping = new ArrayList<>(helperCount);
        for (int h = 0; h < helperCount; h++) {
            helping.add(helpers.submit(takeColumns));
        }
        RuntimeException failure = null;
        try {
            takeColumns.run();
        } catch (RuntimeException e) {
            failure = e;
        }
        // the helpers finish before this returns, even when this thread failed: the columns are not theirs after
        for (Future<?> helper : helping) {
            try {
                helper.get();
            } catch (ExecutionException e) {
                if (failure == null) {
                    failure = e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while writing Parquet columns", e);
            }
        }
        if (failure instanceof UncheckedIOException e) {
            throw e.getCause();
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** Rows {@code [from, to)} of the batch into one column. */
    private void writeColumn(int field, Object[][] passThrough, OnnxModel.Prediction prediction, Binary[] labelValues,
            int from, int to) {
        ColumnWriter column = columns[field];
        ColumnWriteStore store = stores[field];
        int level = optional[field] ? 1 : 0;
        int passed = passThrough.length == 0 ? 0 : passThrough[0].length;
        if (field < passed && types[field] == PrimitiveType.PrimitiveTypeName.BINARY) {
            // text passed through from Parquet (the usual case, such as ids) in a loop of its own
            for (int r = from; r < to; r++) {
                Object value = passThrough[r][field];
                if (value instanceof ParquetBytes bytes) {
                    column.write(bytes.bytes(), 0, level);
                } else {
                    writeValue(field, value);
                }
                store.endRecord();
            }
        } else if (field < passed) {
            for (int r = from; r < to; r++) {
                writeValue(field, passThrough[r][field]);
                store.endRecord();
            }
        } else if (field == passed) {
            int[] ids = prediction.labels();
            for (int r = from; r < to; r++) {
                column.write(labelValues[ids[r]], 0, level);
                store.endRecord();
            }
        } else {
            float[] probabilities = prediction.probabilities();
            int classes = prediction.classes();
            for (int r = from, c = from * classes + field - passed - 1; r < to; r++, c += classes) {
                column.write(probabilities[c], 0, level);
                store.endRecord();
            }
        }
    }

    private void checkRequired(Object[] passThrough) {
        for (int field = 0; field < passThrough.length; field++) {
            if (passThrough[field] == null && !optional[field]) {
                throw new IllegalArgumentException("required column '" + names[field] + "' has no value");
            }
        }
    }

    private void writeValue(int field, Object value) {
        ColumnWriter column = columns[field];
        if (value == null) {
            column.writeNull(0, 0);
            return;
        }
        int level = optional[field] ? 1 : 0;
        switch (types[field]) {
            case INT32 -> column.write((Integer) value, 0, level);
            case INT64 -> column.write((Long) value, 0, level);
            case FLOAT -> column.write((Float) value, 0, level);
            case DOUBLE -> column.write((Double) value, 0, level);
            case BOOLEAN -> column.write((Boolean) value, 0, level);
            case BINARY, FIXED_LEN_BYTE_ARRAY, INT96 -> column.write(value instanceof ParquetBytes bytes
                    ? bytes.bytes() : ParquetBytes.text(value.toString()), 0, level);
        }
    }

    private long bufferedSize() {
        long bytes = 0;
        for (ColumnWriteStore store : stores) {
            bytes += store.getBufferedSize();
        }
        return bytes;
    }

    private void nextRowGroup() throws IOException {
        flushRowGroup();
        startRowGroup();
    }

    private void flushRowGroup() throws IOException {
        if (rowsInGroup > 0) {
            file.startBlock(rowsInGroup);
            for (ColumnWriteStore store : stores) {
                store.flush();
            }
            pages.flushToFileWriter(file);
            file.endBlock();
        }
        for (ColumnWriteStore store : stores) {
            store.close();
        }
        pages.close();
    }

    @Override
    public void close() throws IOException {
        try {
            flushRowGroup();
            file.end(Map.of());
        } finally {
            if (helpers != null) {
                helpers.shutdownNow();
            }
        }
    }
}
