package dev.batchinference.observability;

import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.cloudwatchlogs.emf.environment.Environment;
import software.amazon.cloudwatchlogs.emf.environment.LambdaEnvironment;

/**
 * Where a function's invocation lines go: one JSON line per invocation that is both its structured log
 * and a CloudWatch Embedded Metric Format document (the numbers are metrics under the {@code Function}
 * dimension, the rest searchable properties). In Lambda the line goes to standard output, where
 * CloudWatch Logs turns it into metrics; elsewhere (the local runtime, tests) to a logger or a consumer.
 * One instance per execution environment: its first invocation is the cold one.
 */
public final class InvocationLog {
    /** CloudWatch namespace of the metrics unless {@link #NAMESPACE_VARIABLE} names another. */
    public static final String DEFAULT_NAMESPACE = "BatchInference";
    public static final String NAMESPACE_VARIABLE = "METRICS_NAMESPACE";
    private static final Logger LOG = LoggerFactory.getLogger(InvocationLog.class);

    private final String function;
    private final String namespace;
    private final Environment environment;
    private final AtomicBoolean invoked = new AtomicBoolean();

    private InvocationLog(String function, String namespace, Environment environment) {
        this.function = function;
        this.namespace = namespace;
        this.environment = environment;
    }

    /** In Lambda (AWS_LAMBDA_FUNCTION_NAME set) to standard output; elsewhere to this class's logger at INFO. */
    public static InvocationLog fromEnvironment(String function, Map<String, String> env) {
        String namespace = env.getOrDefault(NAMESPACE_VARIABLE, DEFAULT_NAMESPACE);
        if (env.containsKey("AWS_LAMBDA_FUNCTION_NAME")) {
            return new InvocationLog(function, namespace, new LambdaEnvironment());
        }
        return to(function, namespace, LOG::info);
    }

    /** Lines handed to {@code lines}, as the library serialises them. */
    public static InvocationLog to(String function, String namespace, Consumer<String> lines) {
        return new InvocationLog(function, namespace, new LineEnvironment(lines));
    }

    /** Starts the line of an invocation that begins now; the first in this environment is marked cold. */
    public Invocation start(String requestId) {
        return new Invocation(function, namespace, environment, !invoked.getAndSet(true), requestId);
    }
}
