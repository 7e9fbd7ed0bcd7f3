package dev.batchinference.format;

import java.io.IOException;
import java.util.Locale;
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

    /** {@code snappy} (default), {@code zstd}, {@code gzip} or {@code none}. */
    public static CompressionCodecName codec(String setting) {
        String value = setting == null ? "" : setting.trim().toLowerCase(Locale.ROOT);
        return switch (value) {
            case "", "snappy" -> CompressionCodecName.SNAPPY;
            case "zstd" -> CompressionCodecName.ZSTD;
            case "gzip" -> CompressionCodecName.GZIP;
            case "none", "uncompressed" -> CompressionCodecName.UNCOMPRESSED;
            default -> throw new IllegalStateException(
                    "PARQUET_COMPRESSION must be snappy, zstd, gzip or none, was '" + setting + "'");
        };
    }
}
