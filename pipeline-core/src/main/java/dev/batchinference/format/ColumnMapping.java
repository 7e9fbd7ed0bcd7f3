package dev.batchinference.format;

import dev.batchinference.failure.FailureReason;
import dev.batchinference.failure.PipelineException;
import java.util.ArrayList;
import java.util.List;

/**
 * Where each model feature and each pass-through column sits in the input's columns. Planned once
 * from the header, the manifest and the deployment's {@link ColumnSelection}; workers and the writer
 * follow the plan.
 */
public record ColumnMapping(List<String> header, int[] featureColumns, int[] passThroughColumns) {
    private static final int MAX_NAME = 200;

    /** Chooses the columns, or fails the job naming every feature column the input lacks. */
    public static ColumnMapping plan(List<String> header, List<String> features, ColumnSelection selection) {
        List<String> inputColumns = selection.inputColumnsFor(features);
        List<String> missing = new ArrayList<>();
        for (int i = 0; i < features.size(); i++) {
            if (!header.contains(inputColumns.get(i))) {
                missing.add(inputColumns.get(i).equals(features.get(i)) ? features.get(i)
                        : inputColumns.get(i) + " (for feature " + features.get(i) + ")");
            }
        }
        if (!missing.isEmpty()) {
            throw new PipelineException(FailureReason.SCHEMA_MISMATCH, "the input lacks the model's feature column(s) "
                    + String.join(", ", missing) + "; " + describeHeader(header, inputColumns));
        }
        List<String> passThrough = switch (selection.passThrough()) {
            case NON_FEATURES -> header.stream().filter(c -> !inputColumns.contains(c)).toList();
            case ALL -> header;
            case NONE -> List.of();
        };
        return of(header, inputColumns, passThrough);
    }

    /**
     * The input's columns, described without quoting them: a header may be a data row (a file without
     * one), and row data stays out of summaries and logs. Names that differ from a wanted one only in case,
     * spaces, dashes or underscores are pointed out by position.
     */
    static String describeHeader(List<String> header, List<String> wanted) {
        if (looksLikeData(header)) {
            return describeDataLikeHeader(header);
        }
        List<String> nearMisses = new ArrayList<>();
        for (String name : wanted) {
            for (int c = 0; c < header.size(); c++) {
                if (!header.get(c).equals(name) && loosely(header.get(c)).equals(loosely(name))) {
                    nearMisses.add("column " + (c + 1) + " is named like " + name + " but not exactly");
                }
            }
        }
        return "the input has " + header.size() + " column" + (header.size() == 1 ? "" : "s")
                + (nearMisses.isEmpty() ? "" : "; " + String.join(", ", nearMisses) + " (names must match exactly)");
    }

    private static String loosely(String name) {
        return name.toLowerCase(java.util.Locale.ROOT).replaceAll("[\\s_\\-.]", "");
    }

    /** Whether a header may be a data row rather than column names: some name is a number, or too odd for one. */
    public static boolean looksLikeData(List<String> names) {
        for (String name : names) {
            if (name.length() > MAX_NAME || !Float.isNaN(FeatureValues.parseFinite(name))
                    || name.chars().anyMatch(Character::isISOControl)) {
                return true;
            }
        }
        return false;
    }

    /** What a header that looks like data is, said by its shape alone. */
    public static String describeDataLikeHeader(List<String> names) {
        long numbers = names.stream().filter(n -> !Float.isNaN(FeatureValues.parseFinite(n))).count();
        return "the first line has " + names.size() + " field" + (names.size() == 1 ? "" : "s")
                + (numbers > 0 ? ", " + numbers + " of which look" + (numbers == 1 ? "s" : "") + " like numbers" : "")
                + ": the file seems to have no header row (its first line must name the columns)";
    }

    /** Resolves planned column names to positions in this header. */
    public static ColumnMapping of(List<String> header, List<String> featureColumns, List<String> passThroughColumns) {
        return new ColumnMapping(List.copyOf(header), indices(header, featureColumns), indices(header, passThroughColumns));
    }

    private static int[] indices(List<String> header, List<String> columns) {
        int[] indices = new int[columns.size()];
        for (int i = 0; i < indices.length; i++) {
            indices[i] = header.indexOf(columns.get(i));
            if (indices[i] < 0) {
                throw new PipelineException(FailureReason.SCHEMA_MISMATCH, "the input has no column " + columns.get(i));
            }
        }
        return indices;
    }

    public int featureCount() {
        return featureColumns.length;
    }

    public List<String> featureColumnNames() {
        return names(featureColumns);
    }

    public List<String> passThroughColumnNames() {
        return names(passThroughColumns);
    }

    private List<String> names(int[] indices) {
        List<String> names = new ArrayList<>(indices.length);
        for (int i : indices) {
            names.add(header.get(i));
        }
        return names;
    }

    /** Output columns: pass-through columns, then {@code label}, then {@code prob_<class>} per class. */
    public List<String> outputHeader(List<String> labels) {
        List<String> columns = new ArrayList<>();
        for (String name : passThroughColumnNames()) {
            // an input column called like one of ours (training data often has 'label') keeps its values, renamed
            columns.add(name.equals("label") || name.startsWith("prob_") ? "input_" + name : name);
        }
        columns.add("label");
        for (String label : labels) {
            columns.add("prob_" + label);
        }
        return columns;
    }
}
