package dev.batchinference.format;

import java.util.Locale;

/** How Parquet output is compressed: the values of {@code PARQUET_COMPRESSION}; the Parquet writer maps each to its codec. */
public enum Compression {
    SNAPPY,
    ZSTD,
    GZIP,
    NONE;

    /** {@code snappy} (default, also for blank), {@code zstd}, {@code gzip} or {@code none}. */
    public static Compression parse(String setting) {
        String value = setting == null ? "" : setting.trim().toLowerCase(Locale.ROOT);
        return switch (value) {
            case "", "snappy" -> SNAPPY;
            case "zstd" -> ZSTD;
            case "gzip" -> GZIP;
            case "none", "uncompressed" -> NONE;
            default -> throw new IllegalStateException(
                    "PARQUET_COMPRESSION must be snappy, zstd, gzip or none, was '" + setting + "'");
        };
    }
}
