package dev.batchinference.observability;

import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import software.amazon.cloudwatchlogs.emf.environment.Environment;
import software.amazon.cloudwatchlogs.emf.model.MetricsContext;
import software.amazon.cloudwatchlogs.emf.sinks.ISink;

/**
 * An EMF environment outside Lambda that hands each serialised document to a consumer: no probing of
 * EC2 or ECS metadata endpoints, no agent, no network.
 */
final class LineEnvironment implements Environment, ISink {
    private final Consumer<String> lines;

    LineEnvironment(Consumer<String> lines) {
        this.lines = lines;
    }

    @Override
    public boolean probe() {
        return true;
    }

    @Override
    public String getName() {
        return "batch-inference";
    }

    @Override
    public String getType() {
        return "Local";
    }

    @Override
    public String getLogGroupName() {
        return "";
    }

    @Override
    public void configureContext(MetricsContext context) {
        // nothing to add: the invocation's own properties say what ran
    }

    @Override
    public ISink getSink() {
        return this;
    }

    @Override
    public void accept(MetricsContext context) {
        try {
            context.serialize().forEach(lines);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("the invocation line could not be serialised", e);
        }
    }

    @Override
    public CompletableFuture<Void> shutdown() {
        return CompletableFuture.completedFuture(null);
    }
}
