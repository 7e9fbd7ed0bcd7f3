package dev.batchinference.local.endtoend;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.fasterxml.jackson.databind.JsonNode;
import dev.batchinference.ingest.IngestReport;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.batchinference.aws.AwsClients;
import dev.batchinference.config.PipelineConfig;
import dev.batchinference.ingest.JobIngestor;
import dev.batchinference.job.ChunkTask;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.local.runtime.LocalPipeline.HandlerDecorator;
import dev.batchinference.local.runtime.LocalPipeline.IngestDecorator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * The faults an at-least-once, retrying system brings, injected where Lambda would meet them: around the
 * handlers, whatever S3 and SQS the pipeline runs on.
 */
final class Faults {
    private Faults() {
    }

    /**
     * Hands every S3 event to two concurrent invocations of ingest, as S3's at-least-once delivery may;
     * records every outcome.
     */
    static IngestDecorator deliveringEachEventTwice(Collection<JobIngestor.Outcome> outcomes) {
        return (environment, handler) -> (event, context) -> {
            CompletableFuture<IngestReport> other = CompletableFuture.supplyAsync(() -> handler.invoke(event, context));
            List<JobIngestor.Outcome> all = new ArrayList<>(handler.invoke(event, context).jobs());
            all.addAll(other.join().jobs());
            outcomes.addAll(all);
            return IngestReport.ofJobs(all);
        };
    }

    /** Records the name of every event ingest receives (ObjectCreated:Put, ...) and every outcome. */
    static IngestDecorator recordingEvents(Collection<String> eventNames, Collection<JobIngestor.Outcome> outcomes) {
        return (environment, handler) -> (event, context) -> {
            JsonNode records;
            try {
                records = JsonCodec.mapper().readTree(event).path("Records");
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            records.forEach(record -> eventNames.add(record.path("eventName").asText()));
            IngestReport result = handler.invoke(event, context);
            outcomes.addAll(result.jobs());
            return result;
        };
    }

    /**
     * Sends every message body it sees once more to the queue the named variable points at, as SQS's
     * at-least-once delivery may. The SQS clients it opens are added to {@code clients}, for the test to close.
     */
    static HandlerDecorator duplicatingTo(String queueVariable, Set<String> seen, Collection<SqsClient> clients) {
        return (environment, handler) -> {
            SqsClient sqs = AwsClients.sqs(PipelineConfig.from(environment));
            clients.add(sqs);
            String url = environment.get(queueVariable);
            return (event, context) -> {
                for (SQSEvent.SQSMessage m : event.getRecords()) {
                    if (seen.add(m.getBody())) {
                        sqs.sendMessage(b -> b.queueUrl(url).messageBody(m.getBody()));
                    }
                }
                return handler.handleRequest(event, context);
            };
        };
    }

    /** Throws on the first delivery of one chunk: the invocation fails and SQS delivers the chunk again. */
    static HandlerDecorator crashingOnceOn(int chunk, AtomicInteger crashes, HandlerDecorator inner) {
        return (environment, handler) -> {
            RequestHandler<SQSEvent, SQSBatchResponse> next = inner.decorate(environment, handler);
            return (event, context) -> {
                for (SQSEvent.SQSMessage m : event.getRecords()) {
                    if (chunkOf(m) == chunk && crashes.compareAndSet(0, 1)) {
                        throw new IllegalStateException("injected crash on chunk " + chunk);
                    }
                }
                return next.handleRequest(event, context);
            };
        };
    }

    /** Reports one chunk's task as failed on every delivery, so SQS moves it to the DLQ in the end. */
    static HandlerDecorator alwaysFailingOn(int chunk) {
        return failingOnWhile(chunk, new java.util.concurrent.atomic.AtomicBoolean(true));
    }

    /** Reports one chunk's task as failed on every delivery while {@code failing} holds (a fault that gets fixed). */
    static HandlerDecorator failingOnWhile(int chunk, java.util.concurrent.atomic.AtomicBoolean failing) {
        return (environment, handler) -> (event, context) -> {
            List<SQSBatchResponse.BatchItemFailure> failures = new ArrayList<>();
            List<SQSEvent.SQSMessage> healthy = new ArrayList<>();
            for (SQSEvent.SQSMessage m : event.getRecords()) {
                if (failing.get() && chunkOf(m) == chunk) {
                    failures.add(new SQSBatchResponse.BatchItemFailure(m.getMessageId()));
                } else {
                    healthy.add(m);
                }
            }
            SQSEvent rest = new SQSEvent();
            rest.setRecords(healthy);
            failures.addAll(handler.handleRequest(rest, context).getBatchItemFailures());
            return new SQSBatchResponse(failures);
        };
    }

    /**
     * Holds every invocation until {@code release} opens (or {@code longest} passes, so a failed test does
     * not leave workers waiting forever): the test acts while work is queued but not done.
     */
    static HandlerDecorator heldUntil(CountDownLatch release, Duration longest) {
        return (environment, handler) -> (event, context) -> {
            try {
                if (!release.await(longest.toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new IllegalStateException("held invocation was never released");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while held", e);
            }
            return handler.handleRequest(event, context);
        };
    }

    private static int chunkOf(SQSEvent.SQSMessage m) {
        return JsonCodec.read(m.getBody(), ChunkTask.class).chunk().index();
    }
}
