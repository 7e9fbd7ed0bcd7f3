package dev.batchinference.format;

import java.util.Locale;

/** The formats predictions are written in; by default the input's own. */
public enum OutputFormat {
    CSV(".csv"),
    PARQUET(".parquet");

    private final String extension;

    OutputFormat(String extension) {
        this.extension = extension;
    }

    public String extension() {
        return extension;
    }

    public static OutputFormat matching(InputFormat input) {
        return input == InputFormat.PARQUET ? PARQUET : CSV;
    }

    /** {@code auto}, {@code csv} or {@code parquet}; empty for auto. */
    public static java.util.Optional<OutputFormat> parse(String setting) {
        String value = setting == null ? "auto" : setting.trim().toLowerCase(Locale.ROOT);
        return switch (value) {
            case "", "auto" -> java.util.Optional.empty();
            case "csv" -> java.util.Optional.of(CSV);
            case "parquet" -> java.util.Optional.of(PARQUET);
            default -> throw new IllegalStateException("OUTPUT_FORMAT must be auto, csv or parquet, was '" + setting + "'");
        };
    }
}
