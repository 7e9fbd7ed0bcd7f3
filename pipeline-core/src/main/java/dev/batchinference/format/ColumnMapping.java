package dev.batchinference.format;

import dev.batchinference.job.FailureReason;
import dev.batchinference.job.PipelineException;
import java.util.ArrayList;
import java.util.List;

/**
 * Which input columns feed the model's tensor (matched by name, in the manifest's feature order) and
 * which are passed through to the output (every other column, in input order).
 */
public record ColumnMapping(List<String> header, int[] featureColumns, int[] passThroughColumns) {

    public static ColumnMapping of(List<String> header, List<String> features) {
        List<String> missing = new ArrayList<>();
        int[] featureColumns = new int[features.size()];
        for (int i = 0; i < features.size(); i++) {
            featureColumns[i] = header.indexOf(features.get(i));
            if (featureColumns[i] < 0) {
                missing.add(features.get(i));
            }
        }
        if (!missing.isEmpty()) {
            throw new PipelineException(FailureReason.SCHEMA_MISMATCH, "the input lacks the model's feature column(s) "
                    + String.join(", ", missing) + " (input columns: " + String.join(", ", header) + ")");
        }
        int[] passThrough = new int[header.size()];
        int n = 0;
        for (int c = 0; c < header.size(); c++) {
            if (!features.contains(header.get(c))) {
                passThrough[n++] = c;
            }
        }
        return new ColumnMapping(List.copyOf(header), featureColumns, java.util.Arrays.copyOf(passThrough, n));
    }

    public int featureCount() {
        return featureColumns.length;
    }

    /** Output columns: pass-through columns, then {@code label}, then {@code prob_<class>} per class. */
    public List<String> outputHeader(List<String> labels) {
        List<String> columns = new ArrayList<>();
        for (int c : passThroughColumns) {
            String name = header.get(c);
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
