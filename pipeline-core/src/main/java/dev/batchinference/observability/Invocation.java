package dev.batchinference.observability;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.batchinference.json.RecordJson;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The line of one invocation being assembled: counts and durations (metrics, summed when added twice)
 * and properties (ids, outcomes). Never put row content or credentials here: only ids, counts, times
 * and reason codes. {@link #emit} writes it once.
 */
public final class Invocation {
    private static final Logger LOG = LoggerFactory.getLogger(Invocation.class);
    /** The one dimension of every metric: the function that wrote the line. */
    static final String DIMENSION = "Function";

    private final String function;
    private final String namespace;
    private final Consumer<String> lines;
    private final long started = System.nanoTime();
    private final Map<String, Double> counts = new LinkedHashMap<>();
    private final Map<String, Double> millis = new LinkedHashMap<>();
    private final Map<String, Object> properties = new LinkedHashMap<>();
    private boolean emitted;

    Invocation(String function, String namespace, Consumer<String> lines, Map<String, String> environmentProperties,
               boolean cold, String requestId) {
        this.function = function;
        this.namespace = namespace;
        this.lines = lines;
        properties.put("function", function);
        properties.put("coldStart", cold);
        if (requestId != null) {
            properties.put("requestId", requestId);
        }
        properties.putAll(environmentProperties);
    }

    /** Adds to a count (rows, messages, chunks). */
    public Invocation count(String name, long value) {
        counts.merge(metricName(name), (double) value, Double::sum);
        return this;
    }

    /** Adds to a duration in milliseconds. */
    public Invocation millis(String name, long value) {
        millis.merge(metricName(name), (double) value, Double::sum);
        return this;
    }

    /** Sets a property: an id, an outcome, a reason code; a list or map of them. */
    public Invocation property(String name, Object value) {
        properties.put(name, value);
        return this;
    }

    /** Writes the line, with the invocation's duration so far as {@code durationMs}; only the first call writes. */
    public void emit() {
        if (emitted) {
            return;
        }
        emitted = true;
        millis.put("durationMs", (double) ((System.nanoTime() - started) / 1_000_000));
        try {
            lines.accept(document(System.currentTimeMillis()));
        } catch (RuntimeException e) {
            // the invocation's work is done; a line that cannot be written must not fail it
            LOG.warn("{}: the invocation line was not written: {}", function, e.toString());
        }
    }

    /**
     * The line as a CloudWatch Embedded Metric Format document: the {@code _aws} metadata (timestamp,
     * namespace, the one dimension, each metric's unit), the dimension's value, the properties, then each
     * metric's value. Metric names never collide with properties: the handlers keep them apart.
     */
    private String document(long timestampMillis) {
        StringWriter text = new StringWriter(512);
        try (JsonGenerator out = InvocationLog.JSON.createGenerator(text)) {
            out.writeStartObject();
            out.writeObjectFieldStart("_aws");
            out.writeNumberField("Timestamp", timestampMillis);
            out.writeArrayFieldStart("CloudWatchMetrics");
            out.writeStartObject();
            out.writeStringField("Namespace", namespace);
            out.writeArrayFieldStart("Dimensions");
            out.writeStartArray();
            out.writeString(DIMENSION);
            out.writeEndArray();
            out.writeEndArray();
            out.writeArrayFieldStart("Metrics");
            units(out, counts, "Count");
            units(out, millis, "Milliseconds");
            out.writeEndArray();
            out.writeEndObject();
            out.writeEndArray();
            out.writeEndObject();
            out.writeStringField(DIMENSION, function);
            for (Map.Entry<String, Object> property : properties.entrySet()) {
                out.writeFieldName(property.getKey());
                RecordJson.write(out, property.getValue());
            }
            values(out, counts);
            values(out, millis);
            out.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return text.toString();
    }

    private static void units(JsonGenerator out, Map<String, Double> metrics, String unit) throws IOException {
        for (String name : metrics.keySet()) {
            out.writeStartObject();
            out.writeStringField("Name", name);
            out.writeStringField("Unit", unit);
            out.writeEndObject();
        }
    }

    private static void values(JsonGenerator out, Map<String, Double> metrics) throws IOException {
        for (Map.Entry<String, Double> metric : metrics.entrySet()) {
            out.writeNumberField(metric.getKey(), metric.getValue());
        }
    }

    /** CloudWatch takes metric names of 1 to 255 characters. */
    private static String metricName(String name) {
        if (name == null || name.isBlank() || name.length() > 255) {
            throw new IllegalArgumentException("metric name '" + name + "': 1 to 255 characters, not all blank");
        }
        return name;
    }
}
