package dev.batchinference.format;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A deployment's say over columns: which input column feeds each model feature (by default the column
 * of the same name) and which columns are passed through to the output.
 */
public record ColumnSelection(Map<String, String> featureColumns, PassThrough passThrough) {

    /** Which input columns the output repeats beside the predictions. */
    public enum PassThrough {
        /** every column that does not feed the model (the default) */
        NON_FEATURES,
        /** every input column, features included */
        ALL,
        /** none: the output has only the predictions */
        NONE;

        public static PassThrough parse(String setting) {
            String value = setting == null ? "" : setting.trim().toLowerCase(Locale.ROOT).replace('_', '-');
            return switch (value) {
                case "", "non-features" -> NON_FEATURES;
                case "all" -> ALL;
                case "none" -> NONE;
                default -> throw new IllegalStateException(
                        "PASS_THROUGH must be non-features, all or none, was '" + setting + "'");
            };
        }
    }

    public static ColumnSelection defaults() {
        return new ColumnSelection(Map.of(), PassThrough.NON_FEATURES);
    }

    /** {@code feature=column,feature=column}: input columns named differently from the model's features. */
    public static Map<String, String> parseFeatureColumns(String setting) {
        Map<String, String> map = new LinkedHashMap<>();
        if (setting == null || setting.isBlank()) {
            return map;
        }
        for (String pair : setting.split(",")) {
            int eq = pair.indexOf('=');
            if (eq <= 0 || eq == pair.length() - 1) {
                throw new IllegalStateException("FEATURE_COLUMNS takes feature=column pairs separated by commas; '"
                        + pair.trim() + "' is not one");
            }
            map.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
        }
        return map;
    }

    /** The input column that feeds each feature, in tensor order. */
    public List<String> inputColumnsFor(List<String> features) {
        return features.stream().map(f -> featureColumns.getOrDefault(f, f)).toList();
    }
}
