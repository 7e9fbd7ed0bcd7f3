package dev.batchinference.format.parquet;

import dev.batchinference.failure.FailureReason;
import dev.batchinference.failure.PipelineException;
import dev.batchinference.format.ColumnMapping;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;

/**
 * The Parquet schema of predictions: pass-through columns with their input types (strings when the
 * input was CSV), {@code label} as a string, {@code prob_<class>} as floats. Names are made
 * {@code [A-Za-z_][A-Za-z0-9_]*}, so a CSV column "sepal length" becomes {@code sepal_length}: the names
 * stay valid in every tool that reads the output (Avro-based readers, Hive, SQL engines).
 */
public final class PredictionSchema {
    private PredictionSchema() {
    }

    /**
     * @param outputHeader the output's column names ({@link ColumnMapping#outputHeader})
     * @param passThroughTypes the pass-through columns' input types, or null for strings (CSV input)
     */
    public static MessageType of(List<String> outputHeader, List<Type> passThroughTypes, int passThroughCount) {
        List<Type> fields = new ArrayList<>();
        Set<String> used = new HashSet<>();
        for (int i = 0; i < outputHeader.size(); i++) {
            String name = uniqueName(outputHeader.get(i), used);
            if (i < passThroughCount && passThroughTypes != null) {
                fields.add(renamed(passThroughTypes.get(i), name));
            } else if (i <= passThroughCount) {
                fields.add(Types.required(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named(name));
            } else {
                fields.add(Types.required(PrimitiveTypeName.FLOAT).named(name));
            }
        }
        MessageType schema = new MessageType("Prediction", fields);
        // the schema travels in the job's plan as text: a type that does not survive that fails the job here
        if (!parse(schema.toString()).equals(schema)) {
            throw new PipelineException(FailureReason.SCHEMA_MISMATCH, "a pass-through column's Parquet type cannot be"
                    + " carried to the output: " + schema);
        }
        return schema;
    }

    /** The schema from its text form ({@link MessageType#toString}), as the job's plan holds it. */
    public static MessageType parse(String text) {
        return MessageTypeParser.parseMessageType(text);
    }

    private static Type renamed(Type type, String name) {
        if (type.isPrimitive()) {
            PrimitiveType p = type.asPrimitiveType();
            return Types.primitive(p.getPrimitiveTypeName(), p.getRepetition()).length(p.getTypeLength())
                    .as(p.getLogicalTypeAnnotation()).named(name);
        }
        GroupType g = type.asGroupType();
        return Types.buildGroup(g.getRepetition()).as(g.getLogicalTypeAnnotation()).addFields(g.getFields().toArray(Type[]::new))
                .named(name);
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
