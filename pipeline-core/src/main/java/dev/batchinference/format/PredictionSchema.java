package dev.batchinference.format;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.avro.Schema;

/**
 * The Avro schema of Parquet predictions: pass-through columns with their input types (strings when the
 * input was CSV), {@code label} as a string, {@code prob_<class>} as floats. Names are made valid Avro
 * names ({@code [A-Za-z_][A-Za-z0-9_]*}), so a CSV column "sepal length" becomes {@code sepal_length}.
 */
public final class PredictionSchema {
    private PredictionSchema() {
    }

    /**
     * @param outputHeader the output's column names ({@link ColumnMapping#outputHeader})
     * @param passThroughTypes the pass-through columns' input schemas, or null for strings (CSV input)
     */
    public static Schema of(List<String> outputHeader, List<Schema> passThroughTypes, int passThroughCount) {
        List<Schema.Field> fields = new ArrayList<>();
        Set<String> used = new HashSet<>();
        for (int i = 0; i < outputHeader.size(); i++) {
            Schema type;
            if (i < passThroughCount) {
                type = passThroughTypes == null ? Schema.create(Schema.Type.STRING) : passThroughTypes.get(i);
            } else if (i == passThroughCount) {
                type = Schema.create(Schema.Type.STRING);
            } else {
                type = Schema.create(Schema.Type.FLOAT);
            }
            fields.add(new Schema.Field(uniqueName(outputHeader.get(i), used), type));
        }
        return Schema.createRecord("Prediction", "one input row's prediction", "dev.batchinference", false, fields);
    }

    static String uniqueName(String name, Set<String> used) {
        StringBuilder valid = new StringBuilder();
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            valid.append((c < 128 && Character.isLetterOrDigit(c)) || c == '_' ? c : '_');
        }
        if (valid.length() == 0 || Character.isDigit(valid.charAt(0))) {
            valid.insert(0, '_');
        }
        String candidate = valid.toString();
        for (int n = 2; !used.add(candidate); n++) {
            candidate = valid + "_" + n;
        }
        return candidate;
    }
}
