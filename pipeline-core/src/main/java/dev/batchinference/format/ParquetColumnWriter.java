package dev.batchinference.format;

import dev.batchinference.inference.PredictionWriter;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 * its column writer; the values, pages, encodings, statistics, codec and row groups are those the record
 * layer produces with the same {@link ParquetProperties}. Schemas with nested or repeated columns go
 * through the record layer ({@link ParquetPredictionWriter}).
 */
final class ParquetColumnWriter implements PredictionWriter {
    /** Rows between two checks of the buffered size against the row group size. */
    private static final int SIZE_CHECK_ROWS = 1024;

    private final ParquetFileWriter file;
    private final MessageType schema;
    private final ParquetProperties properties;
    private final CompressionCodecFactory.BytesInputCompressor compressor;
    private final long rowGroupBytes;
    private final PrimitiveType.PrimitiveTypeName[] types;
    private final boolean[] optional;
    private final String[] names;
    private final Map<String, Binary> labels = new HashMap<>();
    private final ColumnWriter[] columns;
    private ColumnChunkPageWriteStore pages;
    private ColumnWriteStore store;
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

    ParquetColumnWriter(OutputFile out, MessageType schema, CompressionCodecName codec, ParquetProperties properties,
            CompressionCodecFactory codecs, long rowGroupBytes, int maxPaddingBytes) throws IOException {
        if (!handles(schema)) {
            throw new IllegalArgumentException("only flat schemas of primitive columns: " + schema);
        }
        this.schema = schema;
        this.properties = properties;
        this.compressor = codecs.getCompressor(codec);
        this.rowGroupBytes = rowGroupBytes;
        int count = schema.getFieldCount();
        this.types = new PrimitiveType.PrimitiveTypeName[count];
        this.optional = new boolean[count];
        this.names = new String[count];
        for (int f = 0; f < count; f++) {
            Type type = schema.getType(f);
            types[f] = type.asPrimitiveType().getPrimitiveTypeName();
            optional[f] = type.isRepetition(Type.Repetition.OPTIONAL);
            names[f] = type.getName();
        }
        this.columns = new ColumnWriter[count];
        this.file = new ParquetFileWriter(out, schema, ParquetFileWriter.Mode.OVERWRITE, rowGroupBytes, maxPaddingBytes,
                null, properties);
        file.start();
        startRowGroup();
    }

    private void startRowGroup() {
        pages = ColumnChunkPageWriteStore.builder()
                .withCompressorProvider(column -> compressor)
                .withSchema(schema)
                .withAllocator(properties.getAllocator())
                .withColumnIndexTruncateLength(properties.getColumnIndexTruncateLength())
                .withPageWriteChecksumEnabled(properties.getPageWriteChecksumEnabled())
                .build();
        store = properties.newColumnWriteStore(schema, pages, pages);
        List<ColumnDescriptor> descriptors = schema.getColumns();
        for (int f = 0; f < columns.length; f++) {
            columns[f] = store.getColumnWriter(descriptors.get(f));
        }
        rowsInGroup = 0;
    }

    @Override
    public void write(Object[] passThrough, String label, float[] probabilities, int offset) throws IOException {
        // checked before any column takes a value, so a refused row leaves no trace in the file
        for (int field = 0; field < passThrough.length; field++) {
            if (passThrough[field] == null && !optional[field]) {
                throw new IllegalArgumentException("required column '" + names[field] + "' has no value");
            }
        }
        int field = 0;
        for (; field < passThrough.length; field++) {
            Object value = passThrough[field];
            ColumnWriter column = columns[field];
            if (value == null) {
                column.writeNull(0, 0);
                continue;
            }
            int level = optional[field] ? 1 : 0;
            switch (types[field]) {
                case INT32 -> column.write((Integer) value, 0, level);
                case INT64 -> column.write((Long) value, 0, level);
                case FLOAT -> column.write((Float) value, 0, level);
                case DOUBLE -> column.write((Double) value, 0, level);
                case BOOLEAN -> column.write((Boolean) value, 0, level);
                case BINARY, FIXED_LEN_BYTE_ARRAY, INT96 -> column.write(value instanceof ParquetBytes bytes
                        ? bytes.bytes() : Binary.fromString(value.toString()), 0, level);
            }
        }
        columns[field].write(labels.computeIfAbsent(label, Binary::fromString), 0, optional[field] ? 1 : 0);
        field++;
        for (int c = offset; field < columns.length; field++, c++) {
            columns[field].write(probabilities[c], 0, optional[field] ? 1 : 0);
        }
        store.endRecord();
        rowsInGroup++;
        if (rowsInGroup >= properties.getRowGroupRowCountLimit()
                || rowsInGroup % SIZE_CHECK_ROWS == 0 && store.getBufferedSize() >= rowGroupBytes) {
            flushRowGroup();
            startRowGroup();
        }
    }

    private void flushRowGroup() throws IOException {
        if (rowsInGroup > 0) {
            file.startBlock(rowsInGroup);
            store.flush();
            pages.flushToFileWriter(file);
            file.endBlock();
        }
        store.close();
        pages.close();
    }

    @Override
    public void close() throws IOException {
        flushRowGroup();
        file.end(Map.of());
    }
}
