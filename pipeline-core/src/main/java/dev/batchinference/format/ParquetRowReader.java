package dev.batchinference.format;

import dev.batchinference.inference.RowReader;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.parquet.avro.AvroParquetReader;
import org.apache.parquet.avro.AvroReadSupport;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.io.InputFile;

/**
 * Rows of a Parquet chunk: the row groups in its byte range, projected to the feature and pass-through
 * columns so the other columns are never fetched. Numbers of any width (and decimals) feed the tensor;
 * a null, or text that is not a number, rejects the row.
 */
public final class ParquetRowReader implements RowReader {
    private final ParquetReader<GenericRecord> reader;
    private final List<String> featureNames;
    private final int[] featurePositions;
    private final int[] passThroughPositions;
    private GenericRecord record;

    public ParquetRowReader(InputFile file, long start, long end, Schema fileSchema, ColumnMapping mapping)
            throws IOException {
        this.featureNames = mapping.featureColumnNames();
        Set<String> needed = new LinkedHashSet<>();
        for (String column : fileSchema.getFields().stream().map(Schema.Field::name).toList()) {
            if (featureNames.contains(column) || mapping.passThroughColumnNames().contains(column)) {
                needed.add(column);
            }
        }
        List<Schema.Field> fields = new ArrayList<>();
        for (String column : needed) {
            Schema.Field field = fileSchema.getField(column);
            fields.add(new Schema.Field(field.name(), field.schema(), field.doc(), field.defaultVal()));
        }
        Schema projection = Schema.createRecord(fileSchema.getName(), null, fileSchema.getNamespace(), false, fields);
        List<String> projected = List.copyOf(needed);
        this.featurePositions = featureNames.stream().mapToInt(projected::indexOf).toArray();
        this.passThroughPositions = mapping.passThroughColumnNames().stream().mapToInt(projected::indexOf).toArray();

        PlainParquetConfiguration conf = ParquetSupport.configuration();
        conf.set(AvroReadSupport.AVRO_REQUESTED_PROJECTION, projection.toString());
        this.reader = AvroParquetReader.<GenericRecord>builder(file, conf)
                .withDataModel(ParquetSupport.dataModel())
                .withFileRange(start, end)
                .build();
    }

    @Override
    public boolean next() throws IOException {
        record = reader.read();
        return record != null;
    }

    @Override
    public Rejection readFeatures(FloatBuffer tensor, int offset) {
        for (int f = 0; f < featurePositions.length; f++) {
            Object value = record.get(featurePositions[f]);
            float number = toFloat(value);
            if (Float.isNaN(number)) {
                return new Rejection(featureNames.get(f), problemWith(value));
            }
            tensor.put(offset + f, number);
        }
        return null;
    }

    /** The value as a finite float, or NaN. */
    static float toFloat(Object value) {
        float number;
        if (value instanceof Number n) {
            number = n.floatValue();
        } else if (value instanceof Boolean b) {
            number = b ? 1f : 0f;
        } else if (value instanceof CharSequence text) {
            number = FeatureValues.parseFinite(text.toString());
        } else {
            return Float.NaN;
        }
        return Float.isInfinite(number) ? Float.NaN : number;
    }

    static String problemWith(Object value) {
        if (value == null) {
            return "null value";
        }
        if (value instanceof CharSequence text) {
            return FeatureValues.problemWith(text.toString());
        }
        if (value instanceof BigDecimal || value instanceof Number) {
            return "not a finite float (" + value.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT) + ")";
        }
        return "not a number (" + value.getClass().getSimpleName() + ")";
    }

    @Override
    public void readPassThrough(Object[] into) {
        for (int p = 0; p < passThroughPositions.length; p++) {
            into[p] = record.get(passThroughPositions[p]);
        }
    }

    @Override
    public void close() throws IOException {
        reader.close();
    }
}
