package dev.batchinference.format.parquet;

import dev.batchinference.format.PredictionWriter;
import dev.batchinference.model.OnnxModel;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.conf.ParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;

/**
 * Predictions as a Parquet file with the job's output schema ({@link PredictionSchema}). A flat schema (the
 * usual case) is written column writer by column writer ({@link ParquetColumnWriter}); one with nested or
 * repeated pass-through columns row by row through Parquet's {@link RecordConsumer}, with no record object
 * per row. Both use the same settings, so they write the same values with the same encodings.
 */
public final class ParquetPredictionWriter implements PredictionWriter {
    private final ParquetWriter<Row> writer;
    private final ParquetColumnWriter columns;
    private final Row row = new Row();

    public ParquetPredictionWriter(OutputFile file, MessageType schema, CompressionCodecName codec) throws IOException {
        if (ParquetColumnWriter.handles(schema)) {
            ParquetProperties.Builder properties = ParquetProperties.builder()
                    .withPageWriteChecksumEnabled(false)
                    .withSizeStatisticsEnabled(false);
            int label = schema.getFieldIndex("label");
            for (int field = label + 1; field < schema.getFieldCount(); field++) {
                properties.withDictionaryEncoding(schema.getFieldName(field), false);
            }
            // the reader's side keeps one thread busy; a batch's columns are shared by this one and one more
            int helpers = Runtime.getRuntime().availableProcessors() > 1 ? 1 : 0;
            this.columns = new ParquetColumnWriter(file, schema, codec, properties.build(), ParquetSupport.codecs(),
                    ParquetWriter.DEFAULT_BLOCK_SIZE, ParquetWriter.MAX_PADDING_SIZE_DEFAULT, helpers);
            this.writer = null;
            return;
        }
        this.columns = null;
        Builder builder = new Builder(file, schema)
                .withConf(ParquetSupport.configuration())
                .withCodecFactory(ParquetSupport.codecs())
                .withCompressionCodec(codec)
                .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                // neither changes what the file holds: a CRC of every page that readers check only when asked
                // to, and size statistics (per-page level histograms, unencoded sizes) no reader here uses;
                // both cost time on every value. Min/max statistics stay, for readers that filter on them.
                .withPageWriteChecksumEnabled(false)
                .withSizeStatisticsEnabled(false);
        // probabilities hardly repeat: a dictionary for them is built only to be dropped when it outgrows its page
        int label = schema.getFieldIndex("label");
        for (int field = label + 1; field < schema.getFieldCount(); field++) {
            builder.withDictionaryEncoding(schema.getFieldName(field), false);
        }
        this.writer = builder.build();
    }

    @Override
    public void write(Object[] passThrough, String label, float[] probabilities, int offset) throws IOException {
        if (columns != null) {
            columns.write(passThrough, label, probabilities, offset);
            return;
        }
        row.passThrough = passThrough;
        row.label = label;
        row.probabilities = probabilities;
        row.offset = offset;
        writer.write(row);
    }

    @Override
    public void write(Object[][] passThrough, OnnxModel.Prediction prediction, List<String> labels) throws IOException {
        if (columns != null) {
            columns.write(passThrough, prediction, labels);
            return;
        }
        PredictionWriter.super.write(passThrough, prediction, labels);
    }

    @Override
    public void close() throws IOException {
        if (columns != null) {
            columns.close();
            return;
        }
        writer.close();
    }

    /** The row being written; one instance, refilled for every row. */
    private static final class Row {
        Object[] passThrough;
        String label;
        float[] probabilities;
        int offset;
    }

    private static final class Builder extends ParquetWriter.Builder<Row, Builder> {
        private final MessageType schema;

        Builder(OutputFile file, MessageType schema) {
            super(file);
            this.schema = schema;
        }

        @Override
        protected Builder self() {
            return this;
        }

        @Override
        protected WriteSupport<Row> getWriteSupport(ParquetConfiguration conf) {
            return new RowWriteSupport(schema);
        }

        @Override
        protected WriteSupport<Row> getWriteSupport(Configuration conf) {
            return new RowWriteSupport(schema);
        }
    }

    /** Writes a row as pass-through columns, {@code label}, then one float per output value. */
    private static final class RowWriteSupport extends WriteSupport<Row> {
        private final MessageType schema;
        private final Map<String, Binary> labels = new HashMap<>();
        private RecordConsumer out;

        RowWriteSupport(MessageType schema) {
            this.schema = schema;
        }

        @Override
        public WriteContext init(ParquetConfiguration configuration) {
            return new WriteContext(schema, Map.of());
        }

        @Override
        public WriteContext init(Configuration configuration) {
            return new WriteContext(schema, Map.of());
        }

        @Override
        public void prepareForWrite(RecordConsumer recordConsumer) {
            this.out = recordConsumer;
        }

        @Override
        public void write(Row row) {
            out.startMessage();
            int field = 0;
            for (Object value : row.passThrough) {
                if (value != null) {
                    Type type = schema.getType(field);
                    out.startField(type.getName(), field);
                    writeValue(type, value);
                    out.endField(type.getName(), field);
                }
                field++;
            }
            String labelField = schema.getFieldName(field);
            out.startField(labelField, field);
            out.addBinary(labels.computeIfAbsent(row.label, ParquetBytes::text));
            out.endField(labelField, field);
            field++;
            for (int c = row.offset; field < schema.getFieldCount(); field++, c++) {
                String name = schema.getFieldName(field);
                out.startField(name, field);
                out.addFloat(row.probabilities[c]);
                out.endField(name, field);
            }
            out.endMessage();
        }

        /** A pass-through value: as read from Parquet (same type as the field), or a CSV cell (a string field). */
        private void writeValue(Type type, Object value) {
            if (value instanceof ParquetRowReader.NestedValue nested) {
                writeRepetitions(nested.row(), nested.field());
                return;
            }
            switch (type.asPrimitiveType().getPrimitiveTypeName()) {
                case INT32 -> out.addInteger((Integer) value);
                case INT64 -> out.addLong((Long) value);
                case FLOAT -> out.addFloat((Float) value);
                case DOUBLE -> out.addDouble((Double) value);
                case BOOLEAN -> out.addBoolean((Boolean) value);
                case BINARY, FIXED_LEN_BYTE_ARRAY, INT96 -> out.addBinary(value instanceof ParquetBytes bytes
                        ? bytes.bytes() : ParquetBytes.text(value.toString()));
            }
        }

        /** Every value of one field of a group (several for a repeated field), nested groups included. */
        private void writeRepetitions(Group group, int field) {
            Type type = group.getType().getType(field);
            for (int i = 0; i < group.getFieldRepetitionCount(field); i++) {
                if (type.isPrimitive()) {
                    group.writeValue(field, i, out);
                } else {
                    out.startGroup();
                    writeGroup(group.getGroup(field, i), type.asGroupType());
                    out.endGroup();
                }
            }
        }

        private void writeGroup(Group group, GroupType type) {
            for (int field = 0; field < type.getFieldCount(); field++) {
                if (group.getFieldRepetitionCount(field) > 0) {
                    out.startField(type.getFieldName(field), field);
                    writeRepetitions(group, field);
                    out.endField(type.getFieldName(field), field);
                }
            }
        }
    }
}
