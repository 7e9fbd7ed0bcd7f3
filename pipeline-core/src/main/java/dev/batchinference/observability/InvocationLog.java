package dev.batchinference.observability;

import com.fasterxml.jackson.core.JsonFactory;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a function's invocation lines go: one JSON line per invocation that is both its structured log
 * and a CloudWatch Embedded Metric Format document (the numbers are metrics under the {@code Function}
 * dimension, the rest searchable properties). In Lambda the line goes to standard output, where
 * CloudWatch Logs turns it into metrics; elsewhere (the local runtime, tests) to a logger or a consumer.
 * The document is written with jackson-core's generator: a metrics library would load Jackson's object
 * mapping, several hundred classes, on every cold start for one line.
 * One instance per execution environment: its first invocation is the cold one.
 */
public final class InvocationLog {
    /** CloudWatch namespace of the metrics unless {@link #NAMESPACE_VARIABLE} names another. */
    public static final String DEFAULT_NAMESPACE = "BatchInference";
    public static final String NAMESPACE_VARIABLE = "METRICS_NAMESPACE";
    static final JsonFactory JSON = new JsonFactory();
    private static final Logger LOG = LoggerFactory.getLogger(InvocationLog.class);

    private final String function;
    private final String namespace;
    private final Consumer<String> lines;
    private final Map<String, String> environmentProperties;
    private final AtomicBoolean invoked = new AtomicBoolean();

    private InvocationLog(String function, String namespace, Consumer<String> lines,
                          Map<String, String> environmentProperties) {
        this.function = function;
        this.namespace = namespace;
        this.lines = lines;
        this.environmentProperties = environmentProperties;
    }

    /**
     * In Lambda (AWS_LAMBDA_FUNCTION_NAME set) to standard output, each line with the execution environment,
     * the function version, the log stream and, for a sampled X-Ray trace, its id; elsewhere to this class's
     * logger at INFO.
     */
    public static InvocationLog fromEnvironment(String function, Map<String, String> env) {
        String namespace = env.getOrDefault(NAMESPACE_VARIABLE, DEFAULT_NAMESPACE);
        if (env.containsKey("AWS_LAMBDA_FUNCTION_NAME")) {
            return new InvocationLog(function, namespace, System.out::println, lambdaProperties(env));
        }
        return to(function, namespace, LOG::info);
    }

    /** Lines handed to {@code lines}. */
    public static InvocationLog to(String function, String namespace, Consumer<String> lines) {
        return new InvocationLog(function, namespace, lines, Map.of());
    }

    /** Starts the line of an invocation that begins now; the first in this environment is marked cold. */
    public Invocation start(String requestId) {
        return new Invocation(function, namespace, lines, environmentProperties, !invoked.getAndSet(true), requestId);
    }

    /** What Lambda's environment tells about where the line was written (the properties EMF's libraries add). */
    static Map<String, String> lambdaProperties(Map<String, String> env) {
        Map<String, String> properties = new LinkedHashMap<>();
        putIfSet(properties, "executionEnvironment", env.get("AWS_EXECUTION_ENV"));
        putIfSet(properties, "functionVersion", env.get("AWS_LAMBDA_FUNCTION_VERSION"));
        putIfSet(properties, "logStreamId", env.get("AWS_LAMBDA_LOG_STREAM_NAME"));
        String trace = env.get("_X_AMZN_TRACE_ID");
        if (trace != null && trace.contains("Sampled=1")) {
            properties.put("traceId", trace);
        }
        return java.util.Collections.unmodifiableMap(properties);
    }

    private static void putIfSet(Map<String, String> properties, String name, String value) {
        if (value != null) {
            properties.put(name, value);
        }
    }
}
