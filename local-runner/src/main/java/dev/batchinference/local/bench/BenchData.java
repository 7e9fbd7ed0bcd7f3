package dev.batchinference.local.bench;

import dev.batchinference.format.ParquetSupport;
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
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.parquet.avro.AvroParquetReader;
import org.apache.parquet.avro.AvroParquetWriter;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.LocalOutputFile;

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
        List<GenericRecord> sample = new ArrayList<>();
        try (ParquetReader<GenericRecord> reader = AvroParquetReader
                .<GenericRecord>builder(new LocalInputFile(sampleParquet()), ParquetSupport.configuration())
                .withDataModel(ParquetSupport.dataModel()).build()) {
            for (GenericRecord r = reader.read(); r != null; r = reader.read()) {
                sample.add(r);
            }
        }
        Schema schema = sample.get(0).getSchema();
        int idField = schema.getField("id").pos();
        int fields = schema.getFields().size();
        Random pick = new Random(SEED);
        GenericData.Record row = new GenericData.Record(schema);
        try (ParquetWriter<GenericRecord> writer = AvroParquetWriter.<GenericRecord>builder(new LocalOutputFile(file))
                .withConf(ParquetSupport.configuration())
                .withDataModel(ParquetSupport.dataModel())
                .withSchema(schema)
                .withCompressionCodec(CompressionCodecName.SNAPPY)
                .withRowGroupSize((long) ParquetWriter.DEFAULT_BLOCK_SIZE)
                .build()) {
            for (long i = 1; i <= rows; i++) {
                GenericRecord from = sample.get(pick.nextInt(sample.size()));
                for (int f = 0; f < fields; f++) {
                    row.put(f, from.get(f));
                }
                row.put(idField, id(i));
                writer.write(row);
            }
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
