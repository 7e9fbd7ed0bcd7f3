package dev.batchinference.local.bench;

import dev.batchinference.format.parquet.ParquetSupport;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroup;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.MessageType;

/**
 * Benchmark inputs for the fraud model: N rows drawn from the sample transactions by a seeded random
 * sequence, each with a new id, as CSV and as Parquet holding the same rows. Files are named after their
 * size and reused when present, so a second run skips the generation.
 */
final class BenchData {
    /** Bump when the generated content changes, so stale files are not reused. */
    private static final String GENERATION = "v1";
    private static final long SEED = 20_261_124L;

    private final Path samples;
    private final Path dir;

    BenchData(Path samples, Path dir) {
        this.samples = samples;
        this.dir = dir;
    }

    Path sampleCsv() {
        return samples.resolve("data/transactions.csv");
    }

    Path sampleParquet() {
        return samples.resolve("data/transactions.parquet");
    }

    Path modelDir() {
        return samples.resolve("models/fraud");
    }

    Path modelsDir() {
        return samples.resolve("models");
    }

    /** A scratch folder for outputs, inside the data folder. */
    Path scratch() throws IOException {
        return Files.createDirectories(dir.resolve("scratch"));
    }

    Path csv(long rows) throws IOException {
        Path file = dir.resolve("transactions-" + rows + "-" + GENERATION + ".csv");
        if (!Files.isRegularFile(file)) {
            BenchLog.progress("generating %,d rows of CSV in %s", rows, file);
            writeAtomically(file, partial -> writeCsv(partial, rows));
        }
        return file;
    }

    Path parquet(long rows) throws IOException {
        Path file = dir.resolve("transactions-" + rows + "-" + GENERATION + ".parquet");
        if (!Files.isRegularFile(file)) {
            BenchLog.progress("generating %,d rows of Parquet in %s", rows, file);
            writeAtomically(file, partial -> writeParquet(partial, rows));
        }
        return file;
    }

    private void writeCsv(Path file, long rows) throws IOException {
        List<String> lines = Files.readAllLines(sampleCsv(), StandardCharsets.UTF_8);
        String header = lines.get(0);
        if (!header.startsWith("id,")) {
            throw new IllegalStateException(sampleCsv() + " should start with an id column: " + header);
        }
        List<String> rest = new ArrayList<>(lines.size() - 1);
        for (String line : lines.subList(1, lines.size())) {
            rest.add(line.substring(line.indexOf(',')));
        }
        Random pick = new Random(SEED);
        try (Writer out = new BufferedWriter(Files.newBufferedWriter(file, StandardCharsets.UTF_8), 1 << 20)) {
            out.write(header);
            out.write('\n');
            for (long i = 1; i <= rows; i++) {
                out.write(id(i));
                out.write(rest.get(pick.nextInt(rest.size())));
                out.write('\n');
            }
        }
    }

    private void writeParquet(Path file, long rows) throws IOException {
        List<Group> sample = new ArrayList<>();
        MessageType schema;
        try (ParquetFileReader reader = ParquetSupport.open(ParquetSupport.localFile(sampleParquet()), ParquetSupport.readOptions())) {
            schema = reader.getFooter().getFileMetaData().getSchema();
            for (PageReadStore pages = reader.readNextRowGroup(); pages != null; pages = reader.readNextRowGroup()) {
                RecordReader<Group> records = new ColumnIOFactory().getColumnIO(schema)
                        .getRecordReader(pages, new GroupRecordConverter(schema));
                for (long r = 0; r < pages.getRowCount(); r++) {
                    sample.add(records.read());
                }
            }
        }
        int idField = schema.getFieldIndex("id");
        Random pick = new Random(SEED);
        try (ParquetWriter<Group> writer = ExampleParquetWriter.builder(new LocalOutputFile(file))
                .withConf(ParquetSupport.configuration())
                .withCodecFactory(ParquetSupport.codecs())
                .withType(schema)
                .withCompressionCodec(CompressionCodecName.SNAPPY)
                .withRowGroupSize((long) ParquetWriter.DEFAULT_BLOCK_SIZE)
                .build()) {
            for (long i = 1; i <= rows; i++) {
                Group from = sample.get(pick.nextInt(sample.size()));
                Group row = new SimpleGroup(schema);
                for (int f = 0; f < schema.getFieldCount(); f++) {
                    if (f == idField) {
                        row.add(f, Binary.fromString(id(i)));
                    } else if (from.getFieldRepetitionCount(f) > 0) {
                        copyValue(from, row, f);
                    }
                }
                writer.write(row);
            }
        }
    }

    /** A top-level scalar of the sample (its columns are strings, doubles and longs). */
    private static void copyValue(Group from, Group to, int field) {
        switch (from.getType().getType(field).asPrimitiveType().getPrimitiveTypeName()) {
            case BINARY -> to.add(field, from.getBinary(field, 0));
            case DOUBLE -> to.add(field, from.getDouble(field, 0));
            case FLOAT -> to.add(field, from.getFloat(field, 0));
            case INT64 -> to.add(field, from.getLong(field, 0));
            case INT32 -> to.add(field, from.getInteger(field, 0));
            case BOOLEAN -> to.add(field, from.getBoolean(field, 0));
            default -> throw new IllegalStateException("the sample has a column of type " + from.getType().getType(field));
        }
    }

    /** {@code txn-000000001}: the sample's id shape, widened for up to a billion rows. */
    private static String id(long n) {
        String digits = Long.toString(n);
        return "txn-" + "0".repeat(Math.max(0, 9 - digits.length())) + digits;
    }

    private interface FileContent {
        void writeTo(Path file) throws IOException;
    }

    private void writeAtomically(Path file, FileContent content) throws IOException {
        Files.createDirectories(dir);
        Path partial = dir.resolve(file.getFileName() + ".partial-" + ProcessHandle.current().pid());
        try {
            content.writeTo(partial);
            Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(partial);
        }
    }
}
