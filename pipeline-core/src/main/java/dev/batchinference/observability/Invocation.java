package dev.batchinference.observability;

import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.cloudwatchlogs.emf.environment.Environment;
import software.amazon.cloudwatchlogs.emf.exception.InvalidMetricException;
import software.amazon.cloudwatchlogs.emf.logger.MetricsLogger;
import software.amazon.cloudwatchlogs.emf.model.DimensionSet;
import software.amazon.cloudwatchlogs.emf.model.Unit;

/**
 * The line of one invocation being assembled: counts and durations (metrics, summed when added twice)
 * and properties (ids, outcomes). Never put row content or credentials here: only ids, counts, times
 * and reason codes. {@link #emit} writes it once.
 */
public final class Invocation {
    private static final Logger LOG = LoggerFactory.getLogger(Invocation.class);

    private final String function;
    private final String namespace;
    private final Environment environment;
    private final long started = System.nanoTime();
    private final Map<String, Double> counts = new LinkedHashMap<>();
    private final Map<String, Double> millis = new LinkedHashMap<>();
    private final Map<String, Object> properties = new LinkedHashMap<>();
    private boolean emitted;

    Invocation(String function, String namespace, Environment environment, boolean cold, String requestId) {
        this.function = function;
        this.namespace = namespace;
        this.environment = environment;
        properties.put("function", function);
        properties.put("coldStart", cold);
        if (requestId != null) {
            properties.put("requestId", requestId);
        }
    }

    /** Adds to a count (rows, messages, chunks). */
    public Invocation count(String name, long value) {
        counts.merge(name, (double) value, Double::sum);
        return this;
    }

    /** Adds to a duration in milliseconds. */
    public Invocation millis(String name, long value) {
        millis.merge(name, (double) value, Double::sum);
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
            MetricsLogger metrics = new MetricsLogger(environment);
            metrics.setNamespace(namespace);
            metrics.setDimensions(false, DimensionSet.of("Function", function));
            counts.forEach((name, value) -> put(metrics, name, value, Unit.COUNT));
            millis.forEach((name, value) -> put(metrics, name, value, Unit.MILLISECONDS));
            properties.forEach(metrics::putProperty);
            metrics.flush();
        } catch (RuntimeException e) {
            // the invocation's work is done; a line that cannot be written must not fail it
            LOG.warn("{}: the invocation line was not written: {}", function, e.toString());
        }
    }

    private static void put(MetricsLogger metrics, String name, double value, Unit unit) {
        try {
            metrics.putMetric(name, value, unit);
        } catch (InvalidMetricException e) {
            throw new IllegalArgumentException("metric " + name + ": " + e.getMessage(), e);
        }
    }
}
