package dev.batchinference.testing;

import dev.batchinference.format.parquet.ParquetSupport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroup;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/**
 * Real Parquet files for tests, written and read whole-record with parquet-column's example {@link Group}
 * model: an independent path from the column readers and record consumer the pipeline uses.
 */
public final class ParquetFiles {
    private ParquetFiles() {
    }

    /** A schema in Parquet's schema language, e.g. {@code message r { required binary id (STRING); }}. */
    public static MessageType schema(String text) {
        return MessageTypeParser.parseMessageType(text);
    }

    public static Group row(MessageType schema) {
        return new SimpleGroup(schema);
    }

    public static byte[] write(Path dir, MessageType schema, List<Group> rows) {
        try {
            Path file = Files.createTempFile(dir, "test", ".parquet");
            try (ParquetWriter<Group> writer = ExampleParquetWriter.builder(new LocalOutputFile(file))
                    .withConf(ParquetSupport.configuration()).withCodecFactory(ParquetSupport.codecs()).withType(schema)
                    .withCompressionCodec(CompressionCodecName.SNAPPY).withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                    .build()) {
                for (Group row : rows) {
                    writer.write(row);
                }
            }
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every row of a file, with the file's schema ({@code rows.get(0).getType()}). */
    public static List<Group> read(Path dir, byte[] parquet) {
        try {
            Path file = Files.createTempFile(dir, "read", ".parquet");
            Files.write(file, parquet);
            return read(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static List<Group> read(Path file) throws IOException {
        List<Group> rows = new ArrayList<>();
        try (ParquetFileReader reader = ParquetSupport.open(new LocalInputFile(file), ParquetSupport.readOptions())) {
            MessageType schema = reader.getFooter().getFileMetaData().getSchema();
            for (PageReadStore pages = reader.readNextRowGroup(); pages != null; pages = reader.readNextRowGroup()) {
                RecordReader<Group> records = new ColumnIOFactory().getColumnIO(schema)
                        .getRecordReader(pages, new GroupRecordConverter(schema));
                for (long r = 0; r < pages.getRowCount(); r++) {
                    rows.add(records.read());
                }
            }
        }
        return rows;
    }

    /** A top-level column's value as text (numbers as Java prints them, strings as they are); empty for null. */
    public static String text(Group row, String column) {
        int field = row.getType().getFieldIndex(column);
        return row.getFieldRepetitionCount(field) == 0 ? "" : row.getValueToString(field, 0);
    }

    /** The file's schema, from its footer. */
    public static MessageType schemaOf(Path dir, byte[] parquet) {
        try {
            Path file = Files.createTempFile(dir, "schema", ".parquet");
            Files.write(file, parquet);
            try (ParquetFileReader reader = ParquetSupport.open(new LocalInputFile(file), ParquetSupport.readOptions())) {
                return reader.getFooter().getFileMetaData().getSchema();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
