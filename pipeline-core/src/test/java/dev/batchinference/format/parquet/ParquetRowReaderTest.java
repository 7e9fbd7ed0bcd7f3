package dev.batchinference.format.parquet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchinference.format.ColumnMapping;
import dev.batchinference.format.RowReader;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.parquet.column.ParquetProperties.WriterVersion;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroup;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The column-level Parquet reader against parquet-column's own record assembly (example Groups) on the
 * same file: every value and every null, whatever the page format, the encodings and the page and row
 * group boundaries.
 */
class ParquetRowReaderTest {
    /**
     * l is optional but never null, so the reader may skip its definition levels (the statistics say so);
     * id and kind are text passed through, id unique (plain once its dictionary outgrows its page), kind
     * from a few values (a dictionary) and sometimes null.
     */
    private static final MessageType SCHEMA = MessageTypeParser.parseMessageType("""
            message m {
              required binary id (STRING);
              optional double d;
              optional int64 l;
              optional int32 i;
              required float f;
              optional boolean b;
              optional int32 shared;
              optional binary kind (STRING);
            }""");
    private static final List<String> FEATURES = List.of("f", "d", "b", "l", "i", "shared");
    /** shared is a feature passed through too, so it is read a value at a time; without it every feature is in blocks */
    private static final ColumnMapping MAPPING = mapping(List.of("id", "shared", "kind"));
    private static final ColumnMapping FEATURES_IN_BLOCKS = mapping(List.of("id", "kind"));
    private static final int ROWS = 5_000;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}, dictionary {1}, {2}, shared passed through {3}")
    @CsvSource({"PARQUET_1_0, true, SNAPPY, true", "PARQUET_1_0, false, UNCOMPRESSED, true", "PARQUET_2_0, true, ZSTD, true",
            "PARQUET_2_0, false, GZIP, true", "PARQUET_1_0, true, SNAPPY, false", "PARQUET_2_0, false, GZIP, false"})
    void readsWhatParquetsRecordAssemblyReads(WriterVersion version, boolean dictionary, CompressionCodecName codec,
            boolean sharedPassedThrough) throws IOException {
        ColumnMapping mapping = sharedPassedThrough ? MAPPING : FEATURES_IN_BLOCKS;
        Path file = dir.resolve("rows.parquet");
        List<Group> rows = rows();
        try (ParquetWriter<Group> writer = ExampleParquetWriter.builder(new LocalOutputFile(file))
                .withConf(ParquetSupport.configuration()).withCodecFactory(ParquetSupport.codecs()).withType(SCHEMA)
                .withWriterVersion(version).withDictionaryEncoding(dictionary).withCompressionCodec(codec)
                .withPageRowCountLimit(300).withRowGroupRowCountLimit(2_100).withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                .build()) {
            for (Group row : rows) {
                writer.write(row);
            }
        }

        List<String> read = new ArrayList<>();
        FloatBuffer tensor = FloatBuffer.allocate(FEATURES.size());
        Object[] pass = new Object[3];
        try (ParquetRowReader reader = new ParquetRowReader(new LocalInputFile(file), 0, Files.size(file), mapping)) {
            while (reader.next()) {
                RowReader.Rejection rejection = reader.readFeatures(tensor, 0);
                reader.readPassThrough(pass);
                // without shared passed through, the reader leaves pass[2] alone: kind is then pass[1]
                read.add(pass[0] + "|" + (sharedPassedThrough ? pass[1] + "|" + pass[2] : "?|" + pass[1]) + "|" + (rejection != null ? rejection.column() + ": " + rejection.reason()
                        : tensor.get(0) + "," + tensor.get(1) + "," + tensor.get(2) + "," + tensor.get(3) + ","
                        + tensor.get(4) + "," + tensor.get(5)));
            }
        }

        assertThat(read).hasSize(ROWS).isEqualTo(rows.stream().map(g -> expected(g, sharedPassedThrough)).toList());
    }

    private static ColumnMapping mapping(List<String> passThrough) {
        return ColumnMapping.of(SCHEMA.getFields().stream().map(org.apache.parquet.schema.Type::getName).toList(),
                FEATURES, passThrough);
    }

    /** Values from a few thousand distinct ones (so dictionaries are used), some null, some not finite, some repeated. */
    private static List<Group> rows() {
        Random random = new Random(42);
        List<Group> rows = new ArrayList<>();
        for (int r = 0; r < ROWS; r++) {
            Group g = new SimpleGroup(SCHEMA);
            g.append("id", "row" + r);
            if (random.nextInt(50) != 0) {
                g.append("d", r % 997 == 0 ? Double.POSITIVE_INFINITY : random.nextInt(3_000) / 7.0);
            }
            // stretches of one value and stretches of random ones: run-length and bit-packed dictionary ids
            g.append("l", (r / 100) % 2 == 0 ? (long) r / 100 : (long) random.nextInt(2_000) - 1_000);
            if (random.nextInt(40) != 0) {
                g.append("i", (r / 50) % 100);
            }
            g.append("f", r % 1_009 == 0 ? Float.NaN : random.nextInt(500) / 4f);
            if (random.nextInt(30) != 0) {
                g.append("b", random.nextBoolean());
            }
            if (random.nextInt(20) != 0) {
                g.append("shared", random.nextInt(10));
            }
            if (random.nextInt(10) != 0) {
                g.append("kind", "kind-" + ((r / 200) % 3 == 0 ? 0 : random.nextInt(5)));
            }
            rows.add(g);
        }
        return rows;
    }

    /** What a reader should give for a row, worked out from the Group that was written. */
    private static String expected(Group g, boolean sharedPassedThrough) {
        String shared = !sharedPassedThrough ? "?"
                : g.getFieldRepetitionCount("shared") == 0 ? "null" : Integer.toString(g.getInteger("shared", 0));
        String kind = g.getFieldRepetitionCount("kind") == 0 ? "null" : g.getString("kind", 0);
        String prefix = g.getString("id", 0) + "|" + shared + "|" + kind + "|";
        float f = g.getFloat("f", 0);
        if (Float.isNaN(f)) {
            return prefix + "f: not a finite float (float)";
        }
        if (g.getFieldRepetitionCount("d") == 0) {
            return prefix + "d: null value";
        }
        if (Double.isInfinite(g.getDouble("d", 0))) {
            return prefix + "d: not a finite float (double)";
        }
        if (g.getFieldRepetitionCount("b") == 0) {
            return prefix + "b: null value";
        }
        if (g.getFieldRepetitionCount("i") == 0) {
            return prefix + "i: null value";
        }
        if (g.getFieldRepetitionCount("shared") == 0) {
            return prefix + "shared: null value";
        }
        return prefix + f + "," + (float) g.getDouble("d", 0) + "," + (g.getBoolean("b", 0) ? 1f : 0f) + ","
                + (float) g.getLong("l", 0) + "," + (float) g.getInteger("i", 0) + "," + (float) g.getInteger("shared", 0);
    }
}
