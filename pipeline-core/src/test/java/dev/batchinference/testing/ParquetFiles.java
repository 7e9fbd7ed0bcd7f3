package dev.batchinference.testing;

import dev.batchinference.format.ParquetSupport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.parquet.avro.AvroParquetReader;
import org.apache.parquet.avro.AvroParquetWriter;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.LocalOutputFile;

/** Real Parquet files for tests, written and read with parquet-avro. */
public final class ParquetFiles {
    private ParquetFiles() {
    }

    public static byte[] write(Path dir, Schema schema, List<GenericRecord> records) {
        try {
            Path file = Files.createTempFile(dir, "test", ".parquet");
            try (ParquetWriter<GenericRecord> writer = AvroParquetWriter.<GenericRecord>builder(new LocalOutputFile(file))
                    .withConf(ParquetSupport.configuration()).withSchema(schema).withDataModel(ParquetSupport.dataModel())
                    .withCompressionCodec(CompressionCodecName.SNAPPY).withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                    .build()) {
                for (GenericRecord r : records) {
                    writer.write(r);
                }
            }
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static List<GenericRecord> read(Path dir, byte[] parquet) {
        try {
            Path file = Files.createTempFile(dir, "read", ".parquet");
            Files.write(file, parquet);
            List<GenericRecord> records = new ArrayList<>();
            try (ParquetReader<GenericRecord> reader = AvroParquetReader.<GenericRecord>builder(new LocalInputFile(file),
                    ParquetSupport.configuration()).withDataModel(ParquetSupport.dataModel()).build()) {
                GenericRecord r;
                while ((r = reader.read()) != null) {
                    records.add(r);
                }
            }
            return records;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
