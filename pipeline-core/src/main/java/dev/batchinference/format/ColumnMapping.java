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
                    + String.join(", ", missing) + " (input columns: " + String.join(", ", header) + ")");
        }
        List<String> passThrough = switch (selection.passThrough()) {
            case NON_FEATURES -> header.stream().filter(c -> !inputColumns.contains(c)).toList();
            case ALL -> header;
            case NONE -> List.of();
        };
        return of(header, inputColumns, passThrough);
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
