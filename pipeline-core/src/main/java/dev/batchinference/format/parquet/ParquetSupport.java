package dev.batchinference.format.parquet;

import dev.batchinference.format.Compression;
import java.io.IOException;
import java.nio.file.Path;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.InputFile;

/**
 * The settings every Parquet read and write shares, none of which touches Hadoop: a plain configuration
 * object and the codecs of {@link ParquetCodecs} (parquet-hadoop's defaults for both load Hadoop classes).
 */
public final class ParquetSupport {
    private ParquetSupport() {
    }

    public static PlainParquetConfiguration configuration() {
        return new PlainParquetConfiguration();
    }

    public static CompressionCodecFactory codecs() {
        return ParquetCodecs.INSTANCE;
    }

    /** Reads the whole file. */
    public static ParquetReadOptions readOptions() {
        return ParquetReadOptions.builder(configuration()).withCodecFactory(codecs()).build();
    }

    /** Reads the row groups whose midpoint lies in {@code [start, end)}, as Parquet splits files. */
    public static ParquetReadOptions readOptions(long start, long end) {
        return ParquetReadOptions.builder(configuration()).withCodecFactory(codecs()).withRange(start, end).build();
    }

    /** Opens a file with these settings; its footer is read at once. */
    public static ParquetFileReader open(InputFile file, ParquetReadOptions options) throws IOException {
        return new ParquetFileReader(file, options);
    }

    /** A local file to read, named by its path in parquet-java's messages, read in bulk (see {@link ChannelInputFile}). */
    public static InputFile localFile(Path path) {
        return new ChannelInputFile(path);
    }

    /** The codec of a {@code PARQUET_COMPRESSION} setting; see {@link Compression#parse}. */
    public static CompressionCodecName codec(String setting) {
        return switch (Compression.parse(setting)) {
            case SNAPPY -> CompressionCodecName.SNAPPY;
            case ZSTD -> CompressionCodecName.ZSTD;
            case GZIP -> CompressionCodecName.GZIP;
            case NONE -> CompressionCodecName.UNCOMPRESSED;
        };
    }
}
