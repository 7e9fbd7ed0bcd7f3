package dev.batchinference.format;

import java.util.Locale;
import org.apache.avro.Conversions;
import org.apache.avro.generic.GenericData;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;

/** The settings every Parquet read and write shares: no Hadoop configuration, decimals as BigDecimal. */
public final class ParquetSupport {
    private ParquetSupport() {
    }

    public static PlainParquetConfiguration configuration() {
        return new PlainParquetConfiguration();
    }

    /** Avro's generic model, with decimals read as {@link java.math.BigDecimal} so they can feed the tensor. */
    public static GenericData dataModel() {
        GenericData model = new GenericData();
        model.addLogicalTypeConversion(new Conversions.DecimalConversion());
        return model;
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
